import type { Socket } from 'node:net';
import amqp, { type ChannelModel } from 'amqplib';
import { brokerHost, describeError, withHeartbeat } from './broker-url.ts';
import type { SessionInput } from './session-events.ts';
import { tlsSocketOptions } from './tls.ts';

/** One connection attempt over the URLs in turn, starting at `firstUrl`: the first that answers wins. */
export async function connectFirstAvailable(input: SessionInput, isStopping: () => boolean): Promise<{ model: ChannelModel; index: number }> {
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
      errors.push(`${brokerHost(url)}: ${describeError(err)}`);
    }
    if (isStopping()) break;
  }
  throw new Error(errors.join('; '));
}

/** amqplib's internals that the session needs: the socket, the agreed heartbeat, the frame multiplexer and the incoming frame dispatch. */
interface ConnectionInternals {
  readonly stream?: Socket;
  readonly heartbeat?: number;
  readonly muxer?: { _readIncoming?: () => void };
  /** Hands each incoming frame to its channel (by number; 0 is the connection's own). */
  accept?: (frame: { readonly channel: number }) => unknown;
  /** Open channels by number; empty once a channel is closed and released. */
  readonly channels?: readonly unknown[];
}

export function internalsOf(model: ChannelModel): ConnectionInternals {
  const connection: object = model.connection;
  return connection;
}

/**
 * amqplib writes every frame (each publish, each ack) to the socket on its own, one system call
 * each, from its multiplexer, which drains all channels' frames in one synchronous pass scheduled
 * with setImmediate. Corking the socket around that pass sends them in one write. The returned
 * function runs that pass now: called once the frames of a burst are queued (after the channels'
 * 'readable' ticks), it saves the wait for the next event-loop turn.
 */
export function coalesceWrites(model: ChannelModel): () => void {
  const { stream, muxer } = internalsOf(model);
  const drain = muxer?._readIncoming;
  if (!stream || !muxer || !drain) return () => {};
  const coalesced = () => {
    stream.cork();
    try {
      drain.call(muxer);
    } finally {
      stream.uncork();
    }
  };
  muxer._readIncoming = coalesced;
  return coalesced;
}

/**
 * RabbitMQ may still send frames (a delivery in flight) on a channel after it has closed that
 * channel with an error (rabbitmq-server#13384). amqplib has released the channel by then, and
 * closes the whole connection for a "Frame on unknown channel": every other channel with it. Such a
 * frame is dropped instead, as RabbitMQ's Java client does; a delivery on a closed channel is
 * redelivered by the broker anyway.
 */
export function dropFramesOnClosedChannels(model: ChannelModel, onDropped: (channel: number) => void): void {
  const connection = internalsOf(model);
  const accept = connection.accept;
  const channels = connection.channels;
  if (!accept || !channels) return;
  connection.accept = function (this: unknown, frame) {
    if (channels[frame.channel]) return accept.call(this, frame);
    onDropped(frame.channel);
    return undefined;
  };
}
