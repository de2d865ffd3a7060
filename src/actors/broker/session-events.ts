import type { Logger } from '../../log.ts';
import type { OutboundMessage, Delivery, Topology } from './messages.ts';
import type { TlsMaterial } from './tls.ts';

/** The amqpSession actor's input, commands and events: the plain-data boundary around amqplib. */

export interface SessionInput {
  readonly urls: readonly string[];
  /** Which URL to try first; the others follow in turn. */
  readonly firstUrl: number;
  readonly heartbeatSeconds: number;
  readonly connectTimeoutMs: number;
  readonly topology: Topology;
  readonly generation: number;
  readonly connectionName: string;
  readonly logger: Logger;
  readonly tls?: TlsMaterial;
}

export type SessionCommand =
  | { readonly type: 'amqp.publish'; readonly messages: readonly OutboundMessage[] }
  | { readonly type: 'amqp.ack'; readonly channel: string; readonly deliveryTag: number; readonly generation: number; readonly channelEpoch: number }
  | { readonly type: 'amqp.close' };

/** Lifecycle events carry the generation of the session that sent them, so that a stale one is recognisable. */
export type SessionEvent =
  | { readonly type: 'amqp.ready'; readonly host: string; readonly urlIndex: number; readonly generation: number }
  | { readonly type: 'amqp.failed'; readonly reason: string; readonly generation: number }
  | { readonly type: 'amqp.closed'; readonly reason: string | null; readonly generation: number }
  /** Messages the broker confirmed, as one event per burst (one incoming frame may confirm many). */
  | { readonly type: 'amqp.confirmed'; readonly ids: readonly string[] }
  /** The broker refused the message (nack), or amqplib could not even encode it (e.g. a name over 255 bytes). */
  | { readonly type: 'amqp.nacked'; readonly id: string; readonly reason: string }
  | { readonly type: 'amqp.returned'; readonly id: string; readonly replyText: string }
  /** What the consumers received, as one event per burst (one socket read may carry many). */
  | { readonly type: 'amqp.deliveries'; readonly deliveries: readonly Delivery[] }
  | { readonly type: 'amqp.blocked'; readonly reason: string; readonly generation: number }
  | { readonly type: 'amqp.unblocked'; readonly generation: number }
  | { readonly type: 'amqp.channelReset'; readonly channel: string; readonly reason: string; readonly generation: number; readonly epoch: number };
