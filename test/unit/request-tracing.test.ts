import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RequestOutcome } from '../../src/actors/request/outcome.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { RequestTracing, startRequestTracing } from '../../src/telemetry.ts';
import { echoReply, FakeRelay, fakeApp, listen, rawRequest } from '../support/fake-relay.ts';
import { waitFor } from '../support/relay-harness.ts';
import { startRequestActor } from './request-broker-double.ts';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';
const json = { 'content-type': 'application/json' };
const recipe = JSON.stringify({ recipe_text: 'soup' });

function memoryTracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('amqp-relay') };
}

const spansOf = (exporter: InMemorySpanExporter): ReadableSpan[] => exporter.getFinishedSpans();

afterAll(() => propagation.disable());

describe('OTEL_ENABLED: one server span per API request', () => {
  const { exporter, tracer } = memoryTracer();
  const relay = new FakeRelay();
  let server: Awaited<ReturnType<typeof listen>>;
  const post = (path: string, headers: Record<string, string> = {}, body = recipe) => rawRequest(server.baseUrl, { method: 'POST', path, headers: { ...json, ...headers }, body });

  beforeAll(async () => {
    server = await listen(fakeApp({ relay, tracing: await startRequestTracing(tracer) }).app);
  });
  afterAll(() => server.close());
  afterEach(() => {
    exporter.reset();
    relay.answer = echoReply;
  });

  it('continues the caller’s trace: its span is the parent, and the worker and the response get the relay’s span', async () => {
    const res = await post('/api/ai/recipe', { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' });
    expect(res.status).toBe(200);
    const [span] = spansOf(exporter);
    expect(spansOf(exporter)).toHaveLength(1);
    expect(span!.name).toBe('POST /api/ai/recipe');
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(span!.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    const relaySpan = `00-${CLIENT_TRACE}-${span!.spanContext().spanId}-01`;
    expect(res.headers.traceparent).toBe(relaySpan);
    expect(relay.submitted.at(-1)!.trace).toEqual({ traceparent: relaySpan, tracestate: 'vendor=abc' });
    expect(span!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/ai/recipe',
      'http.response.status_code': 200,
      'messaging.message.conversation_id': res.headers['x-correlation-id'],
      'relay.request.kind': 'recipe_analysis',
      'relay.outcome': 'ok',
    });
    expect(span!.status.code).toBe(SpanStatusCode.OK);
  });

  it('starts a new trace for a malformed traceparent, with the relay’s span as the root', async () => {
    const res = await post('/api/ai/recipe', { traceparent: `00-${CLIENT_TRACE}-${'0'.repeat(16)}-01` });
    const [span] = spansOf(exporter);
    expect(span!.parentSpanContext).toBeUndefined();
    expect(span!.spanContext().traceId).not.toBe(CLIENT_TRACE);
    expect(res.headers.traceparent).toBe(`00-${span!.spanContext().traceId}-${span!.spanContext().spanId}-01`);
    expect(relay.submitted.at(-1)!.trace?.traceparent).toBe(res.headers.traceparent);
  });

  it('marks the span as an error with the code and status the client got', async () => {
    relay.answer = () => ({ ok: false, code: 'WORKER_ERROR', message: 'cannot cook' });
    const res = await post('/api/ai/recipe');
    expect(res.status).toBe(502);
    const [span] = spansOf(exporter);
    expect(span!.status).toEqual({ code: SpanStatusCode.ERROR, message: 'WORKER_ERROR: cannot cook' });
    expect(span!.attributes).toMatchObject({ 'http.response.status_code': 502, 'relay.outcome': 'WORKER_ERROR', 'error.type': 'WORKER_ERROR' });
  });

  it('traces a request refused before it reaches the relay, leaving the status unset for a client error', async () => {
    const res = await post('/api/ai/recipe', {}, '{"recipe_text": 5}');
    expect(res.status).toBe(400);
    const [span] = spansOf(exporter);
    expect(span!.attributes).toMatchObject({ 'http.response.status_code': 400, 'relay.outcome': 'INVALID_REQUEST' });
    expect(span!.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('keeps the span of a 202 open until the outcome arrives', async () => {
    let settle!: (outcome: RequestOutcome) => void;
    relay.answer = () => new Promise((resolve) => (settle = resolve));
    const res = await post('/api/crawl', { prefer: 'respond-async' }, JSON.stringify({ url: 'https://example.com/' }));
    expect(res.status).toBe(202);
    await waitFor(() => settle !== undefined, 1_000, 'the request to reach the relay');
    expect(spansOf(exporter)).toHaveLength(0);
    settle({ ok: false, code: 'TIMEOUT', message: 'no reply in time' });
    await waitFor(() => spansOf(exporter).length === 1, 1_000, 'the span to end');
    const [span] = spansOf(exporter);
    expect(span!.name).toBe('POST /api/crawl');
    expect(span!.attributes).toMatchObject({ 'http.response.status_code': 202, 'relay.outcome': 'TIMEOUT' });
    expect(span!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('leaves result lookups and operational routes untraced', async () => {
    await rawRequest(server.baseUrl, { method: 'GET', path: '/api/requests/other.1' });
    await rawRequest(server.baseUrl, { method: 'GET', path: '/healthz' });
    expect(spansOf(exporter)).toHaveLength(0);
  });
});

describe('OTEL_ENABLED with no TracerProvider registered', () => {
  it('still passes the trace on with a span id of the relay’s own', async () => {
    const relay = new FakeRelay();
    const server = await listen(fakeApp({ relay, tracing: await startRequestTracing(trace.getTracer('amqp-relay')) }).app);
    try {
      const res = await rawRequest(server.baseUrl, { method: 'POST', path: '/api/ai/recipe', headers: { ...json, traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` }, body: recipe });
      const [, traceId, spanId] = String(res.headers.traceparent).split('-');
      expect(traceId).toBe(CLIENT_TRACE);
      expect(spanId).toMatch(/^[0-9a-f]{16}$/);
      expect(spanId).not.toBe(CLIENT_SPAN);
      expect(relay.submitted.at(-1)!.trace?.traceparent).toBe(res.headers.traceparent);
    } finally {
      await server.close();
    }
  });
});

describe('the request actor’s steps as span events', () => {
  const config = loadConfig({ RELAY_INSTANCE_ID: 'unit' });
  const request = { method: 'POST', route: '/api/ai/recipe', path: '/api/ai/recipe', scheme: 'http', headers: {} };

  function tracedActor(options: { deadlineMs?: number } = {}) {
    const { exporter, tracer } = memoryTracer();
    const tracing = new RequestTracing(tracer);
    const traced = tracing.start(request);
    const correlationId = `unit.${Math.random().toString(36).slice(2)}`;
    const { traceparent } = traced.wire(correlationId, 'recipe_analysis');
    const started = startRequestActor(config, { correlationId, traceparent, inspect: tracing.observe, ...options });
    const finish = () => traced.responded(200, correlationId, undefined);
    return { exporter, finish, ...started };
  }

  it('records publish (with the queue), confirm and reply', () => {
    const { exporter, broker, finish } = tracedActor();
    broker.confirm();
    broker.reply('{"ok":true}');
    finish();
    const [span] = spansOf(exporter);
    expect(span!.events.map((e) => e.name)).toEqual(['publish', 'confirm', 'reply']);
    expect(span!.attributes['messaging.destination.name']).toBe(config.queues.recipe);
  });

  it('records a rejection and a deadline', async () => {
    const rejected = tracedActor();
    rejected.broker.reject('NO_ROUTE', 'no queue');
    rejected.finish();
    expect(spansOf(rejected.exporter)[0]!.events.map((e) => e.name)).toEqual(['publish', 'rejected']);

    const late = tracedActor({ deadlineMs: 20 });
    late.broker.confirm();
    await waitFor(() => late.actor.getSnapshot().status === 'done', 1_000, 'the deadline');
    late.finish();
    expect(spansOf(late.exporter)[0]!.events.map((e) => e.name)).toEqual(['publish', 'confirm', 'deadline']);
  });
});
