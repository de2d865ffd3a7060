import { newCorrelationId } from '../../src/requests/correlation-id.ts';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Relay } from '../../src/actors/relay.ts';
import { ResultStore } from '../../src/http/async-results.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { createApp } from '../../src/http/app.ts';
import { RelayMetrics } from '../../src/metrics.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/** The value of one sample line of the Prometheus text, or undefined when it is absent. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('health, metrics and actors of a connected relay', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('obs-endpoints');
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: queues });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) =>
      body.recipe_text === 'hold' ? { kind: 'silent' } : { kind: 'reply', body: { ok: true } },
    );
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('is alive and ready while connected and consuming', async () => {
    const health = await fetch(`${relay.baseUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${relay.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', broker: 'connected' });
  });

  it('lists the broker actor and every live request actor on /debug/actors', async () => {
    const held = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'hold' }, { 'x-timeout-ms': '1500' });
    try {
      await waitFor(() => worker.received.some((m) => JSON.parse(m.content.toString()).recipe_text === 'hold'), 5_000, 'the held request');
      // The worker may see the message before the broker's confirm reaches the relay, which moves the actor on.
      let body = { broker: {}, requests: [] } as { broker: Record<string, unknown>; requests: Record<string, unknown>[] };
      await waitFor(async () => {
        const res = await fetch(`${relay.baseUrl}/debug/actors`);
        expect(res.status).toBe(200);
        body = (await res.json()) as typeof body;
        return body.requests[0]?.state !== 'publishing';
      }, 5_000, 'the held request to be confirmed');
      expect(body.broker).toMatchObject({ state: 'connected', reconnects: 0, outbox: 0 });
      expect(body.requests).toHaveLength(1);
      expect(body.requests[0]).toEqual({
        id: expect.any(String),
        correlationId: expect.stringMatching(new RegExp(`^${relay.config.instanceId}\\.`)),
        kind: 'recipe_analysis',
        state: 'awaitingReply',
        ageMs: expect.any(Number),
      });
    } finally {
      // Settled whatever the assertions did, so the next test's counts start from a finished timeout.
      await held.catch(() => undefined);
    }
    expect((await held).status).toBe(504);
  });

  it('exports request, broker and publish metrics in the Prometheus format', async () => {
    expect((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'soup' })).status).toBe(200);
    // A publish confirm may arrive after the reply it led to; the count settles once both are in.
    let text = '';
    await waitFor(async () => {
      const res = await fetch(`${relay.baseUrl}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      text = await res.text();
      return sample(text, 'relay_publishes_total{outcome="confirmed"}') === 2;
    }, 5_000, 'both publishes confirmed');
    expect(sample(text, 'relay_requests_total{route="/api/ai/recipe",outcome="ok"}')).toBe(1);
    expect(sample(text, 'relay_requests_total{route="/api/ai/recipe",outcome="TIMEOUT"}')).toBe(1);
    expect(sample(text, 'relay_request_duration_seconds_count{route="/api/ai/recipe",outcome="ok"}')).toBe(1);
    expect(sample(text, 'relay_requests_in_flight')).toBe(0);
    expect(sample(text, 'relay_outbox_size')).toBe(0);
    expect(sample(text, 'relay_broker_connected')).toBe(1);
    expect(sample(text, 'relay_broker_reconnects_total')).toBe(0);
    expect(sample(text, 'relay_broker_state{state="connected"}')).toBe(1);
    expect(sample(text, 'relay_publishes_total{outcome="confirmed"}')).toBe(2);
    expect(sample(text, 'relay_replies_dropped_total{reason="unknown"}')).toBe(0);
  });

  it('counts an asynchronous request once by its 202 and once by its final outcome', async () => {
    const accepted = await postJson(relay.baseUrl, '/api/crawl/ping', {}, { 'x-timeout-ms': '300' });
    expect(accepted.status).toBe(202);
    const id = (accepted.json as { correlationId: string }).correlationId;
    let outcome = '';
    await waitFor(async () => {
      const result = (await (await fetch(`${relay.baseUrl}/api/requests/${id}`)).json()) as { status: string; error?: { code: string } };
      outcome = result.status === 'done' ? 'ok' : (result.error?.code ?? '');
      return result.status !== 'pending';
    }, 5_000, 'the ping to end');
    const text = await (await fetch(`${relay.baseUrl}/metrics`)).text();
    expect(sample(text, `relay_async_results_total{route="/api/crawl/ping",outcome="${outcome}"}`)).toBe(1);
    expect(sample(text, 'relay_requests_total{route="/api/crawl/ping",outcome="ok"}')).toBe(1);
  });

  it('answers 404 for the live inspector while XSTATE_INSPECT is off', async () => {
    for (const path of ['/debug/inspector', '/debug/inspector/events']) {
      const res = await fetch(`${relay.baseUrl}${path}`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    }
  });
});

describe('readiness of a relay that cannot reach its broker', () => {
  let server: Server;
  let relay: Relay;
  let baseUrl: string;

  beforeAll(async () => {
    // Port 9 (discard) on loopback: nothing listens, every connection attempt is refused.
    const config = loadConfig({ RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:9', RECONNECT_BASE_MS: '50', RECONNECT_MAX_MS: '200', ...uniqueQueues('obs-unready') });
    const logger = pino({ level: 'silent' });
    const metrics = new RelayMetrics({ collectDefault: false });
    relay = new Relay({ config, logger, metrics }).start();
    const app = createApp({ relay, results: new ResultStore(1_000), metrics, logger, maxBodyBytes: 1_024, apiTokens: [], newCorrelationId: () => newCorrelationId(config.instanceId) });
    const handle = app.callback();
    server = createServer((req, res) => void handle(req, res)).listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await waitFor(() => relay.actors().broker.lastError !== null, 5_000, 'a failed connection attempt');
  });
  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await relay?.stop();
  });

  it('stays alive but answers 503 not_ready with the broker state and the reason', async () => {
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    const res = await fetch(`${baseUrl}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; broker: string; reason: string };
    expect(body.status).toBe('not_ready');
    expect(['connecting', 'reconnecting']).toContain(body.broker);
    expect(body.reason).toMatch(/ECONNREFUSED|refused|connect/i);
  });

  it('reports the broker as disconnected on /metrics', async () => {
    const text = await (await fetch(`${baseUrl}/metrics`)).text();
    expect(sample(text, 'relay_broker_connected')).toBe(0);
  });
});
