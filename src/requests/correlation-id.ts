import { randomUUID } from 'node:crypto';
import { replyQueueName } from '../config/load-config.ts';

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

/** AMQP short strings (queue names, routing keys) are at most 255 bytes. */
const MAX_SHORT_STRING_BYTES = 255;
/** What a relay instance id may be (RELAY_INSTANCE_ID): anything else was never issued by a relay. */
const INSTANCE_ID = /^[A-Za-z0-9_-]+$/;

/** True when `owner` could be a relay instance: a valid id whose reply queue name is a valid AMQP short string. */
export function isAddressableInstance(owner: string): boolean {
  return INSTANCE_ID.test(owner) && Buffer.byteLength(replyQueueName(owner)) <= MAX_SHORT_STRING_BYTES;
}

/** The owner of a correlation id when a message can be addressed to it (its reply queue); else undefined. */
export function addressableOwnerOf(correlationId: string | undefined): string | undefined {
  const owner = ownerOf(correlationId);
  return owner !== undefined && isAddressableInstance(owner) ? owner : undefined;
}
