import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export interface ParsedTraceparent {
  readonly traceId: string;
  readonly spanId: string;
  readonly flags: string;
}

/** A W3C `traceparent` header, if it is a valid one (version ff and all-zero ids are not). */
export function parseTraceparent(header: string | undefined): ParsedTraceparent | undefined {
  const match = header ? TRACEPARENT.exec(header.trim().toLowerCase()) : null;
  if (!match || match[1] === 'ff' || /^0+$/.test(match[2]!) || /^0+$/.test(match[3]!)) return undefined;
  return { traceId: match[2]!, spanId: match[3]!, flags: match[4]! };
}

export interface TraceContext {
  readonly traceId: string;
  /** The relay's own span: the parent of whatever the worker does. */
  readonly spanId: string;
  readonly flags: string;
  readonly tracestate?: string;
}

/** Random hex from a pooled buffer: one randomFillSync per 4 KB rather than one per id (it showed in the hot path profile). */
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;
function randomHex(bytes: number): string {
  if (randomOffset + bytes > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomOffset += bytes;
  return randomPool.toString('hex', randomOffset - bytes, randomOffset);
}

/** W3C trace context without a tracer: continue a valid incoming `traceparent` with a span id of our own, or start a new trace. */
export function continueTrace(traceparent: string | undefined, tracestate: string | undefined): TraceContext {
  const parent = parseTraceparent(traceparent);
  const spanId = randomHex(8);
  if (!parent) return { traceId: randomHex(16), spanId, flags: '01' };
  return { traceId: parent.traceId, spanId, flags: parent.flags, ...(tracestate ? { tracestate } : {}) };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}

/** The `traceparent` (and `tracestate`) the relay passes on when no tracer makes a span: the caller's trace, a span id of its own. */
export function ownTraceHeaders(traceparent: string | undefined, tracestate: string | undefined): { readonly traceparent: string; readonly tracestate?: string } {
  const trace = continueTrace(traceparent, tracestate);
  return trace.tracestate ? { traceparent: formatTraceparent(trace), tracestate: trace.tracestate } : { traceparent: formatTraceparent(trace) };
}
