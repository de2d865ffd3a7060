import type { ChannelModel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { dropFramesOnClosedChannels } from '../../src/actors/broker/connection.ts';

/** amqplib's connection as far as frame dispatch goes: channel 0, an open channel 1, channel 2 released after a close. */
function fakeConnection() {
  const accepted: number[] = [];
  const connection = {
    channels: [{ name: 'connection' }, { name: 'ai' }, null] as unknown[],
    accept(this: { channels: unknown[] }, frame: { channel: number }) {
      if (!this.channels[frame.channel]) throw new Error(`Frame on unknown channel ${frame.channel}`);
      accepted.push(frame.channel);
    },
  };
  return { model: { connection } as unknown as ChannelModel, connection, accepted };
}

describe('frames on a channel the broker has closed', () => {
  it('are dropped and reported, instead of closing the connection', () => {
    const { model, connection, accepted } = fakeConnection();
    const dropped: number[] = [];
    dropFramesOnClosedChannels(model, (channel) => dropped.push(channel));
    for (const channel of [0, 1, 2, 7, 1]) connection.accept({ channel });
    expect(accepted).toEqual([0, 1, 1]);
    expect(dropped).toEqual([2, 7]);
  });

  it('reach a channel opened again on the same number', () => {
    const { model, connection, accepted } = fakeConnection();
    dropFramesOnClosedChannels(model, () => {});
    connection.channels[2] = { name: 'crawl, reopened' };
    connection.accept({ channel: 2 });
    expect(accepted).toEqual([2]);
  });
});
