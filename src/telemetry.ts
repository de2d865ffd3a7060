import { context as otelContext, type Context, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { InspectionEvent } from 'xstate';
import { isRequestActor } from './actors/request/request.logic.ts';
import { parseTraceparent } from './trace-context.ts';


interface RequestSnapshotLike {
  readonly status: string;
  readonly output?: { readonly ok?: boolean; readonly code?: string; readonly message?: string };
  readonly context?: {
    readonly correlationId?: string;
    readonly kind?: string;
    readonly message?: { readonly routingKey?: string; readonly properties?: { readonly headers?: Readonly<Record<string, unknown>> } };
  };
}

/** The trace the relay passed on to the worker (its `traceparent` header) as the span's parent. */
function parentOf(headers: Readonly<Record<string, unknown>> | undefined): Context {
  const parent = parseTraceparent(typeof headers?.traceparent === 'string' ? headers.traceparent : undefined);
  if (!parent) return otelContext.active();
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: parent.spanId, traceFlags: Number.parseInt(parent.flags, 16), isRemote: true });
}

/** Span events named for what happened to the request, from the event that moved its actor. */
const SPAN_EVENTS: Readonly<Record<string, string>> = {
  'broker.confirmed': 'confirm',
  'broker.reply': 'reply',
  'broker.rejected': 'rejected',
  'request.deadline': 'deadline',
};

/**
 * OpenTelemetry from the request actors' inspection events: one span per request (start:
 * publish; events: confirm, reply, rejected, deadline; end: its outcome). Machines and routes
 * know nothing about it. Uses the globally registered TracerProvider unless given a tracer.
 */
export function requestTracing(tracer: Tracer = trace.getTracer('amqp-relay')): (e: InspectionEvent) => void {
  const spans = new Map<string, Span>();
  return (e) => {
    if (e.type !== '@xstate.snapshot') return;
    const snapshot = e.snapshot as RequestSnapshotLike;
    if (!isRequestActor(e.actorRef)) return;
    const id = e.actorRef.sessionId;
    let span = spans.get(id);
    if (!span) {
      if (snapshot.status !== 'active') return;
      const c = snapshot.context ?? {};
      span = tracer.startSpan(
        `amqp-relay ${c.kind ?? 'request'}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.destination.name': c.message?.routingKey ?? '',
            'messaging.message.conversation_id': c.correlationId ?? '',
            'relay.request.kind': c.kind ?? '',
          },
        },
        parentOf(c.message?.properties?.headers),
      );
      span.addEvent('publish');
      spans.set(id, span);
    } else {
      const name = SPAN_EVENTS[e.event.type];
      if (name) span.addEvent(name);
    }
    if (snapshot.status === 'active') return;
    spans.delete(id);
    const output = snapshot.output;
    if (snapshot.status === 'done' && output?.ok) {
      span.setAttribute('relay.outcome', 'ok');
      span.setStatus({ code: SpanStatusCode.OK });
    } else {
      const code = output?.code ?? snapshot.status;
      span.setAttribute('relay.outcome', code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: output?.message ? `${code}: ${output.message}` : code });
    }
    span.end();
  };
}
