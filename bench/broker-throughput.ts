import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import amqp from 'amqplib';
import { cpuSeconds } from './processes.ts';

/**
 * The broker's own cost per message, for the sizing table in docs/scaling.md: persistent messages
 * published with confirms (a window of unconfirmed ones) to one durable queue, consumed by a
 * consumer on its own connection that acknowledges each one, the way a relay request or a worker
 * reply travels. CPU is the RabbitMQ VM's user+system time from /proc (10 ms ticks), so run it
 * against a node nothing else uses (scripts/rabbit-node.sh).
 *
 * Usage: node --import tsx bench/broker-throughput.ts URL BEAM_PID_OR_PID_FILE[,…] [classic|quorum] [seconds] [bytes] [window]
 * Several pids (comma-separated): the CPU of every node of a cluster is added up.
 */

const [url, pidArg, queueType = 'classic', secondsArg = '10', bytesArg = '300', windowArg = '200'] = process.argv.slice(2);
if (!url || !pidArg) {
  process.stderr.write('usage: broker-throughput.ts URL BEAM_PID_OR_PID_FILE[,…] [classic|quorum] [seconds] [bytes] [window]\n');
  process.exit(2);
}
const pids = pidArg.split(',').map((p) => (/^\d+$/.test(p) ? Number(p) : Number(readFileSync(p, 'utf8').trim())));
const seconds = Number(secondsArg);
const window = Number(windowArg);
const body = Buffer.from(JSON.stringify({ type: 'recipe_analysis', recipe_text: 'x'.repeat(Math.max(0, Number(bytesArg) - 45)) }));
const queue = `bench.broker.${randomBytes(4).toString('hex')}`;

const producerConnection = await amqp.connect(url, { noDelay: true });
const consumerConnection = await amqp.connect(url, { noDelay: true });
const producer = await producerConnection.createConfirmChannel();
const consumer = await consumerConnection.createChannel();
await producer.assertQueue(queue, { durable: true, arguments: queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {} });
await consumer.prefetch(window);

let consumed = 0;
let counting = false;
await consumer.consume(queue, (message) => {
  if (!message) return;
  consumer.ack(message);
  if (counting) consumed += 1;
});

let stop = false;
let published = 0;
let unconfirmed = 0;
let wake: (() => void) | undefined;
const publishLoop = async () => {
  while (!stop) {
    if (unconfirmed >= window) {
      await new Promise<void>((resolve) => (wake = resolve));
      continue;
    }
    unconfirmed += 1;
    published += 1;
    producer.publish('', queue, body, { persistent: true, contentType: 'application/json', correlationId: `bench.${published}` }, () => {
      unconfirmed -= 1;
      const w = wake;
      wake = undefined;
      w?.();
    });
    if (published % 64 === 0) await new Promise((r) => setImmediate(r));
  }
};

const loop = publishLoop();
// Warm-up: one second not counted.
await new Promise((r) => setTimeout(r, 1_000));
counting = true;
const cpuBefore = cpuSeconds(pids);
const clientBefore = process.cpuUsage();
const started = performance.now();
await new Promise((r) => setTimeout(r, seconds * 1_000));
const wall = (performance.now() - started) / 1_000;
const cpu = cpuSeconds(pids) - cpuBefore;
const client = process.cpuUsage(clientBefore);
counting = false;
stop = true;
wake?.();
await loop;
await producer.waitForConfirms().catch(() => {});
await producer.deleteQueue(queue).catch(() => {});
await Promise.all([producerConnection.close(), consumerConnection.close()]).catch(() => {});

const figures = {
  queueType,
  bytes: body.length,
  window,
  seconds: Number(wall.toFixed(1)),
  messagesPerSecond: Math.round(consumed / wall),
  brokerCpuCores: Number((cpu / wall).toFixed(2)),
  brokerCpuMsPer1k: Number(((cpu * 1_000_000) / consumed).toFixed(1)),
  messagesPerBrokerCoreSecond: Math.round(consumed / cpu),
  clientCpuCores: Number(((client.user + client.system) / 1e6 / wall).toFixed(2)),
};
process.stdout.write(`${JSON.stringify(figures)}\n`);
