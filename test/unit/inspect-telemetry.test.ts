import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { requestTracing } from '../../src/telemetry.ts';
import { MemoryTracerProvider } from './inspect-memory-tracer.ts';
import { startRequestActor } from './request-broker-double.ts';

const config = loadConfig({ RELAY_INSTANCE_ID: 'unit' });
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const RELAY_SPAN = '00f067aa0ba902b7';

function startRequest(provider: MemoryTracerProvider, options: { deadlineMs?: number } = {}) {
  return startRequestActor(config, {
    kind: 'recipe_analysis',
    body: { recipe_text: 'x' },
    deadlineMs: options.deadlineMs ?? 5_000,
    traceparent: `00-${TRACE_ID}-${RELAY_SPAN}-01`,
    inspect: requestTracing(provider.getTracer()),
  });
}

describe('OpenTelemetry spans built from request actors', () => {
  it('opens one client span per request, in the trace the relay passed on, with a publish event', () => {
    const provider = new MemoryTracerProvider();
    const { correlationId } = startRequest(provider);
    expect(provider.spans).toHaveLength(1);
    const span = provider.spans[0]!;
    expect(span.name).toBe('amqp-relay recipe_analysis');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.context.traceId).toBe(TRACE_ID);
    expect(span.parent?.spanId).toBe(RELAY_SPAN);
    expect(span.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': config.queues.recipe,
      'messaging.message.conversation_id': correlationId,
    });
    expect(span.events).toEqual(['publish']);
    expect(span.ended).toBe(false);
  });

  it('records confirm and reply, and ends OK when the worker answers', () => {
    const provider = new MemoryTracerProvider();
    const { broker, actor } = startRequest(provider);
    broker.confirm();
    broker.reply('{"ok":true}');
    expect(actor.getSnapshot().status).toBe('done');
    const span = provider.spans[0]!;
    expect(span.events).toEqual(['publish', 'confirm', 'reply']);
    expect(span.status).toEqual({ code: SpanStatusCode.OK });
    expect(span.attributes['relay.outcome']).toBe('ok');
    expect(span.ended).toBe(true);
  });

  it('ends with an error status naming the code when the worker reports an error', () => {
    const provider = new MemoryTracerProvider();
    const { broker } = startRequest(provider);
    broker.confirm();
    broker.reply('{"message":"boom"}', { 'x-status': 'error' });
    const span = provider.spans[0]!;
    expect(span.status?.code).toBe(SpanStatusCode.ERROR);
    expect(span.status?.message).toMatch(/^WORKER_ERROR: boom/);
    expect(span.attributes['relay.outcome']).toBe('WORKER_ERROR');
  });

  it('records a rejection (NO_ROUTE) and a deadline (TIMEOUT)', async () => {
    const provider = new MemoryTracerProvider();
    startRequest(provider).broker.reject('NO_ROUTE', 'no queue');
    const late = startRequest(provider, { deadlineMs: 20 });
    late.broker.confirm();
    await new Promise((resolve) => setTimeout(resolve, 80));
    const [rejected, timedOut] = provider.spans;
    expect(rejected!.events).toEqual(['publish', 'rejected']);
    expect(rejected!.attributes['relay.outcome']).toBe('NO_ROUTE');
    expect(timedOut!.events).toEqual(['publish', 'confirm', 'deadline']);
    expect(timedOut!.attributes['relay.outcome']).toBe('TIMEOUT');
    expect(timedOut!.ended).toBe(true);
  });
});
