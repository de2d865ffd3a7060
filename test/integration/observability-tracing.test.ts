import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseTraceparent } from '../../src/trace-context.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CLIENT_SPAN = 'b7ad6b7169203331';

describe('OTEL_ENABLED with an SDK registered: one exported span per request, connecting client, relay and worker', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('obs-tracing');
  const exporter = new InMemorySpanExporter();
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    relay = await startRelay({ amqpUrl: url, env: { ...queues, OTEL_ENABLED: 'true' } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) => {
      if (body.recipe_text === 'fail') return { kind: 'error', message: 'cannot cook' };
      if (body.recipe_text === 'slow') return { kind: 'silent' };
      return { kind: 'reply', body: { ok: true } };
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
    trace.disable();
    propagation.disable();
  });

  async function spanOf(correlationId: string): Promise<ReadableSpan> {
    const find = () => exporter.getFinishedSpans().find((s) => s.attributes['messaging.message.conversation_id'] === correlationId);
    await waitFor(() => find() !== undefined, 5_000, `the span of ${correlationId} to be exported`);
    return find()!;
  }

  const workerTraceparent = (correlationId: string) => {
    const message = worker.received.find((m) => m.properties.correlationId === correlationId);
    return String(message?.properties.headers?.traceparent);
  };

  it('exports the relay span under the client’s span; the worker and the response both name it as parent', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'soup' }, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' });
    expect(res.status).toBe(200);
    const correlationId = res.headers.get('x-correlation-id')!;
    const span = await spanOf(correlationId);
    const relaySpan = span.spanContext().spanId;
    console.info(`client span ${CLIENT_SPAN} → relay span ${relaySpan} (exported, trace ${span.spanContext().traceId}) → worker parent ${parseTraceparent(workerTraceparent(correlationId))?.spanId}; response traceparent ${res.headers.get('traceparent')}`);

    expect(span.name).toBe('POST /api/ai/recipe');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(CLIENT_TRACE);
    expect(span.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(parseTraceparent(workerTraceparent(correlationId))).toEqual({ traceId: CLIENT_TRACE, spanId: relaySpan, flags: '01' });
    expect(worker.received.find((m) => m.properties.correlationId === correlationId)?.properties.headers?.tracestate).toBe('vendor=abc');
    expect(res.headers.get('traceparent')).toBe(`00-${CLIENT_TRACE}-${relaySpan}-01`);

    // The broker's confirm nearly always comes first; a reply that beats it ends the request, and the confirm is then not seen.
    const events = span.events.map((e) => e.name);
    expect(events.filter((e) => e !== 'confirm')).toEqual(['publish', 'reply']);
    expect(events.indexOf('confirm')).not.toBe(0);
    expect(span.attributes).toMatchObject({
      'http.route': '/api/ai/recipe',
      'http.response.status_code': 200,
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': queues.AI_QUEUE_NAME,
      'relay.outcome': 'ok',
    });
    expect(span.status.code).toBe(SpanStatusCode.OK);
  });

  it('marks the span as an error with the code the client got: a worker error (502)', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'fail' });
    expect(res.status).toBe(502);
    const span = await spanOf(res.headers.get('x-correlation-id')!);
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'WORKER_ERROR: cannot cook' });
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 502, 'relay.outcome': 'WORKER_ERROR' });
    // No traceparent from the client: the relay's span starts the trace, and is still what the worker and the response name.
    expect(span.parentSpanContext).toBeUndefined();
    expect(parseTraceparent(workerTraceparent(res.headers.get('x-correlation-id')!))?.spanId).toBe(span.spanContext().spanId);
  });

  it('marks the span as an error with the code the client got: no reply in time (504)', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'slow' }, { 'x-timeout-ms': '300' });
    expect(res.status).toBe(504);
    const span = await spanOf(res.headers.get('x-correlation-id')!);
    expect(span.events.map((e) => e.name)).toEqual(['publish', 'confirm', 'deadline']);
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes).toMatchObject({ 'http.response.status_code': 504, 'relay.outcome': 'TIMEOUT', 'error.type': 'TIMEOUT' });
    console.info(`504: relay span ${span.spanContext().spanId} (exported) → worker parent ${parseTraceparent(workerTraceparent(res.headers.get('x-correlation-id')!))?.spanId}`);
  });
});
