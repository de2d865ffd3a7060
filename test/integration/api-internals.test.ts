import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const TOKEN = 'tok-internals-41d7';

/** What a client may learn about the relay's insides: the broker's state, never where it is. */
describe('internals stay inside', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('internals');
  const offlineQueues = uniqueQueues('internals-offline');
  let relay: RunningRelay;
  let offline: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: '5000' } });
    // Nothing listens on port 1: the broker actor keeps failing to connect there.
    offline = await startRelay({ amqpUrl: 'amqp://relay:pw@127.0.0.1:1/secret-vhost', waitForBroker: false, env: { ...offlineQueues, API_TOKENS: TOKEN } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) => ({ kind: 'error', message: body.recipe_text }));
  });
  afterAll(async () => {
    await worker?.stop();
    await offline?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('with API_TOKENS set, /readyz names the broker state only: no host, port, vhost or queue', async () => {
    await waitFor(() => offline.relay.actors().broker.lastError !== null, 5_000, 'a failed connection attempt');
    const res = await fetch(`${offline.baseUrl}/readyz`);
    const text = await res.text();
    expect(res.status).toBe(503);
    const body = JSON.parse(text);
    expect(body).toEqual({ status: 'not_ready', broker: expect.any(String), reason: `broker is ${body.broker}` });
    for (const internal of ['127.0.0.1', 'secret-vhost', 'ECONNREFUSED', ...Object.values(offlineQueues)]) expect(text).not.toContain(internal);
  });

  it("cuts a worker's error message to 1,000 characters", async () => {
    const long = `${'é'.repeat(999)}xy${'z'.repeat(5_000)}`;
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: long });
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('WORKER_ERROR');
    expect(res.json.error.message).toBe(long.slice(0, 1_000));
  });

  it("passes a short worker error message whole", async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'the oven is cold' });
    expect(res.status).toBe(502);
    expect(res.json.error.message).toBe('the oven is cold');
  });
});
