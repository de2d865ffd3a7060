import { randomUUID } from 'node:crypto';

/** A correlation id: `<instanceId>.<uuid>`, minted once per request at the HTTP edge. */
export function newCorrelationId(instanceId: string): string {
  return `${instanceId}.${randomUUID()}`;
}

/** The instance that issued a correlation id, if it has that shape. */
export function ownerOf(correlationId: string | undefined): string | undefined {
  if (!correlationId) return undefined;
  const dot = correlationId.indexOf('.');
  return dot > 0 ? correlationId.slice(0, dot) : undefined;
}
