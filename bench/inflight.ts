import { newCorrelationId } from '../src/requests/correlation-id.ts';
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { Relay } from '../src/actors/relay.ts';
import type { RequestOutcome } from '../src/actors/request/outcome.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { killAll, killChildrenOnExit, startChild } from './processes.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';
import { bodyOfFields } from '../src/requests/client-body.ts';

/**
 * npm run bench:inflight — requests held in flight by a worker that answers only when told to:
 * heap per in-flight request at 10,000, and the CPU cost of creating and of finishing one request
 * (actor, broker bookkeeping, AMQP) with 100 vs 10,000 in flight. Run with --expose-gc.
 */
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (npm run bench:inflight)');
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '100,10000').split(',').map(Number);

killChildrenOnExit();
const tag = randomBytes(3).toString('hex');
const queue = `amqp-relay-inflight.${tag}.recipe`;
const worker = startChild(process.execPath, ['--import', 'tsx', 'bench/holding-worker.ts', '--serve', amqpUrl, queue], process.env, 'holding worker');
await worker.waitForLine(/^ready$/, 20_000);
const config = loadConfig({ RABBITMQ_URL: amqpUrl, AI_QUEUE_NAME: queue, RABBITMQ_CRAWLING_REQUEST_QUEUE: `${queue}.crawl`, RABBITMQ_CRAWLING_RESPONSE_QUEUE: `${queue}.crawl.response`, MAX_BUFFERED_REQUESTS: '100000', MAX_IN_FLIGHT_REQUESTS: '100000' });
const relay = new Relay({ config, logger: pino({ level: 'warn' }) }).start();

async function until(what: string, timeoutMs: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const heapAfterGc = async () => {
  await new Promise((r) => setImmediate(r));
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
let held = 0;
worker.process.stdout?.on('data', (d: Buffer) => {
  const m = [...d.toString().matchAll(/holding (\d+)/g)].at(-1);
  if (m) held = Number(m[1]);
});
await until('the relay to connect', 20_000, () => relay.readiness().ready);

interface Round {
  readonly inFlight: number;
  readonly heapPerRequestBytes: number;
  readonly createUsPerRequest: number;
  /** Of the last 100 created, with inFlight - 100 already in flight. */
  readonly createUsLast100: number;
  readonly finishUsPerRequest: number;
  readonly allOwnReplies: boolean;
}

async function round(n: number): Promise<Round> {
  // Warm the path first, so JIT work is not counted as cost per request.
  const heap0 = await heapAfterGc();
  const outcomes: Promise<RequestOutcome>[] = new Array(n);
  const cpu0 = process.cpuUsage();
  let cpuLast100 = cpu0;
  for (let i = 0; i < n; i++) {
    if (i === n - 100) cpuLast100 = process.cpuUsage();
    outcomes[i] = relay.submit({ kind: 'recipe_analysis', body: bodyOfFields({ recipe_text: `r${i}` }), correlationId: newCorrelationId(config.instanceId), acceptedAt: Date.now() });
  }
  const createdCpu = process.cpuUsage(cpu0);
  const last100 = process.cpuUsage(cpuLast100);
  await until(`${n} requests at the worker`, 60_000, () => held >= n && relay.actors().broker.unconfirmed === 0);
  const heap1 = await heapAfterGc();
  const cpu1 = process.cpuUsage();
  worker.process.stdin?.write('release\n');
  const results = await Promise.all(outcomes);
  const finishedCpu = process.cpuUsage(cpu1);
  held = 0;
  const allOwnReplies = results.every((o, i) => o.ok && (JSON.parse(o.reply) as { recipe_text?: string }).recipe_text === `r${i}`);
  return {
    inFlight: n,
    heapPerRequestBytes: (heap1 - heap0) / n,
    createUsPerRequest: (createdCpu.user + createdCpu.system) / n,
    createUsLast100: (last100.user + last100.system) / 100,
    finishUsPerRequest: (finishedCpu.user + finishedCpu.system) / n,
    allOwnReplies,
  };
}

await round(2_000); // warm-up
const rounds: Round[] = [];
for (const n of sizes) {
  // Small rounds are repeated (at least 5,000 requests in all) and averaged: one is too short to time.
  const repeats = Math.max(1, Math.ceil(5_000 / n));
  const samples: Round[] = [];
  for (let i = 0; i < repeats; i++) samples.push(await round(n));
  const avg = (f: (r: Round) => number) => samples.reduce((a, r) => a + f(r), 0) / samples.length;
  const r: Round = {
    inFlight: n,
    heapPerRequestBytes: avg((x) => x.heapPerRequestBytes),
    createUsPerRequest: avg((x) => x.createUsPerRequest),
    createUsLast100: avg((x) => x.createUsLast100),
    finishUsPerRequest: avg((x) => x.finishUsPerRequest),
    allOwnReplies: samples.every((x) => x.allOwnReplies),
  };
  rounds.push(r);
  process.stdout.write(
    `${String(n).padStart(6)} in flight: heap ${(r.heapPerRequestBytes / 1024).toFixed(2)} KB/request · create ${r.createUsPerRequest.toFixed(1)} µs CPU/request ` +
      `(last 100: ${r.createUsLast100.toFixed(1)}) · finish ${r.finishUsPerRequest.toFixed(1)} µs CPU/request · all own replies: ${r.allOwnReplies}\n`,
  );
}
process.stdout.write(`${JSON.stringify({ date: new Date().toISOString(), rounds })}\n`);
await relay.stop();
killAll();
await deleteQueues(amqpUrl, [queue, `${queue}.crawl`, `${queue}.crawl.response`, config.queues.reply]);
process.exit(rounds.every((r) => r.allOwnReplies) ? 0 : 1);
