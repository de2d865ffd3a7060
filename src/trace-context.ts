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
