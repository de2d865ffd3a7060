import type { AnyActorRef } from 'xstate';
import type { Logger } from '../../log.ts';
import type { SessionCommand } from './amqp-session.ts';
import type { BrokerCommand, BrokerNotice } from './events.ts';
import type { DropReason, PendingMessages } from './pending.ts';
import type { ReplyRouting } from './routing.ts';
import type { TlsMaterial } from './tls.ts';
import type { Delivery, Topology } from './types.ts';

/** The broker machine's input and context, and the small effects its actions share. */

export interface BrokerObserver {
  stateChanged?(state: BrokerStateName): void;
  replyDropped?(reason: DropReason): void;
  published?(outcome: 'confirmed' | 'nacked' | 'returned'): void;
}

export interface BrokerInput {
  readonly urls: readonly string[];
  readonly heartbeatSeconds: number;
  readonly connectTimeoutMs?: number;
  readonly topology: Topology;
  readonly reconnect: { readonly baseMs: number; readonly maxMs: number };
  readonly maxBuffered: number;
  readonly connectionName: string;
  readonly logger: Logger;
  /** CA, client certificate and key for amqps:// URLs. */
  readonly tls?: TlsMaterial;
  /** Queues whose deliveries are replies, matched to pending requests by correlation id. */
  readonly replies?: ReplyRouting;
  /** Everything else that is consumed (workers): the handler acks with broker.ack or a reply's ackOnConfirm. */
  readonly onDelivery?: (delivery: Delivery, broker: AnyActorRef) => void;
  readonly observer?: BrokerObserver;
}

export interface BrokerContext extends BrokerInput {
  readonly pending: PendingMessages;
  readonly generation: number;
  /** Failed attempts since the last successful connection (drives the backoff). */
  readonly attempt: number;
  readonly firstUrl: number;
  readonly reconnects: number;
  readonly connectedTo: string | null;
  readonly lastError: string | null;
  /** The latest opening of each channel on the current connection (see Delivery.channelEpoch). */
  readonly epochs: Map<string, number>;
}

export type BrokerStateName = 'connecting' | 'connected' | 'blocked' | 'closing' | 'reconnecting' | 'closed';

export type PublishCommand = Extract<BrokerCommand, { type: 'broker.publish' }>;

export function notify(ref: AnyActorRef | undefined, notice: BrokerNotice): void {
  ref?.send(notice);
}

export function toSession(self: AnyActorRef, command: SessionCommand): void {
  (self.getSnapshot().children as Record<string, AnyActorRef | undefined>).session?.send(command);
}

export function ack(self: AnyActorRef, delivery: Delivery): void {
  toSession(self, { type: 'amqp.ack', channel: delivery.channel, deliveryTag: delivery.deliveryTag, generation: delivery.generation, channelEpoch: delivery.channelEpoch });
}

/**
 * A delivery from an earlier connection, or an earlier opening of its channel: it can no longer be
 * acknowledged, and the broker delivers it again. A newer epoch than the one known is current:
 * its channel's consumer starts before the channelReset event arrives.
 */
export function isStale(context: BrokerContext, delivery: Delivery): boolean {
  return delivery.generation < context.generation || delivery.channelEpoch < (context.epochs.get(delivery.channel) ?? 0);
}

export function toPending(command: PublishCommand) {
  return { message: command.message, notify: command.notify, expectReply: command.expectReply ?? false, ackOnConfirm: command.ackOnConfirm };
}

/** A reply or forward whose delivery is stale is dropped: publishing it would only duplicate the answer to the redelivery. */
export function dropsStaleAck(context: BrokerContext, command: PublishCommand): boolean {
  if (!command.ackOnConfirm || !isStale(context, command.ackOnConfirm)) return false;
  context.logger.debug({ id: command.message.id }, 'reply to a delivery of an earlier connection dropped; it is redelivered');
  return true;
}

export function publishNow(context: BrokerContext, self: AnyActorRef, command: PublishCommand): void {
  if (dropsStaleAck(context, command)) return;
  context.pending.add(toPending(command), 'sent');
  toSession(self, { type: 'amqp.publish', message: command.message });
}
