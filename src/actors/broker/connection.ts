import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
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
  readonly muxer?: Muxer;
  /** Hands each incoming frame to its channel (by number; 0 is the connection's own). */
  accept?: (frame: { readonly channel: number }) => unknown;
  /** Open channels by number, each with the stream its frames wait in; empty once a channel is closed and released. */
  readonly channels?: readonly ({ readonly buffer?: Readable } | null | undefined)[];
}

/** amqplib's frame multiplexer: channels' frames in, socket writes out. */
interface Muxer {
  scheduledRead?: boolean;
  /** The channels' streams with frames for the next pass: a stream joins when it emits 'readable' (a tick after its frames came). */
  newStreams?: Readable[];
  /** One synchronous pass writing every channel's queued frames to the socket. */
  _readIncoming?: () => void;
  /** Called when a channel has frames: schedules one pass (amqplib uses setImmediate). */
  _scheduleRead?: () => void;
}

export function internalsOf(model: ChannelModel): ConnectionInternals {
  const connection: object = model.connection;
  return connection;
}

/**
 * amqplib writes every frame (each publish, each ack) to the socket on its own, one system call
 * each, from its multiplexer, which drains all channels' frames in one synchronous pass. Corking
 * the socket around that pass sends them in one write. amqplib schedules the pass with
 * setImmediate; it is scheduled for the end of the current tick instead: every frame of a burst
 * is queued by then (a channel reports its frames in a tick of its own, which comes first), and a
 * pass scheduled from the check phase (where the relay publishes) would otherwise cost the event
 * loop one more turn, a poll of the sockets, for nothing.
 *
 * Returns a pass to run at once, for a caller that has just queued frames (a burst of publishes):
 * they are written before their channels' streams have said 'readable', so the broker and the
 * worker get to work while the relay finishes its step.
 */
export function coalesceWrites(model: ChannelModel): () => void {
  const { stream, muxer, channels } = internalsOf(model);
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
  if (typeof muxer._scheduleRead === 'function') {
    const pass = () => {
      muxer.scheduledRead = false;
      coalesced();
    };
    muxer._scheduleRead = () => {
      if (muxer.scheduledRead) return;
      muxer.scheduledRead = true;
      process.nextTick(pass);
    };
  }
  return () => {
    // Frames queued in this tick: their streams have not said 'readable' yet, so the pass is told of them.
    const newStreams = muxer.newStreams;
    if (channels && Array.isArray(newStreams)) {
      for (const channel of channels) {
        const buffer = channel?.buffer;
        if (buffer && buffer.readableLength > 0 && !newStreams.includes(buffer)) newStreams.push(buffer);
      }
    }
    coalesced();
  };
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
