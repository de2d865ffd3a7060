import type { ConsumeMessage } from 'amqplib';
import type { BrokerContext, SessionLink } from './broker.context.ts';
import type { Delivery } from './messages.ts';

/** A consumed message as plain data (no amqplib object crosses into the machine). */
/** amqplib types message properties as `any`: a property is taken only when it has its AMQP type. */
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function toDelivery(channel: string, channelEpoch: number, queue: string, generation: number, msg: ConsumeMessage): Delivery {
  const p = msg.properties;
  return {
    channel,
    channelEpoch,
    queue,
    generation,
    deliveryTag: msg.fields.deliveryTag,
    redelivered: msg.fields.redelivered,
    content: msg.content,
    correlationId: text(p.correlationId),
    replyTo: text(p.replyTo),
    messageId: text(p.messageId),
    type: text(p.type),
    headers: p.headers ?? {},
    expiration: text(p.expiration),
    timestamp: typeof p.timestamp === 'number' ? p.timestamp : undefined,
  };
}

export function ack(session: SessionLink, delivery: Delivery): void {
  session?.send({ type: 'amqp.ack', channel: delivery.channel, deliveryTag: delivery.deliveryTag, generation: delivery.generation, channelEpoch: delivery.channelEpoch });
}

/**
 * A delivery from an earlier connection, or an earlier opening of its channel: it can no longer be
 * acknowledged, and the broker delivers it again. A newer epoch than the one known is current:
 * its channel's consumer starts before the channelReset event arrives.
 */
export function isStale(context: BrokerContext, delivery: Delivery): boolean {
  return delivery.generation < context.generation || delivery.channelEpoch < (context.epochs.get(delivery.channel) ?? 0);
}
