import type { Socket } from 'node:net';
import amqp, { type ChannelModel, type ConfirmChannel, type Message } from 'amqplib';
import { fromCallback } from 'xstate';
import type { Logger } from '../../log.ts';
import { brokerHost, describeError as describe, toDelivery, withHeartbeat } from './amqp-codec.ts';
import { declareQueues } from './declare-queues.ts';
import { watchLink } from './link-watchdog.ts';
import { type TlsMaterial, tlsSocketOptions } from './tls.ts';
import type { ChannelSpec, Delivery, OutboundMessage, Topology } from './types.ts';

/**
 * The only module that touches amqplib. One invocation = one connection attempt and, if it
 * succeeds, the life of that connection: it turns amqplib callbacks into events for the broker
 * machine and the broker's commands into amqplib calls. It never retries the connection itself:
 * the broker machine owns the retry loop. A channel that the broker closes (a channel error, a
 * cancelled consumer) is reopened here, on the same connection; the machine then publishes again
 * what that channel had not confirmed.
 */

export { brokerHost } from './amqp-codec.ts';

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
  /** CA, client certificate and key for amqps:// URLs. */
  readonly tls?: TlsMaterial;
}

export type SessionCommand =
  | { readonly type: 'amqp.publish'; readonly message: OutboundMessage }
  | { readonly type: 'amqp.ack'; readonly channel: string; readonly deliveryTag: number; readonly generation: number; readonly channelEpoch: number }
  | { readonly type: 'amqp.close' };

/**
 * Lifecycle events carry the generation of the session that sent them, so that a stale one is
 * recognisable. (Optional only for hand-made fake sessions: without it, an event counts as current.)
 */
export type SessionEvent =
  | { readonly type: 'amqp.ready'; readonly host: string; readonly urlIndex: number; readonly generation: number }
  | { readonly type: 'amqp.failed'; readonly reason: string; readonly generation: number }
  | { readonly type: 'amqp.closed'; readonly reason: string | null; readonly generation: number }
  | { readonly type: 'amqp.confirmed'; readonly id: string }
  | { readonly type: 'amqp.nacked'; readonly id: string }
  | { readonly type: 'amqp.returned'; readonly id: string; readonly replyText: string }
  | { readonly type: 'amqp.delivery'; readonly delivery: Delivery }
  | { readonly type: 'amqp.blocked'; readonly reason: string; readonly generation: number }
  | { readonly type: 'amqp.unblocked'; readonly generation: number }
  | { readonly type: 'amqp.channelReset'; readonly channel: string; readonly reason: string; readonly generation: number; readonly epoch: number };

interface OpenChannel {
  readonly spec: ChannelSpec;
  /** undefined while the channel is being (re)opened: publishes are dropped, the machine sends them again on channelReset. */
  current: ConfirmChannel | undefined;
  /** The same channel, from the moment its consumers may deliver: acknowledgements go here. */
  acking: ConfirmChannel | undefined;
  /** Which opening of this channel `current` is (0 = the first); delivery tags are only valid within one. */
  epoch: number;
  opened: number;
  /** The reason the broker gave when it closed the channel, for the log and the channelReset event. */
  lastError: string | undefined;
  /** Set when channel.publish returned false: later publishes wait here, in order, for 'drain'. */
  draining: boolean;
  held: OutboundMessage[];
}

const CHANNEL_REOPEN_DELAY_MS = 100;
const CLOSE_TIMEOUT_MS = 5_000;

function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export const amqpSession = fromCallback<SessionCommand, SessionInput, SessionEvent>(({ input, sendBack, receive }) => {
  const log = input.logger;
  const { generation } = input;
  const channels = new Map<string, OpenChannel>();
  let connection: ChannelModel | undefined;
  let stopWatching = () => {};
  let stopping = false;
  let finished = false;

  const finish = (event: SessionEvent) => {
    if (finished) return;
    finished = true;
    sendBack(event);
  };

  /**
   * RabbitMQ 3.10: a channel that published to a quorum queue while the queue had no leader (its node
   * just died) goes on nacking every later publish to that queue, while a new channel is acked. So a
   * nack reopens the channel (once per channel); what it had not confirmed is published again.
   */
  const nackedChannels = new WeakSet<ConfirmChannel>();
  const reopenAfterNack = (open: OpenChannel, ch: ConfirmChannel) => {
    if (nackedChannels.has(ch) || open.acking !== ch) return;
    nackedChannels.add(ch);
    open.lastError = 'the broker nacked a publish';
    ch.close().catch(() => {});
  };

  const send = (open: OpenChannel, ch: ConfirmChannel, message: OutboundMessage) => {
    let expiration: string | undefined;
    if (message.deadlineAt !== undefined) {
      const left = message.deadlineAt - Date.now();
      if (left <= 0) return; // nobody waits for it any more; the requester times out on its own
      expiration = String(left);
    }
    let accepted: boolean;
    try {
      accepted = ch.publish(
        message.exchange,
        message.routingKey,
        message.content,
        { ...message.properties, mandatory: message.mandatory, ...(expiration ? { expiration } : {}) },
        (err: unknown) => {
          if (!err) sendBack({ type: 'amqp.confirmed', id: message.id });
          else if (describe(err) === 'message nacked') {
            sendBack({ type: 'amqp.nacked', id: message.id });
            reopenAfterNack(open, ch);
          }
          // 'channel closed': still unconfirmed; the machine publishes it again after the reset or reconnect.
        },
      );
    } catch (err) {
      // The channel closed under us: same as above, it is published again once the channel is back.
      log.debug({ channel: open.spec.name, reason: describe(err) }, 'publish on a closing channel');
      return;
    }
    if (!accepted && !open.draining) {
      open.draining = true;
      ch.once('drain', () => {
        if (open.current !== ch) return;
        open.draining = false;
        const held = open.held;
        open.held = [];
        for (const m of held) publish(m);
      });
    }
  };

  const publish = (message: OutboundMessage) => {
    const open = channels.get(message.channel);
    if (!open) {
      log.error({ channel: message.channel }, 'publish on an unknown channel');
      sendBack({ type: 'amqp.nacked', id: message.id });
      return;
    }
    const ch = open.current;
    if (!ch) return;
    if (open.draining) open.held.push(message);
    else send(open, ch, message);
  };

  const reopenLater = (model: ChannelModel, open: OpenChannel, reason: string) => {
    setTimeout(() => {
      if (stopping || finished) return;
      openChannel(model, open).then(
        (epoch) => sendBack({ type: 'amqp.channelReset', channel: open.spec.name, reason, generation, epoch }),
        (err: unknown) => {
          log.error({ channel: open.spec.name, reason: describe(err) }, 'channel could not be reopened; dropping the connection');
          model.close().catch(() => {});
        },
      );
    }, CHANNEL_REOPEN_DELAY_MS).unref();
  };

  const openChannel = async (model: ChannelModel, open: OpenChannel): Promise<number> => {
    const { spec } = open;
    const ch = await model.createConfirmChannel();
    const epoch = open.opened++;
    ch.on('error', (err: unknown) => {
      open.lastError = describe(err);
      log.warn({ channel: spec.name, reason: open.lastError }, 'channel error');
    });
    ch.on('return', (msg: Message) => {
      const id = msg.properties.messageId as string | undefined;
      if (id) sendBack({ type: 'amqp.returned', id, replyText: (msg.fields as unknown as { replyText?: string }).replyText ?? 'unroutable' });
    });
    ch.on('close', () => {
      if (stopping || finished || connection !== model || open.acking !== ch) return;
      open.current = undefined;
      open.acking = undefined;
      open.draining = false;
      open.held = [];
      const reason = open.lastError ?? 'channel closed by the broker';
      open.lastError = undefined;
      log.warn({ channel: spec.name, reason }, 'channel closed; reopening it on the same connection');
      reopenLater(model, open, reason);
    });
    await ch.prefetch(spec.prefetch);
    await declareQueues(model, spec.queues, spec.consume, log);
    // Ackable before consuming: a delivery may be acknowledged before `consume` resolves. Publishing
    // only once consuming: what the machine sends meanwhile it sends again on channelReset.
    open.acking = ch;
    open.epoch = epoch;
    for (const queue of spec.consume) {
      await ch.consume(queue, (msg) => {
        if (msg) {
          sendBack({ type: 'amqp.delivery', delivery: toDelivery(spec.name, epoch, queue, generation, msg) });
          return;
        }
        // The broker cancelled the consumer (queue deleted, its node gone): reopen the channel, which declares and consumes again.
        open.lastError = `the broker cancelled the consumer of ${queue}`;
        log.warn({ channel: spec.name, queue }, 'consumer cancelled by the broker');
        ch.close().catch(() => {});
      });
    }
    open.current = ch;
    return epoch;
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
          ...tlsSocketOptions(url, input.tls),
        });
        return { model, index };
      } catch (err) {
        errors.push(`${brokerHost(url)}: ${describe(err)}`);
      }
      if (stopping) break;
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
    model.on('close', (err: unknown) => {
      stopWatching();
      finish({ type: 'amqp.closed', reason: err ? describe(err) : null, generation });
    });
    // amqplib's internals: the socket and the heartbeat the broker agreed to (0 = none).
    const link = model.connection as unknown as { stream?: Socket; heartbeat?: number };
    if (link.stream && link.heartbeat) {
      const { stream, heartbeat } = link;
      stopWatching = watchLink(stream, heartbeat, (silentMs) => {
        const reason = `link dead: nothing received for ${silentMs} ms (heartbeat ${heartbeat} s)`;
        log.warn({ silentMs, heartbeatSeconds: heartbeat }, 'no traffic from the broker; dropping the connection');
        finish({ type: 'amqp.closed', reason, generation });
        stream.destroy();
      });
    }
    model.on('blocked', (reason: string) => sendBack({ type: 'amqp.blocked', reason, generation }));
    model.on('unblocked', () => sendBack({ type: 'amqp.unblocked', generation }));
    for (const spec of input.topology.channels) {
      channels.set(spec.name, { spec, current: undefined, acking: undefined, epoch: 0, opened: 0, lastError: undefined, draining: false, held: [] });
    }
    try {
      for (const open of channels.values()) await openChannel(model, open);
    } catch (err) {
      finish({ type: 'amqp.failed', reason: `topology setup failed: ${describe(err)}`, generation });
      await model.close().catch(() => {});
      return;
    }
    if (!finished) sendBack({ type: 'amqp.ready', host: brokerHost(input.urls[index]!), urlIndex: index, generation });
  };

  /** Stop consuming, wait (bounded) for outstanding confirms, then close channels and the connection. */
  const closeGracefully = async () => {
    stopping = true;
    const model = connection;
    if (model) {
      for (const open of channels.values()) {
        const ch = open.acking;
        if (!ch) continue;
        await bounded(ch.waitForConfirms().catch(() => {}), CLOSE_TIMEOUT_MS);
        await bounded(ch.close().catch(() => {}), CLOSE_TIMEOUT_MS);
      }
      await bounded(model.close().catch(() => {}), CLOSE_TIMEOUT_MS);
    }
    finish({ type: 'amqp.closed', reason: null, generation });
  };

  receive((command) => {
    switch (command.type) {
      case 'amqp.publish':
        publish(command.message);
        break;
      case 'amqp.ack': {
        // A tag from an earlier connection or an earlier opening of the channel is meaningless here
        // (and acknowledging it would close the channel): that delivery is redelivered anyway.
        if (command.generation !== generation) break;
        const open = channels.get(command.channel);
        if (!open?.acking || (command.channelEpoch ?? 0) !== open.epoch) break;
        try {
          open.acking.ack({ fields: { deliveryTag: command.deliveryTag } } as Message);
        } catch {
          // closing channel: the delivery is redelivered
        }
        break;
      }
      case 'amqp.close':
        void closeGracefully();
        break;
    }
  });

  start().catch((err: unknown) => finish({ type: 'amqp.failed', reason: describe(err), generation }));

  return () => {
    stopWatching();
    stopping = true;
    finished = true;
    connection?.close().catch(() => {});
  };
});
