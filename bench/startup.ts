import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test/support/ports.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';
import { killChildrenOnExit, processTree, rssMb, startChild } from './processes.ts';

/**
 * Start-up time and resident memory of the relay as a deployment starts it.
 *
 *   npx tsx bench/startup.ts [--runs 5] [--cwd DIR] -- node dist/main.js
 *
 * Each run starts the command in DIR against AMQP_URL (default the local broker) with its own
 * queue names, and measures the time from spawn to the 'amqp-relay listening' log line and to the
 * first 200 from /readyz, then the RSS of the whole process tree (the relay, and npm/sh if the
 * command starts it through them) right when it is ready and again 2 s later. SIGTERM ends a run.
 */

const args = process.argv.slice(2);
const separator = args.indexOf('--');
if (separator < 0 || separator === args.length - 1) throw new Error('usage: bench/startup.ts [--runs N] [--cwd DIR] -- command args…');
const option = (name: string, fallback: string) => {
  const at = args.indexOf(name);
  return at >= 0 && at < separator ? (args[at + 1] ?? fallback) : fallback;
};
const runs = Number(option('--runs', '5'));
const cwd = option('--cwd', process.cwd());
const [command, ...commandArgs] = args.slice(separator + 1) as [string, ...string[]];
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

interface Run {
  listeningMs: number;
  readyMs: number;
  rssAtReadyMb: number;
  rssSettledMb: number;
}

async function once(): Promise<Run> {
  const tag = randomBytes(4).toString('hex');
  const queues = {
    RABBITMQ_CRAWLING_REQUEST_QUEUE: `bench.startup.${tag}.crawl.request`,
    RABBITMQ_CRAWLING_RESPONSE_QUEUE: `bench.startup.${tag}.crawl.response`,
    AI_QUEUE_NAME: `bench.startup.${tag}.ai.recipe`,
    AI_IMAGE_QUEUE_NAME: `bench.startup.${tag}.ai.image`,
  };
  const instanceId = `startup-${tag}`;
  const port = await freePort();
  const env = { ...process.env, ...queues, RABBITMQ_URL: amqpUrl, PORT: String(port), HOST: '127.0.0.1', RELAY_INSTANCE_ID: instanceId, NODE_ENV: 'production' };
  const started = performance.now();
  const child = startChild(command, commandArgs, env, 'relay', cwd);
  let listeningMs = Number.NaN;
  void child.waitForLine(/amqp-relay listening/, 60_000).then(
    () => (listeningMs = performance.now() - started),
    () => {},
  );
  let readyMs = Number.NaN;
  const giveUpAt = started + 60_000;
  while (performance.now() < giveUpAt) {
    const status = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) {
      readyMs = performance.now() - started;
      break;
    }
    await sleep(5);
  }
  if (Number.isNaN(readyMs)) throw new Error(`not ready within 60 s:\n${child.output.slice(-20).join('\n')}`);
  const rssAtReadyMb = rssMb(processTree(child.pid));
  await sleep(2_000);
  const rssSettledMb = rssMb(processTree(child.pid));
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  await deleteQueues(amqpUrl, [...Object.values(queues), `amqp-relay.reply.${instanceId}`]);
  return { listeningMs, readyMs, rssAtReadyMb, rssSettledMb };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const summary = (values: number[]) => `median ${median(values).toFixed(0)} (min ${Math.min(...values).toFixed(0)}, max ${Math.max(...values).toFixed(0)})`;

killChildrenOnExit();
const results: Run[] = [];
for (let i = 0; i < runs; i++) results.push(await once());
process.stdout.write(
  [
    `command: ${[command, ...commandArgs].join(' ')} (cwd ${cwd}), ${runs} runs, node ${process.version}`,
    `spawn → 'amqp-relay listening' ms: ${summary(results.map((r) => r.listeningMs))}`,
    `spawn → /readyz 200 ms:            ${summary(results.map((r) => r.readyMs))}`,
    `RSS at ready MB:                   ${summary(results.map((r) => r.rssAtReadyMb))}`,
    `RSS 2 s after ready MB:            ${summary(results.map((r) => r.rssSettledMb))}`,
  ].join('\n') + '\n',
);
process.exit(0);
