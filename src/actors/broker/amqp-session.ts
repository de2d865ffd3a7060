import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Message } from 'amqplib';
import { fromCallback } from 'xstate';
import type { Logger } from '../../log.ts';
import type { ChannelSpec, Delivery, OutboundMessage, Topology } from './types.ts';

/**
 * The only module that touches amqplib. One invocation = one connection attempt and, if it
 * succeeds, the life of that connection: it turns amqplib callbacks into events for the broker
 * machine and the broker's commands into amqplib calls. It never retries the connection itself:
 * the broker machine owns the retry loop.
 */

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
}

export type SessionCommand =
  | { readonly type: 'amqp.publish'; readonly message: OutboundMessage }
  | { readonly type: 'amqp.ack'; readonly channel: string; readonly deliveryTag: number; readonly generation: number }
  | { readonly type: 'amqp.close' };

export type SessionEvent =
  | { readonly type: 'amqp.ready'; readonly host: string; readonly urlIndex: number }
  | { readonly type: 'amqp.failed'; readonly reason: string }
  | { readonly type: 'amqp.closed'; readonly reason: string | null }
  | { readonly type: 'amqp.confirmed'; readonly id: string }
  | { readonly type: 'amqp.nacked'; readonly id: string }
  | { readonly type: 'amqp.returned'; readonly id: string; readonly replyText: string }
  | { readonly type: 'amqp.delivery'; readonly delivery: Delivery }
  | { readonly type: 'amqp.blocked'; readonly reason: string }
  | { readonly type: 'amqp.unblocked' }
  | { readonly type: 'amqp.channelReset'; readonly channel: string; readonly reason: string };

interface OpenChannel {
  readonly spec: ChannelSpec;
  /** undefined while the channel is being (re)opened; publishes wait in `waiting`. */
  current: ConfirmChannel | undefined;
  waiting: OutboundMessage[];
}

/** Host and port of a broker URL, for logs and /readyz: never the credentials. */
export function brokerHost(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.hostname}:${url.port || (url.protocol === 'amqps:' ? '5671' : '5672')}`;
  } catch {
    return '<invalid url>';
  }
}

function withHeartbeat(raw: string, seconds: number): string {
  const url = new URL(raw);
  if (!url.searchParams.has('heartbeat')) url.searchParams.set('heartbeat', String(seconds));
  return url.toString();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toDelivery(channel: string, queue: string, generation: number, msg: ConsumeMessage): Delivery {
  const p = msg.properties;
  return {
    channel,
    queue,
    generation,
    deliveryTag: msg.fields.deliveryTag,
    redelivered: msg.fields.redelivered,
    content: msg.content,
    correlationId: p.correlationId ?? undefined,
    replyTo: p.replyTo ?? undefined,
    messageId: p.messageId ?? undefined,
    type: p.type ?? undefined,
    headers: (p.headers as Record<string, unknown> | undefined) ?? {},
    expiration: p.expiration ?? undefined,
    timestamp: p.timestamp ?? undefined,
  };
}

export const amqpSession = fromCallback<SessionCommand, SessionInput, SessionEvent>(({ input, sendBack, receive }) => {
  const log = input.logger;
  const channels = new Map<string, OpenChannel>();
  let connection: ChannelModel | undefined;
  let stopping = false;
  let finished = false;

  const finish = (event: SessionEvent) => {
    if (finished) return;
    finished = true;
    sendBack(event);
  };

  const publish = (message: OutboundMessage) => {
    const open = channels.get(message.channel);
    if (!open) {
      log.error({ channel: message.channel }, 'publish on an unknown channel');
      sendBack({ type: 'amqp.nacked', id: message.id });
      return;
    }
    const ch = open.current;
    if (!ch) {
      open.waiting.push(message);
      return;
    }
    let expiration: string | undefined;
    if (message.deadlineAt !== undefined) {
      const left = message.deadlineAt - Date.now();
      if (left <= 0) return; // nobody waits for it any more; the requester times out on its own
      expiration = String(left);
    }
    ch.publish(
      message.exchange,
      message.routingKey,
      message.content,
      { ...message.properties, mandatory: message.mandatory, ...(expiration ? { expiration } : {}) },
      (err: unknown) => {
        if (!err) sendBack({ type: 'amqp.confirmed', id: message.id });
        else if (describe(err) === 'message nacked') sendBack({ type: 'amqp.nacked', id: message.id });
        // 'channel closed': the message is unconfirmed and the broker publishes it again.
      },
    );
  };

  const openChannel = async (model: ChannelModel, open: OpenChannel) => {
    const { spec } = open;
    const ch = await model.createConfirmChannel();
    ch.on('error', (err: unknown) => log.warn({ channel: spec.name, reason: describe(err) }, 'channel error'));
    ch.on('return', (msg: Message) => {
      const id = msg.properties.messageId as string | undefined;
      if (id) sendBack({ type: 'amqp.returned', id, replyText: (msg.fields as unknown as { replyText?: string }).replyText ?? 'unroutable' });
    });
    ch.on('close', () => {
      if (stopping || finished || connection !== model || open.current !== ch) return;
      open.current = undefined;
      const reason = 'channel closed by the broker';
      log.warn({ channel: spec.name }, 'channel closed; reopening it on the same connection');
      setTimeout(() => {
        if (stopping || finished) return;
        openChannel(model, open).then(
          () => sendBack({ type: 'amqp.channelReset', channel: spec.name, reason }),
          (err: unknown) => {
            log.error({ channel: spec.name, reason: describe(err) }, 'channel could not be reopened; dropping the connection');
            model.close().catch(() => {});
          },
        );
      }, 100).unref();
    });
    await ch.prefetch(spec.prefetch);
    for (const q of spec.queues) {
      const args = { durable: q.durable, exclusive: q.exclusive ?? false, autoDelete: q.autoDelete ?? false, arguments: q.arguments };
      if (q.declare) await ch.assertQueue(q.name, args);
      else await ch.checkQueue(q.name);
    }
    for (const queue of spec.consume) {
      await ch.consume(queue, (msg) => {
        if (msg) sendBack({ type: 'amqp.delivery', delivery: toDelivery(spec.name, queue, input.generation, msg) });
      });
    }
    open.current = ch;
    const waiting = open.waiting;
    open.waiting = [];
    for (const message of waiting) publish(message);
  };

  const connectFirstAvailable = async (): Promise<{ model: ChannelModel; index: number }> => {
    const errors: string[] = [];
    for (let i = 0; i < input.urls.length; i++) {
      const index = (input.firstUrl + i) % input.urls.length;
      const url = input.urls[index]!;
      try {
        const model = await amqp.connect(withHeartbeat(url, input.heartbeatSeconds), {
          noDelay: true,
          keepAlive: true,
          keepAliveDelay: 5_000,
          timeout: input.connectTimeoutMs,
          clientProperties: { connection_name: input.connectionName },
        });
        return { model, index };
      } catch (err) {
        errors.push(`${brokerHost(url)}: ${describe(err)}`);
      }
    }
    throw new Error(errors.join('; '));
  };

  const start = async () => {
    const { model, index } = await connectFirstAvailable();
    connection = model;
    if (stopping) {
      await model.close().catch(() => {});
      return;
    }
    model.on('error', (err: unknown) => log.warn({ reason: describe(err) }, 'connection error'));
    model.on('close', (err: unknown) => finish({ type: 'amqp.closed', reason: err ? describe(err) : null }));
    model.on('blocked', (reason: string) => sendBack({ type: 'amqp.blocked', reason }));
    model.on('unblocked', () => sendBack({ type: 'amqp.unblocked' }));
    for (const spec of input.topology.channels) {
      const open: OpenChannel = { spec, current: undefined, waiting: [] };
      channels.set(spec.name, open);
    }
    try {
      for (const open of channels.values()) await openChannel(model, open);
    } catch (err) {
      finish({ type: 'amqp.failed', reason: `topology setup failed: ${describe(err)}` });
      await model.close().catch(() => {});
      return;
    }
    if (!finished) sendBack({ type: 'amqp.ready', host: brokerHost(input.urls[index]!), urlIndex: index });
  };

  /** Stop consuming, wait for outstanding confirms, then close channels and the connection. */
  const closeGracefully = async () => {
    stopping = true;
    const model = connection;
    if (model) {
      for (const open of channels.values()) {
        const ch = open.current;
        if (!ch) continue;
        try {
          await ch.waitForConfirms();
          await ch.close();
        } catch {
          // already closed
        }
      }
      await model.close().catch(() => {});
    }
    finish({ type: 'amqp.closed', reason: null });
  };

  receive((command) => {
    switch (command.type) {
      case 'amqp.publish':
        publish(command.message);
        break;
      case 'amqp.ack': {
        // A tag from an earlier connection is meaningless here (and would close the channel).
        if (command.generation !== input.generation) break;
        channels.get(command.channel)?.current?.ack({ fields: { deliveryTag: command.deliveryTag } } as Message);
        break;
      }
      case 'amqp.close':
        void closeGracefully();
        break;
    }
  });

  start().catch((err: unknown) => finish({ type: 'amqp.failed', reason: describe(err) }));

  return () => {
    stopping = true;
    finished = true;
    connection?.close().catch(() => {});
  };
});
