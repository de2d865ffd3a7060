import { replyQueueName } from '../../config/load-config.ts';
import { addressableOwnerOf, isAddressableInstance, ownerOf } from '../../requests/correlation-id.ts';
import { asyncResultJson, LOOKUP_ANSWER_TYPE, LOOKUP_DEADLINE_MS, LOOKUP_TYPE, type AsyncResult, type LookupAnswer, lookedUpId } from '../../requests/lookup.ts';
import type { Delivery, OutboundMessage } from './messages.ts';
import type { DropReason, PendingEntry, PendingMessages } from './pending.ts';

export interface ReplyRouting {
  /** This relay instance: the prefix of every correlation id it issues. */
  readonly instanceId: string;
  /** Queues that carry replies (this instance's reply queue, the shared crawling response queue). */
  readonly queues: readonly string[];
  /** The channel that forwards replies owned by another instance. */
  readonly forwardChannel: string;
  /**
   * The state of an async result this instance owns, for another instance's lookup: a synchronous,
   * in-memory read (it runs inside the broker actor). Without it every lookup is answered `unknown`.
   */
  readonly answerLookup?: (correlationId: string) => AsyncResult | undefined;
}

export type DeliveryDecision =
  | { readonly kind: 'reply'; readonly entry: PendingEntry }
  | { readonly kind: 'forward'; readonly message: OutboundMessage }
  /** Another instance's lookup of a result we own: the answer to publish, acknowledging the lookup once confirmed. */
  | { readonly kind: 'answer'; readonly message: OutboundMessage }
  | { readonly kind: 'drop'; readonly reason: DropReason }
  | { readonly kind: 'work' };

/** Decides what a consumed message is: a reply for us, someone else's reply to pass on, junk, or work. */
export function decideDelivery(delivery: Delivery, routing: ReplyRouting | undefined, pending: PendingMessages): DeliveryDecision {
  if (!routing || !routing.queues.includes(delivery.queue)) return { kind: 'work' };
  if (delivery.type === LOOKUP_TYPE) return decideLookup(delivery, routing);
  const id = delivery.correlationId;
  if (id === undefined || id === '') return { kind: 'drop', reason: 'unforwardable' };
  const entry = pending.get(id);
  if (entry?.expectReply) return { kind: 'reply', entry };
  const owner = ownerOf(id);
  if (owner && owner !== routing.instanceId && delivery.queue !== replyQueueName(routing.instanceId)) {
    if (!isAddressableInstance(owner)) return { kind: 'drop', reason: 'unforwardable' };
    return { kind: 'forward', message: forwardOf(delivery, owner, routing.forwardChannel) };
  }
  return { kind: 'drop', reason: pending.dropReason(id) };
}

/**
 * A lookup is answered only from this instance's own reply queue (never passed on: a lookup that
 * reaches another queue was misaddressed), and only to the asker's reply queue, the one its
 * correlation id names: the relay never publishes a result to an arbitrary queue.
 */
function decideLookup(delivery: Delivery, routing: ReplyRouting): DeliveryDecision {
  if (delivery.queue !== replyQueueName(routing.instanceId)) return { kind: 'drop', reason: 'unforwardable' };
  const asker = addressableOwnerOf(delivery.correlationId);
  if (asker === undefined || delivery.replyTo !== replyQueueName(asker)) return { kind: 'drop', reason: 'unforwardable' };
  const id = lookedUpId(delivery.content);
  const state = id === undefined ? undefined : routing.answerLookup?.(id);
  return { kind: 'answer', message: answerOf(delivery, delivery.replyTo, state ?? { status: 'unknown' }, routing.forwardChannel) };
}

function answerOf(lookup: Delivery, replyTo: string, answer: LookupAnswer, channel: string): OutboundMessage {
  const id = `lookup-answer.${lookup.generation}.${lookup.channel}.${lookup.channelEpoch}.${lookup.deliveryTag}`;
  return {
    id,
    channel,
    exchange: '',
    routingKey: replyTo,
    content: Buffer.from(asyncResultJson(answer)),
    // An asker that is gone has nobody to tell: the answer is dropped by the broker, not returned.
    mandatory: false,
    deadlineAt: Date.now() + LOOKUP_DEADLINE_MS,
    properties: {
      correlationId: lookup.correlationId,
      messageId: id,
      type: LOOKUP_ANSWER_TYPE,
      contentType: 'application/json',
      deliveryMode: 1,
    },
  };
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
