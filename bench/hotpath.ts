import { newCorrelationId } from '../src/requests/correlation-id.ts';
import { pino } from 'pino';
import { Relay } from '../src/actors/relay.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { RelayMetrics } from '../src/metrics.ts';
import { startEchoWorker } from './built-relay.ts';
import { killAll, killChildrenOnExit } from './processes.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';
import { bodyOfFields } from '../src/requests/client-body.ts';

/**
 * CPU per request of the actor layer alone (no HTTP): Relay.submit against the real broker and an
 * echo worker in another process, `concurrency` requests outstanding, process.cpuUsage() per request.
 * Usage: node --import tsx bench/hotpath.ts [requests] [concurrency] [--profile]
 */
const [countArg = '20000', concArg = '16'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

killChildrenOnExit();
const { queues } = await startEchoWorker('hot', amqpUrl);

const config = loadConfig({
  RABBITMQ_URL: amqpUrl,
  RABBITMQ_CRAWLING_REQUEST_QUEUE: queues.crawl,
  RABBITMQ_CRAWLING_RESPONSE_QUEUE: queues.crawlResponse,
  AI_QUEUE_NAME: queues.recipe,
});
const relay = new Relay({ config, logger: pino({ level: 'warn' }), metrics: new RelayMetrics({ collectDefault: false }) }).start();
const deadline = Date.now() + 20_000;
while (!relay.readiness().ready) {
  if (Date.now() > deadline) throw new Error('relay did not connect');
  await new Promise((r) => setTimeout(r, 50));
}

async function run(count: number, concurrency: number, kind: 'recipe_analysis' | 'crawl'): Promise<{ cpuUs: number; wallUs: number; bad: number }> {
  let next = 0;
  let bad = 0;
  const body = bodyOfFields(kind === 'crawl' ? { url: 'https://example.com/x' } : { recipe_text: 'hot path' });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        const outcome = await relay.submit({ kind, body, correlationId: newCorrelationId(config.instanceId), acceptedAt: Date.now() });
        if (!outcome.ok) bad++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  return { cpuUs: (cpu.user + cpu.system) / count, wallUs: ((performance.now() - t0) * 1000) / count, bad };
}

const count = Number(countArg);
const concurrency = Number(concArg);
await run(Math.min(5_000, count), concurrency, 'recipe_analysis'); // warm-up
for (const kind of ['recipe_analysis', 'crawl'] as const) {
  const r = await run(count, concurrency, kind);
  process.stdout.write(`${kind.padEnd(16)} ${count} requests, ${concurrency} outstanding: ${r.cpuUs.toFixed(1)} µs CPU/request, ${r.wallUs.toFixed(1)} µs wall/request, failed ${r.bad}\n`);
}
await relay.stop();
killAll();
await deleteQueues(amqpUrl, [...Object.values(queues), config.queues.reply]);
process.exit(0);
