import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { exitWithParent } from './lifeline.ts';

/**
 * A fast echo worker for the benchmark: for every request it publishes the request body back to
 * `replyTo` with the same correlation id, then acks. Raw amqplib, Nagle off, prefetch tuned.
 * With `--markers` (the soak), a request whose body carries `soak-error` is answered
 * `x-status: error`, and one carrying `soak-silent` is acknowledged and never answered.
 * Usage: tsx bench/echo-worker.ts [--markers] <amqpUrl> <prefetch> <queue>...
 */
const args = process.argv.slice(2);
const markers = args[0] === '--markers';
const [url = 'amqp://guest:guest@127.0.0.1:5672', prefetchArg = '256', ...queues] = markers ? args.slice(1) : args;
const prefetch = Number(prefetchArg);
const SCRIPTED_ERROR = Buffer.from(JSON.stringify({ message: 'soak: scripted worker error' }));

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
    const text = markers ? msg.content.toString('utf8') : '';
    if (replyTo && !text.includes('soak-silent')) {
      const failed = text.includes('soak-error');
      channel.sendToQueue(replyTo, failed ? SCRIPTED_ERROR : msg.content, {
        correlationId,
        contentType: 'application/json',
        ...(failed ? { headers: { 'x-status': 'error' } } : {}),
      });
    }
    // Same channel: the broker sees the reply before the ack.
    channel.ack(msg);
  });
}
process.send?.('ready');
process.stdout.write('ready\n');
