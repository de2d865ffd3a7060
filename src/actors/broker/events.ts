import type { AnyActorRef } from 'xstate';
import type { SessionEvent } from './session-events.ts';
import type { Delivery, OutboundMessage } from './messages.ts';

export interface PublishCommand {
  readonly type: 'broker.publish';
  readonly message: OutboundMessage;
  /** Receives broker.confirmed / broker.rejected / broker.reply (and broker.queued / broker.sent) for this message. */
  readonly notify?: AnyActorRef;
  /** Keep the message pending after its confirm until a reply with its id arrives. */
  readonly expectReply?: boolean;
  /** Acknowledge this delivery once the message is confirmed (a worker's reply, a forward). */
  readonly ackOnConfirm?: Delivery;
}

/** Commands to the broker actor. */
export type BrokerCommand =
  | PublishCommand
  /** Every request published in one event-loop turn, as one event. */
  | { readonly type: 'broker.publishBatch'; readonly commands: readonly PublishCommand[] }
  | { readonly type: 'broker.cancel'; readonly id: string }
  | { readonly type: 'broker.ack'; readonly delivery: Delivery }
  | { readonly type: 'broker.close' };

export type BrokerEvent = BrokerCommand | SessionEvent;

/** What the broker tells whoever asked it to publish. */
export type BrokerNotice =
  | { readonly type: 'broker.confirmed'; readonly id: string }
  /** Kept in the outbox (no connection): not written yet. */
  | { readonly type: 'broker.queued'; readonly id: string }
  /** Taken out of the outbox and written to a connection. */
  | { readonly type: 'broker.sent'; readonly id: string }
  | { readonly type: 'broker.rejected'; readonly id: string; readonly code: 'NO_ROUTE' | 'BROKER_UNAVAILABLE'; readonly message: string }
  | { readonly type: 'broker.reply'; readonly id: string; readonly delivery: Delivery };
