import { deleteQueues } from '../test/support/scripted-worker.ts';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, type LoadResult } from './load.ts';
import { type Child, cpuSeconds, killAll, killChildrenOnExit, processTree, rssMb, startChild } from './processes.ts';
import { renderMarkdown, summarize } from './report.ts';
import { freePort } from '../test/support/ports.ts';
import { startBuiltRelay, startRawGateway } from './built-relay.ts';
import { option } from './args.ts';
import { ENDPOINTS, type EndpointName } from './endpoints.ts';

/**
 * npm run bench [-- --quick]: the relay (started as `npm start` starts it) side by side with a raw
 * amqplib gateway, with and without publisher confirms, on the same broker and echo worker.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const args = new Set(argv);
const quick = args.has('--quick');
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const defaults = quick
  ? { concurrencies: [16], seconds: 1, repeats: 1, warmupSeconds: 0.25, checks: 20, targets: ['relay', 'raw+confirms'] }
  : { concurrencies: [1, 16, 128], seconds: 5, repeats: 2, warmupSeconds: 3, checks: 200, targets: undefined };
/** `--name=value` options narrow a run while developing (e.g. --concurrency=16 --targets=relay,raw+confirms). */
const plan = {
  ...defaults,
  concurrencies: option('concurrency')?.split(',').map(Number) ?? defaults.concurrencies,
  seconds: Number(option('seconds') ?? defaults.seconds),
  repeats: Number(option('repeats') ?? defaults.repeats),
  targets: option('targets')?.split(',') ?? defaults.targets,
  endpoints: option('endpoints')?.split(','),
};


export interface Target {
  readonly name: 'relay' | 'raw+confirms' | 'raw';
  readonly baseUrl: string;
  /** The processes whose CPU and memory count as the gateway's. */
  pids: number[];
  readonly child: Child;
}

export interface Cell extends LoadResult {
  readonly target: Target['name'];
  readonly endpoint: EndpointName;
  readonly connections: number;
  readonly repeat: number;
  readonly cpuSeconds: number;
  readonly cpuMsPer1000: number;
  readonly rssMb: number;
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** Every reply must be the echo of its own request, under concurrency. */
async function checkReplies(target: Target, endpoint: EndpointName, count: number): Promise<void> {
  const { path, body, tokenOf } = ENDPOINTS[endpoint];
  const tokens = Array.from({ length: count }, (_, i) => `check-${i}-${randomBytes(6).toString('hex')}`);
  const results = await Promise.all(
    tokens.map(async (token) => {
      const res = await fetch(`${target.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body(token)),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let reply: unknown;
      try {
        reply = JSON.parse(text);
      } catch {
        reply = text;
      }
      return { token, status: res.status, got: tokenOf(reply), text };
    }),
  );
  const wrong = results.filter((r) => r.status !== 200 || r.got !== r.token);
  if (wrong.length > 0) {
    const w = wrong[0]!;
    throw new Error(`${target.name} ${path}: ${wrong.length}/${count} replies do not match their request (first: ${w.status} ${w.text.slice(0, 200)})`);
  }
}

async function main(): Promise<void> {
  killChildrenOnExit();
  const tag = randomBytes(3).toString('hex');
  const q = (target: string, name: string) => `amqp-relay-bench.${tag}.${target}.${name}`;
  const queues = {
    relay: { recipe: q('relay', 'recipe'), crawl: q('relay', 'crawl.request'), crawlResponse: q('relay', 'crawl.response') },
    rawConfirm: { recipe: q('raw-confirm', 'recipe'), crawl: q('raw-confirm', 'crawl.request'), crawlResponse: q('raw-confirm', 'crawl.response') },
    raw: { recipe: q('raw', 'recipe'), crawl: q('raw', 'crawl.request'), crawlResponse: q('raw', 'crawl.response') },
  };
  const instanceId = `bench-${tag}`;
  const allQueues = [...Object.values(queues).flatMap((x) => Object.values(x)), `amqp-relay.reply.${instanceId}`];
  const nodeTs = [process.execPath, '--import', 'tsx'] as const;
  const env = { ...process.env, NODE_ENV: 'production' };

  const requestQueues = Object.values(queues).flatMap((x) => [x.recipe, x.crawl]);
  // Everything starts at once (each declares the queues it uses); only then do we wait for all.
  const worker = startChild(nodeTs[0], [...nodeTs.slice(1), 'bench/echo-worker.ts', amqpUrl, '256', ...requestQueues], env, 'echo worker');
  const workerReady = worker.waitForLine(/^ready$/, 30_000);

  const relayPort = await freePort();
  // The relay as npm start runs it: dist/ (rebuilt if src/ changed), one node process. Its default
  // log level is info (an access-log line per request); --log-level=info measures that.
  // --build=<dir> measures another build (a copy of dist/ made before a change) against the same gateways.
  const relayChild = startBuiltRelay({
    amqpUrl,
    queues: queues.relay,
    port: relayPort,
    env: { RELAY_INSTANCE_ID: instanceId, LOG_LEVEL: option('log-level') ?? 'warn' },
    build: option('build'),
  });
  const relayUrl = `http://127.0.0.1:${relayPort}`;
  const rawTarget = async (name: 'raw+confirms' | 'raw', mode: 'confirm' | 'plain', qs: typeof queues.raw): Promise<Target> => {
    const port = await freePort();
    const child = await startRawGateway({ amqpUrl, queues: qs, port, mode, label: name });
    return { name, baseUrl: `http://127.0.0.1:${port}`, pids: [child.pid], child };
  };
  const wanted = (name: Target['name']) => !plan.targets || plan.targets.includes(name);
  const [rawConfirm, rawPlain] = await Promise.all([
    wanted('raw+confirms') ? rawTarget('raw+confirms', 'confirm', queues.rawConfirm) : undefined,
    wanted('raw') ? rawTarget('raw', 'plain', queues.raw) : undefined,
    workerReady,
    waitUntil('the relay to be ready', 30_000, async () => (await fetch(`${relayUrl}/readyz`)).status === 200),
  ]);
  const relay: Target = { name: 'relay', baseUrl: relayUrl, pids: processTree(relayChild.pid), child: relayChild };
  const targets = [relay, rawConfirm, rawPlain].filter((t): t is Target => t !== undefined && wanted(t.name));
  const endpoints = (Object.keys(ENDPOINTS) as EndpointName[]).filter((e) => !plan.endpoints || plan.endpoints.includes(e));

  for (const target of targets) for (const endpoint of endpoints) await checkReplies(target, endpoint, plan.checks);
  process.stdout.write(`replies checked: every one of ${plan.checks} concurrent requests per target and endpoint got its own echo\n`);

  for (const target of targets) {
    for (const endpoint of endpoints) {
      const { path, body } = ENDPOINTS[endpoint];
      await load(`${target.baseUrl}${path}`, JSON.stringify(body('warmup')), 16, plan.warmupSeconds);
    }
  }

  const load0 = loadavg();
  const cells: Cell[] = [];
  for (const endpoint of endpoints) {
    const { path, body } = ENDPOINTS[endpoint];
    const payload = JSON.stringify(body('bench-payload-0123456789'));
    for (const connections of plan.concurrencies) {
      for (let repeat = 0; repeat < plan.repeats; repeat++) {
        // Interleaved (relay, raw+confirms, raw, relay, …) so drift in the machine's load hits all alike.
        for (const target of targets) {
          const before = cpuSeconds(target.pids);
          const result = await load(`${target.baseUrl}${path}`, payload, connections, plan.seconds);
          const cpu = cpuSeconds(target.pids) - before;
          const cell: Cell = {
            ...result,
            target: target.name,
            endpoint,
            connections,
            repeat,
            cpuSeconds: cpu,
            cpuMsPer1000: result.requests > 0 ? (cpu * 1e6) / result.requests : Number.NaN,
            rssMb: rssMb(target.pids),
          };
          cells.push(cell);
          process.stdout.write(
            `${endpoint.padEnd(6)} c=${String(connections).padStart(3)} #${repeat} ${target.name.padEnd(12)} ` +
              `${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.p50.toFixed(2)} ms  p99 ${result.p99.toFixed(2)} ms  ` +
              `err ${result.errors}  cpu ${cell.cpuMsPer1000.toFixed(0)} ms/1k  rss ${cell.rssMb.toFixed(0)} MB\n`,
          );
        }
      }
    }
  }

  const meta = {
    date: new Date().toISOString(),
    quick,
    node: process.version,
    cpus: cpus().length,
    loadavgBefore: load0,
    loadavgAfter: loadavg(),
    secondsPerCell: plan.seconds,
    repeats: plan.repeats,
    note: 'broker, echo worker, gateways and autocannon share the same cores; other work on the machine adds noise',
  };
  const summary = summarize(cells);
  const markdown = renderMarkdown(meta, summary);
  process.stdout.write(`\n${markdown}\n`);
  if (!args.has('--no-write')) {
    const dir = join(root, 'bench/results');
    mkdirSync(dir, { recursive: true });
    const name = quick ? 'quick' : argv.some((a) => a.startsWith('--') && a.includes('=')) ? 'partial' : 'latest';
    writeFileSync(join(dir, `${name}.json`), `${JSON.stringify({ meta, summary, cells }, null, 2)}\n`);
    writeFileSync(join(dir, `${name}.md`), markdown);
  }
  killAll();
  await deleteQueues(amqpUrl, allQueues).catch((err: unknown) => process.stderr.write(`could not delete bench queues: ${String(err)}\n`));
}

await main();
process.exit(0);
