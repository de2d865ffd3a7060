import amqp from 'amqplib';
import { describe, expect, inject, it } from 'vitest';
import { dropFramesOnClosedChannels, internalsOf } from '../../src/actors/broker/connection.ts';

/** The real amqplib connection: the dispatch that connection.ts wraps is where it expects it. */
describe("a frame on a channel amqplib has released, on amqplib's own connection", () => {
  const url = inject('amqpUrl');

  it('is dropped, and the connection and its channels stay open', async () => {
    const model = await amqp.connect(url);
    try {
      const closed: unknown[] = [];
      model.on('close', (err: unknown) => closed.push(err ?? 'closed'));
      model.on('error', () => {});
      const dropped: number[] = [];
      dropFramesOnClosedChannels(model, (channel) => dropped.push(channel));
      const channel = await model.createChannel();
      // As a late delivery the broker sent on a channel it had closed: a method frame for a number nobody holds.
      internalsOf(model).accept!({ channel: 4242 });
      expect(dropped).toEqual([4242]);
      // The channel still works: the broker answers a declare on it.
      expect((await channel.assertQueue('', { exclusive: true })).queue).toMatch(/^amq\.gen-/);
      expect(closed).toEqual([]);
      await channel.close();
    } finally {
      await model.close().catch(() => {});
    }
  });
});
