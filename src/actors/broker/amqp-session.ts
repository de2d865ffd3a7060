import type { ChannelModel } from 'amqplib';
import { fromCallback } from 'xstate';
import { Batch } from '../../batch.ts';
import { brokerHost, describeError } from './broker-url.ts';
import { coalesceWrites, connectFirstAvailable, dropFramesOnClosedChannels, internalsOf } from './connection.ts';
import { watchLink } from './link-watchdog.ts';
import { type ChannelHost, SessionChannel } from './session-channel.ts';
import type { Delivery } from './messages.ts';
import type { SessionCommand, SessionEvent, SessionInput } from './session-events.ts';

/**
 * One invocation = one connection attempt and, if it succeeds, the life of that connection: it
 * turns amqplib callbacks into events for the broker machine and the broker's commands into
 * amqplib calls. It never retries the connection itself: the broker machine owns the retry loop.
 * A channel that the broker closes is reopened on the same connection (SessionChannel); the
 * machine then publishes again what that channel had not confirmed.
 */

const CLOSE_TIMEOUT_MS = 5_000;

function bounded<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export const amqpSession = fromCallback<SessionCommand, SessionInput, SessionEvent>(({ input, sendBack, receive }) => {
  const log = input.logger;
  const { generation } = input;
  const channels = new Map<string, SessionChannel>();
  let connection: ChannelModel | undefined;
  let stopWatching = () => {};
  /** Writes the frames the channels have queued, now (set once connected). */
  let writeNow = () => {};
  let stopping = false;
  let finished = false;

  const finish = (event: SessionEvent) => {
    if (finished) return;
    finished = true;
    sendBack(event);
  };

  // amqplib settles every message a basic.ack covers in one synchronous loop, and hands over
  // every delivery of one socket read in another: the machine gets each burst as one event, once
  // the loop is done (a microtask later, before any other I/O). One machine step per event.
  const confirms = new Batch<string>(queueMicrotask, (ids) => sendBack({ type: 'amqp.confirmed', ids }));
  const deliveries = new Batch<Delivery>(queueMicrotask, (batch) => sendBack({ type: 'amqp.deliveries', deliveries: batch }));

  const host: ChannelHost = {
    generation,
    log,
    sendBack,
    confirmed: (id) => confirms.add(id),
    delivered: (delivery) => deliveries.add(delivery),
    isOver: () => stopping || finished,
    giveUp: () => void connection?.close().catch(() => {}),
  };

  const watchConnection = (model: ChannelModel) => {
    model.on('error', (err: unknown) => log.warn({ reason: describeError(err) }, 'connection error'));
    model.on('close', (err: unknown) => {
      stopWatching();
      finish({ type: 'amqp.closed', reason: err ? describeError(err) : null, generation });
    });
    model.on('blocked', (reason: string) => sendBack({ type: 'amqp.blocked', reason, generation }));
    model.on('unblocked', () => sendBack({ type: 'amqp.unblocked', generation }));
    const { stream, heartbeat } = internalsOf(model);
    if (!stream || !heartbeat) return;
    stopWatching = watchLink(stream, heartbeat, (silentMs) => {
      log.warn({ silentMs, heartbeatSeconds: heartbeat }, 'no traffic from the broker; dropping the connection');
      finish({ type: 'amqp.closed', reason: `link dead: nothing received for ${silentMs} ms (heartbeat ${heartbeat} s)`, generation });
      stream.destroy();
    });
  };

  const start = async () => {
    const { model, index } = await connectFirstAvailable(input, () => stopping);
    connection = model;
    if (stopping) {
      await model.close().catch(() => {});
      return;
    }
    watchConnection(model);
    dropFramesOnClosedChannels(model, (channel) => log.debug({ channel }, 'frame on a channel the broker has closed; dropped'));
    writeNow = coalesceWrites(model);
    for (const spec of input.topology.channels) channels.set(spec.name, new SessionChannel(spec, model, host));
    try {
      for (const channel of channels.values()) await channel.openOnce();
    } catch (err) {
      finish({ type: 'amqp.failed', reason: `topology setup failed: ${describeError(err)}`, generation });
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
      for (const channel of channels.values()) {
        const ch = channel.open;
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
        for (const message of command.messages) {
          const channel = channels.get(message.channel);
          if (channel) channel.publish(message);
          else sendBack({ type: 'amqp.nacked', id: message.id, reason: `no channel named ${message.channel}` });
        }
        writeNow();
        break;
      case 'amqp.ack':
        // A tag from an earlier connection is meaningless here: that delivery is redelivered anyway.
        if (command.generation === generation) channels.get(command.channel)?.ack(command.deliveryTag, command.channelEpoch);
        break;
      case 'amqp.close':
        void closeGracefully();
        break;
    }
  });

  start().catch((err: unknown) => finish({ type: 'amqp.failed', reason: describeError(err), generation }));

  return () => {
    stopWatching();
    stopping = true;
    finished = true;
    connection?.close().catch(() => {});
  };
});
