import { replyQueueName } from '../../config/load-config.ts';
import { ownerOf } from '../../requests/correlation-id.ts';
import type { Delivery, OutboundMessage } from './messages.ts';
import type { DropReason, PendingEntry, PendingMessages } from './pending.ts';

export interface ReplyRouting {
  /** This relay instance: the prefix of every correlation id it issues. */
  readonly instanceId: string;
  /** Queues that carry replies (this instance's reply queue, the shared crawling response queue). */
  readonly queues: readonly string[];
  /** The channel that forwards replies owned by another instance. */
  readonly forwardChannel: string;
}

export type DeliveryDecision =
  | { readonly kind: 'reply'; readonly entry: PendingEntry }
  | { readonly kind: 'forward'; readonly message: OutboundMessage }
  | { readonly kind: 'drop'; readonly reason: DropReason }
  | { readonly kind: 'work' };

/** AMQP short strings (queue names, routing keys) are at most 255 bytes. */
const MAX_SHORT_STRING_BYTES = 255;
/** What a relay instance id may be (RELAY_INSTANCE_ID): anything else was never issued by a relay. */
const INSTANCE_ID = /^[A-Za-z0-9_-]+$/;

function isForwardableOwner(owner: string): boolean {
  return INSTANCE_ID.test(owner) && Buffer.byteLength(replyQueueName(owner)) <= MAX_SHORT_STRING_BYTES;
}

/** Decides what a consumed message is: a reply for us, someone else's reply to pass on, junk, or work. */
export function decideDelivery(delivery: Delivery, routing: ReplyRouting | undefined, pending: PendingMessages): DeliveryDecision {
  if (!routing || !routing.queues.includes(delivery.queue)) return { kind: 'work' };
  const id = delivery.correlationId;
  if (id === undefined || id === '') return { kind: 'drop', reason: 'unforwardable' };
  const entry = pending.get(id);
  if (entry?.expectReply) return { kind: 'reply', entry };
  const owner = ownerOf(id);
  if (owner && owner !== routing.instanceId && delivery.queue !== replyQueueName(routing.instanceId)) {
    if (!isForwardableOwner(owner)) return { kind: 'drop', reason: 'unforwardable' };
    return { kind: 'forward', message: forwardOf(delivery, owner, routing.forwardChannel) };
  }
  return { kind: 'drop', reason: pending.dropReason(id) };
}

function forwardOf(delivery: Delivery, owner: string, channel: string): OutboundMessage {
  const id = `forward.${delivery.generation}.${delivery.channel}.${delivery.channelEpoch}.${delivery.deliveryTag}`;
  return {
    id,
    channel,
    exchange: '',
    routingKey: replyQueueName(owner),
    content: delivery.content,
    mandatory: true,
    properties: {
      correlationId: delivery.correlationId,
      // A return is matched to its pending entry by messageId, so the forward carries its own id;
      // the worker's messageId and type are kept in headers, and `type: forward` tells the owner it was passed on.
      messageId: id,
      type: 'forward',
      headers: { ...delivery.headers, 'x-forwarded-type': delivery.type ?? null, 'x-forwarded-message-id': delivery.messageId ?? null },
      deliveryMode: 2,
      contentType: 'application/json',
    },
  };
}
