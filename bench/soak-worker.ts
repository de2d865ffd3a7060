import amqp, { type Channel, type ConsumeMessage } from 'amqplib';
import { exitWithParent } from './lifeline.ts';

/**
 * The soak's worker: echoes each request to `replyTo`, except a request whose body carries the
 * marker `soak-error` (answered `x-status: error`) or `soak-silent` (acknowledged, never answered).
 * Usage: tsx bench/soak-worker.ts <amqpUrl> <queue>...
 */
const [url = 'amqp://guest:guest@127.0.0.1:5672', ...queues] = process.argv.slice(2);

exitWithParent();
const connection = await amqp.connect(url, { noDelay: true });
connection.on('error', () => {});
connection.on('close', () => process.exit(0));

for (const queue of queues) {
  const channel: Channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true });
  await channel.prefetch(256);
  await channel.consume(queue, (msg: ConsumeMessage | null) => {
    if (!msg) return;
    const { replyTo, correlationId } = msg.properties;
    const text = msg.content.toString('utf8');
    if (replyTo && !text.includes('soak-silent')) {
      const failed = text.includes('soak-error');
      const content = failed ? Buffer.from(JSON.stringify({ message: 'soak: scripted worker error' })) : msg.content;
      channel.sendToQueue(replyTo, content, { correlationId, contentType: 'application/json', headers: failed ? { 'x-status': 'error' } : {} });
    }
    channel.ack(msg);
  });
}
process.stdout.write('ready\n');
