import { randomFillSync } from 'node:crypto';
import { parseTraceparent } from '../trace-context.ts';


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
  const parent = parseTraceparent(traceparent);
  const spanId = randomHex(8);
  if (!parent) return { traceId: randomHex(16), spanId, flags: '01' };
  return { traceId: parent.traceId, spanId, flags: parent.flags, ...(tracestate ? { tracestate } : {}) };
}

export function formatTraceparent(trace: TraceContext): string {
  return `00-${trace.traceId}-${trace.spanId}-${trace.flags}`;
}
