import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawRequest } from '../support/fake-relay.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;

describe('correlation ids and trace context', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('correlation');
  let relay: RunningRelay;
  let ai: ScriptedWorker;
  let crawl: ScriptedWorker;
  const seen = (worker: ScriptedWorker, correlationId: string | null | undefined) =>
    worker.received.find((m) => m.properties.correlationId === correlationId);

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: '5000', CRAWL_TIMEOUT_MS: '5000' } });
    ai = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
    crawl = await startScriptedWorker(url, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!);
  });
  afterAll(async () => {
    await ai?.stop();
    await crawl?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('gives every response an X-Correlation-Id with the instance prefix', async () => {
    const prefix = `${relay.config.instanceId}.`;
    const answers = [
      await rawRequest(relay.baseUrl, { path: '/healthz' }),
      await rawRequest(relay.baseUrl, { path: '/readyz' }),
      await rawRequest(relay.baseUrl, { path: '/metrics' }),
      await rawRequest(relay.baseUrl, { path: '/openapi.json' }),
      await rawRequest(relay.baseUrl, { path: '/nope' }),
      await rawRequest(relay.baseUrl, { method: 'PUT', path: '/api/crawl' }),
      await rawRequest(relay.baseUrl, { method: 'OPTIONS', path: '/api/crawl' }),
      await rawRequest(relay.baseUrl, { method: 'POST', path: '/api/crawl', headers: { 'content-type': 'text/plain' }, body: 'x' }),
    ];
    const ids = answers.map((a) => String(a.headers['x-correlation-id']));
    for (const id of ids) expect(id.startsWith(prefix)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses the AMQP correlationId the worker saw as X-Correlation-Id', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'correlated' });
    expect(res.status).toBe(200);
    expect(seen(ai, res.headers.get('x-correlation-id'))).toBeDefined();
    const crawlRes = await postJson(relay.baseUrl, '/api/crawl', { url: 'https://example.com/' });
    expect(crawlRes.status).toBe(200);
    expect(seen(crawl, crawlRes.headers.get('x-correlation-id'))).toBeDefined();
  });

  it('uses it for a 202 too: header, body and the message agree', async () => {
    const res = await postJson(relay.baseUrl, '/api/crawl', { url: 'https://example.com/a' }, { prefer: 'respond-async' });
    expect(res.status).toBe(202);
    expect(res.json.correlationId).toBe(res.headers.get('x-correlation-id'));
    await waitFor(() => seen(crawl, res.json.correlationId) !== undefined, 5_000, 'the crawl worker to get the request');
    const ping = await postJson(relay.baseUrl, '/api/crawl/ping', {});
    expect(ping.json.correlationId).toBe(ping.headers.get('x-correlation-id'));
    await waitFor(() => seen(crawl, ping.json.correlationId) !== undefined, 5_000, 'the crawl worker to get the ping');
  });

  it('passes a traceparent on to the worker with the relay span as parent, and returns it', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'traced' }, { traceparent: TRACEPARENT, tracestate: 'vendor=abc' });
    expect(res.status).toBe(200);
    const returned = res.headers.get('traceparent')!;
    const [version, traceId, span, flags] = returned.split('-');
    expect([version, traceId, flags]).toEqual(['00', TRACE_ID, '01']);
    expect(span).toMatch(/^[0-9a-f]{16}$/);
    expect(span).not.toBe(CLIENT_SPAN);
    const headers = seen(ai, res.headers.get('x-correlation-id'))!.properties.headers!;
    expect(headers.traceparent).toBe(returned);
    expect(headers.tracestate).toBe('vendor=abc');
  });

  it.each([['not-a-traceparent'], [`00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`], [`00-${TRACE_ID}-${'0'.repeat(16)}-01`], [`00-${TRACE_ID}-${CLIENT_SPAN}`]])(
    'starts a new trace for the malformed traceparent %s',
    async (bad) => {
      const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'fresh trace' }, { traceparent: bad });
      expect(res.status).toBe(200);
      const returned = res.headers.get('traceparent')!;
      expect(returned).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
      expect(returned).not.toContain(TRACE_ID);
      expect(seen(ai, res.headers.get('x-correlation-id'))!.properties.headers!.traceparent).toBe(returned);
    },
  );

  it('starts a trace when there is none', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'untraced' });
    const returned = res.headers.get('traceparent')!;
    expect(returned).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(seen(ai, res.headers.get('x-correlation-id'))!.properties.headers!.traceparent).toBe(returned);
  });

  it.each([
    ['an invalid body (400)', '{"recipe_text":""}', 'application/json', 400],
    ['a body that is not JSON (415)', 'recipe_text=x', 'text/plain', 415],
  ])('answers %s with the trace continued as well', async (_what, body, contentType, status) => {
    const res = await fetch(`${relay.baseUrl}/api/ai/recipe`, { method: 'POST', headers: { 'content-type': contentType, traceparent: TRACEPARENT }, body });
    expect(res.status).toBe(status);
    const [version, traceId, span] = res.headers.get('traceparent')!.split('-');
    expect([version, traceId]).toEqual(['00', TRACE_ID]);
    expect(span).not.toBe(CLIENT_SPAN);
  });
});
