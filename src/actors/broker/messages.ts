/** Plain data that crosses the amqplib boundary: nothing here holds a live handle. */

interface PublishProperties {
  correlationId?: string;
  replyTo?: string;
  messageId?: string;
  contentType?: string;
  type?: string;
  appId?: string;
  timestamp?: number;
  deliveryMode?: 1 | 2;
  headers?: Record<string, unknown>;
}

/** A message to publish with confirms. `deadlineAt` becomes `expiration` at the moment it is sent. */
export interface OutboundMessage {
  /** Unique per message; the key its confirm, return and reply are matched by. */
  readonly id: string;
  readonly channel: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: PublishProperties;
  readonly mandatory: boolean;
  /** Epoch ms after which nobody waits for this message (sets the AMQP `expiration`). */
  readonly deadlineAt?: number;
}

export interface Delivery {
  readonly channel: string;
  readonly queue: string;
  /** Which connection delivered it: a delivery tag is only valid on its own connection. */
  readonly generation: number;
  /** Which opening of its channel delivered it: a reopened channel starts its tags again (0 = the first). */
  readonly channelEpoch: number;
  readonly deliveryTag: number;
  readonly redelivered: boolean;
  readonly content: Buffer;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly expiration: string | undefined;
  readonly timestamp: number | undefined;
}

export interface QueueSpec {
  readonly name: string;
  readonly durable: boolean;
  readonly exclusive?: boolean;
  readonly autoDelete?: boolean;
  readonly arguments?: Readonly<Record<string, unknown>>;
  /** false: only check that the queue exists (passive declare). */
  readonly declare: boolean;
}

export interface ChannelSpec {
  readonly name: string;
  /** Reopen the channel when one destination keeps nacking (the quorum-queue failover workaround in session-channel.ts). */
  readonly reopenAfterNacks?: boolean;
  readonly prefetch: number;
  readonly queues: readonly QueueSpec[];
  readonly consume: readonly string[];
}

export interface Topology {
  readonly channels: readonly ChannelSpec[];
}
