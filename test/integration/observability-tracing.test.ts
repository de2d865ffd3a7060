import { SpanStatusCode, trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';
import { MemoryTracerProvider } from '../unit/inspect-memory-tracer.ts';

const CLIENT_TRACE = '0af7651916cd43dd8448eb211c80319c';

describe('OTEL_ENABLED: one span per request, in the caller’s trace', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('obs-tracing');
  const provider = new MemoryTracerProvider();
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    relay = await startRelay({ amqpUrl: url, env: { ...queues, OTEL_ENABLED: 'true' } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) =>
      body.recipe_text === 'fail' ? { kind: 'error', message: 'cannot cook' } : { kind: 'reply', body: { ok: true } },
    );
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
    trace.disable();
  });

  it('records publish, confirm and reply on a span whose parent is the span passed to the worker', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'soup' }, { traceparent: `00-${CLIENT_TRACE}-b7ad6b7169203331-01` });
    expect(res.status).toBe(200);
    const correlationId = res.headers.get('x-correlation-id')!;
    await waitFor(() => provider.spans.some((s) => s.attributes['messaging.message.conversation_id'] === correlationId && s.ended), 2_000, 'the span to end');
    const span = provider.spans.find((s) => s.attributes['messaging.message.conversation_id'] === correlationId)!;
    const [, traceId, relaySpan] = res.headers.get('traceparent')!.split('-');
    expect(traceId).toBe(CLIENT_TRACE);
    expect(span.context.traceId).toBe(CLIENT_TRACE);
    expect(span.parent?.spanId).toBe(relaySpan);
    expect(worker.received.at(-1)!.properties.headers?.traceparent).toBe(res.headers.get('traceparent'));
    // The broker's confirm nearly always comes first; a reply that beats it ends the request, and the confirm is then not seen.
    expect(span.events.filter((e) => e !== 'confirm')).toEqual(['publish', 'reply']);
    expect(span.events.indexOf('confirm')).not.toBe(0);
    expect(span.status).toEqual({ code: SpanStatusCode.OK });
  });

  it('marks the span as an error with the code the client got', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'fail' });
    expect(res.status).toBe(502);
    const correlationId = res.headers.get('x-correlation-id')!;
    await waitFor(() => provider.spans.some((s) => s.attributes['messaging.message.conversation_id'] === correlationId && s.ended), 2_000, 'the span to end');
    const span = provider.spans.find((s) => s.attributes['messaging.message.conversation_id'] === correlationId)!;
    expect(span.status?.code).toBe(SpanStatusCode.ERROR);
    expect(span.attributes['relay.outcome']).toBe('WORKER_ERROR');
  });
});
