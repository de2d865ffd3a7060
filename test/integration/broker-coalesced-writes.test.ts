import amqp from 'amqplib';
import { describe, expect, inject, it } from 'vitest';
import { coalesceWrites, internalsOf } from '../../src/actors/broker/connection.ts';

/** Socket#_write and #_writev, called by the stream with the socket as `this`. */
type WriteFn = (this: void, ...args: never[]) => unknown;

/** The real amqplib connection: the multiplexer that connection.ts takes over is where it expects it. */
describe("a burst of frames on amqplib's own connection, with coalesceWrites", () => {
  const url = inject('amqpUrl');

  it('goes to the socket in one write, before the event loop reaches its check phase, and arrives whole', async () => {
    const model = await amqp.connect(url, { noDelay: true });
    try {
      coalesceWrites(model);
      const confirming = await model.createConfirmChannel();
      const plain = await model.createChannel();
      const { queue } = await confirming.assertQueue('', { exclusive: true });
      const socket = internalsOf(model).stream as unknown as { _write: WriteFn; _writev?: WriteFn };

      // Socket writes during the burst, each noted with whether a setImmediate queued after the burst had run.
      const writes: boolean[] = [];
      let checkPhaseCame = false;
      const spy = (original: WriteFn | undefined) =>
        original &&
        ((...args: never[]) => {
          writes.push(checkPhaseCame);
          return Reflect.apply(original, socket, args);
        });
      const [write, writev] = [socket._write, socket._writev];
      socket._write = spy(write)!;
      if (writev) socket._writev = spy(writev);
      try {
        for (let i = 0; i < 3; i++) {
          confirming.publish('', queue, Buffer.from(`confirming ${i}`));
          plain.sendToQueue(queue, Buffer.from(`plain ${i}`));
        }
        setImmediate(() => (checkPhaseCame = true));
        await confirming.waitForConfirms();
      } finally {
        socket._write = write;
        if (writev) socket._writev = writev;
      }

      expect(writes).toEqual([false]);
      expect((await confirming.checkQueue(queue)).messageCount).toBe(6);
    } finally {
      await model.close().catch(() => {});
    }
  });

  it('goes to the socket in one write before the pass it returns comes back, when that pass is called, and in no write after', async () => {
    const model = await amqp.connect(url, { noDelay: true });
    try {
      const writeNow = coalesceWrites(model);
      const channel = await model.createConfirmChannel();
      const { queue } = await channel.assertQueue('', { exclusive: true });
      const socket = internalsOf(model).stream as unknown as { _write: WriteFn; _writev?: WriteFn };
      let writes = 0;
      const count = (original: WriteFn | undefined) =>
        original &&
        ((...args: never[]) => {
          writes += 1;
          return Reflect.apply(original, socket, args);
        });
      const [write, writev] = [socket._write, socket._writev];
      socket._write = count(write)!;
      if (writev) socket._writev = count(writev);
      let writtenOnReturn: number;
      try {
        for (let i = 0; i < 3; i++) channel.publish('', queue, Buffer.from(`now ${i}`));
        expect(writes).toBe(0);
        writeNow();
        writtenOnReturn = writes;
        await new Promise((resolve) => setImmediate(resolve));
      } finally {
        socket._write = write;
        if (writev) socket._writev = writev;
      }
      expect(writtenOnReturn).toBe(1);
      expect(writes).toBe(1);
      await channel.waitForConfirms();
      expect((await channel.checkQueue(queue)).messageCount).toBe(3);
    } finally {
      await model.close().catch(() => {});
    }
  });
});
