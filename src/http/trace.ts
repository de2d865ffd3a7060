import { randomBytes } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface TraceContext {
  readonly traceId: string;
  /** The relay's own span: the parent of whatever the worker does. */
  readonly spanId: string;
  readonly flags: string;
  readonly tracestate?: string;
}

/** W3C trace context: continue a valid incoming `traceparent`, or start a new trace. */
export function continueTrace(traceparent: string | undefined, tracestate: string | undefined): TraceContext {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const valid = match && match[1] !== 'ff' && !/^0+$/.test(match[2]!) && !/^0+$/.test(match[3]!);
  const spanId = randomBytes(8).toString('hex');
  if (!valid) return { traceId: randomBytes(16).toString('hex'), spanId, flags: '01' };
  return { traceId: match[2]!, spanId, flags: match[4]!, ...(tracestate ? { tracestate } : {}) };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}
