import type { ConfirmChannel } from 'amqplib';
import type { OutboundMessage } from './messages.ts';

/** amqplib's basic.publish method fields and basic properties, in one object, as its `publish` builds them. */
export interface PublishFields {
  readonly exchange: string;
  readonly routingKey: string;
  readonly mandatory: boolean;
  readonly immediate: false;
  readonly ticket: undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly deliveryMode: 1 | 2 | undefined;
  readonly priority: undefined;
  readonly correlationId: string | undefined;
  readonly replyTo: string | undefined;
  readonly expiration: string | undefined;
  readonly messageId: string | undefined;
  readonly timestamp: number | undefined;
  readonly type: string | undefined;
  readonly userId: undefined;
  readonly appId: string | undefined;
  readonly clusterId: undefined;
}

/** The two steps of amqplib's ConfirmChannel.publish (amqplib 2.x; not in its typings). */
interface ConfirmChannelSteps {
  sendMessage(fields: PublishFields, properties: PublishFields, content: Buffer): boolean;
  pushConfirmCallback(callback: (err: unknown) => void): void;
}

/**
 * What amqplib's `publish(exchange, routingKey, content, options)` sends for the message, with the
 * message's own headers object as the headers table: amqplib would make it the prototype of a new
 * object instead (`Object.create(options.headers)`), a new prototype per message for V8.
 */
export function publishFields(message: OutboundMessage, expiration: string | undefined): PublishFields {
  const p = message.properties;
  return {
    exchange: message.exchange,
    routingKey: message.routingKey,
    mandatory: message.mandatory,
    immediate: false,
    ticket: undefined,
    contentType: p.contentType,
    contentEncoding: undefined,
    headers: p.headers ?? {},
    deliveryMode: p.deliveryMode,
    priority: undefined,
    correlationId: p.correlationId,
    replyTo: p.replyTo,
    expiration,
    messageId: p.messageId,
    timestamp: p.timestamp,
    type: p.type,
    userId: undefined,
    appId: p.appId,
    clusterId: undefined,
  };
}

function hasSteps(channel: object): channel is ConfirmChannelSteps {
  const steps = channel as Partial<ConfirmChannelSteps>;
  return typeof steps.sendMessage === 'function' && typeof steps.pushConfirmCallback === 'function';
}

/**
 * Publishes with a confirm callback, as `channel.publish(…, callback)` does, through its two steps
 * with the fields above: that costs V8 no new prototype (and its maps) per message. An amqplib
 * without those steps gets the same message through `publish`. Returns false when the channel
 * wants a 'drain' first; throws where `publish` throws (a closed channel, a field it cannot encode).
 */
export function publishWithConfirm(channel: ConfirmChannel, message: OutboundMessage, expiration: string | undefined, onConfirm: (err: unknown) => void): boolean {
  if (!hasSteps(channel)) {
    const options = { ...message.properties, mandatory: message.mandatory, ...(expiration ? { expiration } : {}) };
    return channel.publish(message.exchange, message.routingKey, message.content, options, onConfirm);
  }
  const fields = publishFields(message, expiration);
  const accepted = channel.sendMessage(fields, fields, message.content);
  channel.pushConfirmCallback(onConfirm);
  return accepted;
}
