import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Attributes,
  isSpanContextValid,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import type { InspectionEvent } from 'xstate';
import type { TraceHeaders } from './actors/request/messages.ts';
import type { RequestOutcome } from './actors/request/outcome.ts';
import { isRequestActor } from './actors/request/request.logic.ts';
import { formatTraceparent, ownTraceHeaders } from './trace-context.ts';

/** An API request as its span starts. */
export interface ServerRequest {
  readonly method: string;
  /** The route template (`/api/ai/recipe`), never the raw path, in the span name. */
  readonly route: string;
  readonly path: string;
  readonly scheme: string;
  readonly headers: IncomingHttpHeaders;
}

/** Span events named for what happened to the request's message, from the event that moved its actor. */
const SPAN_EVENTS: Readonly<Record<string, string>> = {
  'xstate.init': 'publish',
  'broker.queued': 'queued',
  'broker.sent': 'sent',
  'broker.confirmed': 'confirm',
  'broker.reply': 'reply',
  'broker.rejected': 'rejected',
  'request.deadline': 'deadline',
  'request.abort': 'abort',
};

interface RequestSnapshotLike {
  readonly context?: { readonly correlationId?: string; readonly message?: { readonly routingKey?: string } };
}

/**
 * Request tracing as OTEL_ENABLED starts it: with W3C trace context as the propagator when none is
 * registered, since the API's own is a no-op and the contract's traceparent must still flow.
 * @opentelemetry/core (with the semantic conventions it requires, ≈ 250 KB of CommonJS that no
 * bundler can trim) is loaded only then.
 */
export async function startRequestTracing(tracer?: Tracer): Promise<RequestTracing> {
  if (propagation.fields().length === 0) {
    const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  return new RequestTracing(tracer);
}

/**
 * OpenTelemetry for API requests (OTEL_ENABLED): one SERVER span per request, through whatever
 * TracerProvider and propagator are registered globally. The span is the relay's own span of the
 * trace: the worker gets it as the parent in the AMQP headers, the client gets it in the response's
 * `traceparent`. What happens to the message (publish, confirm, reply, deadline) comes from the
 * request actors' inspection events (`observe`) as span events: one span per request, not a second
 * PRODUCER span, so the span the client sees is the one the worker's work hangs under.
 */
export class RequestTracing {
  /** Requests whose actor may still report, by correlation id. */
  private readonly open = new Map<string, TracedRequest>();

  constructor(private readonly tracer: Tracer = trace.getTracer('amqp-relay')) {}

  start(request: ServerRequest): TracedRequest {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const attributes: Attributes = {
      'http.request.method': request.method,
      'http.route': request.route,
      'url.path': request.path,
      'url.scheme': request.scheme,
      'messaging.system': 'rabbitmq',
    };
    const userAgent = request.headers['user-agent'];
    if (userAgent) attributes['user_agent.original'] = userAgent;
    const span = this.tracer.startSpan(`${request.method} ${request.route}`, { kind: SpanKind.SERVER, attributes }, parent);
    return new TracedRequest(span, trace.getSpanContext(parent)?.spanId, request.headers, this.open);
  }

  /**
   * At the end of a shutdown: export what the registered SDK still buffers (a BatchSpanProcessor
   * waits up to OTEL_BSP_SCHEDULE_DELAY), bounded, as an unreachable collector must not hold the exit.
   */
  async flush(timeoutMs: number): Promise<void> {
    const registered = trace.getTracerProvider();
    const provider = registered instanceof ProxyTracerProvider ? registered.getDelegate() : registered;
    const { forceFlush } = provider as { forceFlush?: () => Promise<void> };
    if (!forceFlush) return;
    await Promise.race([forceFlush.call(provider).catch(() => undefined), sleep(timeoutMs, undefined, { ref: false })]);
  }

  /** The inspection observer: request actors' steps become events on their request's span. */
  readonly observe = (e: InspectionEvent): void => {
    if (e.type !== '@xstate.snapshot' || !isRequestActor(e.actorRef)) return;
    const context = (e.snapshot as RequestSnapshotLike).context;
    const traced = context?.correlationId === undefined ? undefined : this.open.get(context.correlationId);
    const name = SPAN_EVENTS[e.event.type];
    if (!traced || !name) return;
    if (name === 'publish' && context?.message?.routingKey !== undefined) traced.span.setAttribute('messaging.destination.name', context.message.routingKey);
    traced.span.addEvent(name);
  };
}

/**
 * One API request's span, from the tracing middleware (start, `responded`) and the route (`wire`,
 * `follow`). It ends when the response is done and, for a request answered 202, when its outcome
 * has arrived too.
 */
export class TracedRequest {
  private correlationId: string | undefined;
  private outcome: RequestOutcome | undefined;
  private awaitingOutcome = false;
  private response: { readonly status: number; readonly errorCode: string | undefined } | undefined;

  constructor(
    readonly span: Span,
    private readonly parentSpanId: string | undefined,
    private readonly headers: IncomingHttpHeaders,
    private readonly open: Map<string, TracedRequest>,
  ) {}

  /** The trace headers for the worker and the response: this span, injected by the registered propagator. */
  wire(correlationId: string, kind: string): TraceHeaders {
    this.correlationId = correlationId;
    this.open.set(correlationId, this);
    this.span.setAttribute('relay.request.kind', kind);
    const spanContext = this.span.spanContext();
    // No TracerProvider registered: the API's no-op span carries the caller's span or none. The relay's span id is then its own, as with tracing off.
    if (!isSpanContextValid(spanContext) || spanContext.spanId === this.parentSpanId) {
      return ownTraceHeaders(header(this.headers.traceparent), header(this.headers.tracestate));
    }
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, this.span), carrier);
    // A propagator without W3C trace context (B3 alone, say) still owes the contract its traceparent.
    const traceparent = carrier.traceparent ?? formatTraceparent({ ...spanContext, flags: `0${spanContext.traceFlags & 1}` });
    return { traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) };
  }

  /** The request's outcome: its status goes on the span, which stays open until it arrives. */
  follow(outcome: Promise<RequestOutcome>): void {
    this.awaitingOutcome = true;
    void outcome.then((settled) => {
      this.outcome = settled;
      this.awaitingOutcome = false;
      if (this.response) this.end();
    });
  }

  /** The response is done (status final, errors rendered). */
  responded(status: number, correlationId: string, errorCode: string | undefined): void {
    this.response = { status, errorCode };
    this.span.setAttribute('messaging.message.conversation_id', correlationId);
    if (!this.awaitingOutcome) this.end();
  }

  private end(): void {
    const { span, outcome, response } = this;
    const status = response?.status ?? 0;
    const failed = outcome && !outcome.ok ? outcome : undefined;
    const code = failed?.code ?? response?.errorCode;
    span.setAttribute('http.response.status_code', status);
    span.setAttribute('relay.outcome', code ?? 'ok');
    if (code) span.setAttribute('error.type', code);
    if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: `${failed.code}: ${failed.message}` });
    else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: code ?? String(status) });
    else if (status < 400) span.setStatus({ code: SpanStatusCode.OK });
    span.end();
    if (this.correlationId !== undefined) this.open.delete(this.correlationId);
  }
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
