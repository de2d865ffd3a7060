import type { AnyActorRef } from 'xstate';
import type { Logger } from '../../log.ts';
import type { Delivery, Topology } from './messages.ts';
import type { DropReason, PendingMessages } from './pending.ts';
import type { ReplyRouting } from './routing.ts';
import type { SessionCommand } from './session-events.ts';
import type { TlsMaterial } from './tls.ts';

/** The broker machine's input and context. */

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

/** The invoked amqpSession, as the machine's effects talk to it (absent between connections). */
export type SessionLink = { send(command: SessionCommand): void } | undefined;
