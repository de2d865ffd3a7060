import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  trace,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';

/** A finished (or still open) span as the tests read it. */
export interface RecordedSpan {
  readonly name: string;
  readonly kind: SpanKind | undefined;
  readonly context: SpanContext;
  readonly parent: SpanContext | undefined;
  readonly attributes: Attributes;
  readonly events: string[];
  status: SpanStatus | undefined;
  ended: boolean;
}

class MemorySpan implements Span {
  constructor(private readonly record: RecordedSpan) {}
  spanContext(): SpanContext {
    return this.record.context;
  }
  setAttribute(key: string, value: Attributes[string]): this {
    (this.record.attributes as Record<string, unknown>)[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.record.attributes, attributes);
    return this;
  }
  addEvent(name: string): this {
    this.record.events.push(name);
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.record.status = status;
    return this;
  }
  updateName(): this {
    return this;
  }
  end(): void {
    this.record.ended = true;
  }
  isRecording(): boolean {
    return !this.record.ended;
  }
  recordException(): void {}
}

/** A tiny in-memory TracerProvider: every span it starts is kept in `spans`. */
export class MemoryTracerProvider implements TracerProvider {
  readonly spans: RecordedSpan[] = [];

  getTracer(): Tracer {
    const start = (name: string, options: SpanOptions = {}, context?: Context): Span => {
      const parent = context ? trace.getSpanContext(context) : undefined;
      const record: RecordedSpan = {
        name,
        kind: options.kind,
        context: { traceId: parent?.traceId ?? randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'), traceFlags: 1 },
        parent,
        attributes: { ...options.attributes },
        events: [],
        status: undefined,
        ended: false,
      };
      this.spans.push(record);
      return new MemorySpan(record);
    };
    return {
      startSpan: start,
      startActiveSpan: ((name: string, ...rest: unknown[]) => {
        const fn = rest.at(-1) as (span: Span) => unknown;
        return fn(start(name));
      }),
    };
  }
}
