import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

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

/** W3C trace context: continue a valid incoming `traceparent`, or start a new trace. */
export function continueTrace(traceparent: string | undefined, tracestate: string | undefined): TraceContext {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim().toLowerCase()) : null;
  const valid = match && match[1] !== 'ff' && !/^0+$/.test(match[2]!) && !/^0+$/.test(match[3]!);
  const spanId = randomHex(8);
  if (!valid) return { traceId: randomHex(16), spanId, flags: '01' };
  return { traceId: match[2]!, spanId, flags: match[4]!, ...(tracestate ? { tracestate } : {}) };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}
