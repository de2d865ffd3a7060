import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from '../support/fault-proxy.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * A request the relay has written to its connection but that is never confirmed may still be
 * processed: at its deadline it is 504 TIMEOUT, never 503 BROKER_UNAVAILABLE ("never sent, safe
 * to retry"). The relay talks to the broker through a proxy that, black-holed, takes every byte
 * and passes none on, in either direction: the publish is written, its confirm never comes back.
 */
describe('a request written to the broker but not confirmed by its deadline', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('unconfirmed');
  let proxy: FaultProxy;
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    const broker = new URL(url);
    proxy = await startFaultProxy({ host: broker.hostname, port: Number(broker.port || 5672) });
    // A deadline well inside two heartbeats (10 s each): the relay keeps its connection through the hole.
    relay = await startRelay({ amqpUrl: proxy.urlFor(url), env: { ...queues, AI_TIMEOUT_MS: '2000' } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    proxy?.blackHole(false);
    await worker?.stop();
    await relay?.stop();
    await proxy?.close();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('is answered 504 TIMEOUT, and may indeed reach the worker afterwards', async () => {
    expect((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'before the hole' })).status).toBe(200);

    proxy.blackHole(true);
    let res: Awaited<ReturnType<typeof postJson>>;
    try {
      res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'written, never confirmed' });
      expect(relay.relay.readiness().ready).toBe(true); // still connected: it was written, not kept in the outbox
    } finally {
      proxy.blackHole(false);
    }
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ error: { code: 'TIMEOUT', message: expect.any(String), correlationId: res.headers.get('x-correlation-id') } });

    // What the client was told timed out reaches the worker once the link carries bytes again: a 503 "never sent" would have been false.
    const correlationId = res.headers.get('x-correlation-id');
    await waitFor(() => worker.received.some((m) => m.properties.correlationId === correlationId), 10_000, 'the unconfirmed request to reach the worker');
    expect((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'after the hole' })).status).toBe(200);
  });
});
