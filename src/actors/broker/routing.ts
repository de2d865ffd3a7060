import { replyQueueName } from '../../config/index.ts';
import type { DropReason, PendingEntry, PendingMessages } from './pending.ts';
import type { Delivery, OutboundMessage } from './types.ts';

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

/** The instance that issued a correlation id (`<instanceId>.<unique part>`), if it has that shape. */
export function ownerOf(correlationId: string | undefined): string | undefined {
  if (!correlationId) return undefined;
  const dot = correlationId.indexOf('.');
  return dot > 0 ? correlationId.slice(0, dot) : undefined;
}

/** Decides what a consumed message is: a reply for us, someone else's reply to pass on, junk, or work. */
export function decideDelivery(delivery: Delivery, routing: ReplyRouting | undefined, pending: PendingMessages): DeliveryDecision {
  if (!routing || !routing.queues.includes(delivery.queue)) return { kind: 'work' };
  const id = delivery.correlationId;
  if (id === undefined) return { kind: 'drop', reason: 'unknown' };
  const entry = pending.get(id);
  if (entry?.expectReply) return { kind: 'reply', entry };
  const owner = ownerOf(id);
  const ownQueue = replyQueueName(routing.instanceId);
  if (owner && owner !== routing.instanceId && delivery.queue !== ownQueue) {
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
