import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { exitWithParent } from './lifeline.ts';

/**
 * A fast echo worker for the benchmark: for every request it publishes the request body back to
 * `replyTo` with the same correlation id, then acks. Raw amqplib, Nagle off, prefetch tuned.
 * Usage: tsx bench/echo-worker.ts <amqpUrl> <prefetch> <queue>...
 */
const [url = 'amqp://guest:guest@127.0.0.1:5672', prefetchArg = '256', ...queues] = process.argv.slice(2);
const prefetch = Number(prefetchArg);

exitWithParent();
const connection = await amqp.connect(url, { noDelay: true });
connection.on('error', () => {});
connection.on('close', () => process.exit(0));

for (const queue of queues) {
  // One channel per queue, so one slow queue never holds back another one's acks.
  const channel: Channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(prefetch);
  await channel.consume(queue, (msg: ConsumeMessage | null) => {
    if (!msg) return;
    const { replyTo, correlationId } = msg.properties;
    if (replyTo) channel.sendToQueue(replyTo, msg.content, { correlationId, contentType: 'application/json' });
    // Same channel: the broker sees the reply before the ack.
    channel.ack(msg);
  });
}
process.send?.('ready');
process.stdout.write('ready\n');
