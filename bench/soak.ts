import { deleteQueues } from '../test/support/scripted-worker.ts';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { freePort } from '../test/support/ports.ts';
import { killAll, killChildrenOnExit, processTree, rssMb, startChild } from './processes.ts';

/**
 * npm run soak [-- --minutes 10 --rate 200]: the relay (started as `npm start` starts it) and a
 * worker of its own on the local broker, a fixed rate of mixed requests (recipe, image, crawl sync
 * and async, ping) with 1 % worker errors and 1 % never-answered requests, and the relay's broker
 * connection closed once a minute. Every minute: each outcome, the relay's RSS and heap. At the
 * end: sent, answered by status, lost (no answer), hung (answered later than its deadline + 1 s).
 * `--out FILE` also writes every outcome (send time, kind, fate, outcome, latency) as JSON.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const run = promisify(execFile);

const { values: args } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '200' }, out: { type: 'string' } } });
const minutes = Number(args.minutes);
const rate = Number(args.rate);
if (!(minutes > 0) || !(rate > 0)) throw new Error('usage: npm run soak -- [--minutes N] [--rate requests-per-second]');

/** The relay's deadlines in this run; never-answered requests shorten theirs with X-Timeout-Ms. */
const DEADLINE_MS = 15_000;
const SILENT_DEADLINE_MS = 2_000;
/** An answer later than its deadline plus this is a hang. */
const HANG_MARGIN_MS = 1_000;
/** The client gives up (the request is lost) this long after the deadline. */
const GIVE_UP_AFTER_MS = 5_000;
/** Before the measured run: this many seconds of normal requests at a tenth of the rate, counted apart. */
const WARMUP_SECONDS = 15;

/** Async results are read once, this long after their 202. */
const RESULT_READ_DELAY_MS = 3_000;

type Kind = 'recipe' | 'image' | 'crawl' | 'crawl-async' | 'ping';
type Fate = 'normal' | 'error' | 'silent';

/** Share of each kind of request, out of 100. */
const MIX: ReadonlyArray<readonly [Kind, number]> = [
  ['recipe', 30],
  ['image', 20],
  ['crawl', 20],
  ['crawl-async', 15],
  ['ping', 15],
];

function kindOf(i: number): Kind {
  // Shifted by one every hundred requests, so that the error and silent slots meet every kind.
  let slot = (i * 37 + Math.floor(i / 100)) % 100;
  for (const [kind, share] of MIX) {
    if (slot < share) return kind;
    slot -= share;
  }
  return 'recipe';
}

/** 1 % worker errors, 1 % never answered, spread evenly. */
function fateOf(i: number): Fate {
  if (i % 100 === 42) return 'error';
  if (i % 100 === 77) return 'silent';
  return 'normal';
}

function requestOf(i: number, kind: Kind, fate: Fate): { path: string; body: unknown; headers: Record<string, string> } {
  const marker = fate === 'normal' ? `soak-${i}` : `soak-${fate} ${i}`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (fate === 'silent') headers['x-timeout-ms'] = String(SILENT_DEADLINE_MS);
  switch (kind) {
    case 'recipe':
      return { path: '/api/ai/recipe', body: { recipe_text: `${marker}: 2 eggs, 100 g flour` }, headers };
    case 'image':
      return { path: '/api/ai/image', body: { s3_url: `s3://soak/${i}.png`, description: marker }, headers };
    case 'crawl':
      return { path: '/api/crawl', body: { url: `https://example.com/${i}`, note: marker }, headers };
    case 'crawl-async':
      return { path: '/api/crawl', body: { url: `https://example.com/${i}`, note: marker }, headers: { ...headers, prefer: 'respond-async' } };
    case 'ping':
      return { path: '/api/crawl/ping', body: { note: marker }, headers };
  }
}

/** What the client saw: `<status> <code>` (e.g. `200`, `502 WORKER_ERROR`), `lost`, or `connection`. */
interface Outcome {
  readonly i: number;
  readonly kind: Kind;
  readonly fate: Fate;
  readonly outcome: string;
  readonly hung: boolean;
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly latencyMs: number;
  readonly correlationId?: string;
}

const tally = (into: Map<string, number>, key: string) => into.set(key, (into.get(key) ?? 0) + 1);
const show = (counts: Map<string, number>) =>
  [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ') || '-';

async function send(baseUrl: string, i: number): Promise<Outcome> {
  const kind = kindOf(i);
  const fate = fateOf(i);
  const { path, body, headers } = requestOf(i, kind, fate);
  const deadline = fate === 'silent' ? SILENT_DEADLINE_MS : DEADLINE_MS;
  const started = Date.now();
  const done = (outcome: string, correlationId?: string): Outcome => {
    const answeredAt = Date.now();
    const latencyMs = answeredAt - started;
    return { i, kind, fate, outcome, hung: latencyMs > deadline + HANG_MARGIN_MS, sentAt: started, answeredAt, latencyMs, ...(correlationId ? { correlationId } : {}) };
  };
  try {
    const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(deadline + GIVE_UP_AFTER_MS) });
    const text = await res.text();
    let code = '';
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
    } catch {
      code = 'not JSON';
    }
    return done(code ? `${res.status} ${code}` : String(res.status), res.headers.get('x-correlation-id') ?? undefined);
  } catch (err) {
    return done((err as Error).name === 'TimeoutError' ? 'lost' : 'connection');
  }
}

/** An async request's result, read once: done, failed <code>, pending or 404. */
async function readResult(baseUrl: string, correlationId: string): Promise<string> {
  try {
    const res = await fetch(`${baseUrl}/api/requests/${encodeURIComponent(correlationId)}`, { signal: AbortSignal.timeout(5_000) });
    if (res.status !== 200) return String(res.status);
    const body = (await res.json()) as { status: string; error?: { code: string } };
    return body.status === 'failed' ? `failed ${body.error?.code}` : body.status;
  } catch {
    return 'no answer';
  }
}

async function heapUsedMb(baseUrl: string): Promise<number | undefined> {
  try {
    const text = await (await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    const m = /^nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([\d.e+]+)$/m.exec(text);
    return m ? Number(m[1]) / 1024 / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Closes the relay's own broker connection (found by its client-provided name), nobody else's. */
async function dropRelayConnection(instanceId: string, drops: number[]): Promise<boolean> {
  const { stdout } = await run('rabbitmqctl', ['list_connections', 'pid', 'client_properties', '-q', '--no-table-headers'], { timeout: 30_000 });
  const line = stdout.split('\n').find((l) => l.includes(`"amqp-relay ${instanceId}"`));
  const pid = line?.split('\t', 1)[0];
  if (!pid) return false;
  await run('rabbitmqctl', ['close_connection', pid, 'soak: one connection drop a minute'], { timeout: 30_000 });
  drops.push(Date.now());
  return true;
}

async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  killChildrenOnExit();
  const tag = randomBytes(3).toString('hex');
  const queues = { ai: `amqp-relay-soak.${tag}.ai`, crawl: `amqp-relay-soak.${tag}.crawl.request`, crawlResponse: `amqp-relay-soak.${tag}.crawl.response` };
  const instanceId = `soak-${tag}`;
  const env = { ...process.env, NODE_ENV: 'production' };

  const worker = startChild(process.execPath, ['--import', 'tsx', 'bench/echo-worker.ts', '--markers', amqpUrl, '256', queues.ai, queues.crawl], env, 'soak worker');
  const port = await freePort();
  const relay = startChild(
    process.execPath,
    [join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/main.ts'],
    {
      ...env,
      RABBITMQ_URL: amqpUrl,
      RABBITMQ_CRAWLING_REQUEST_QUEUE: queues.crawl,
      RABBITMQ_CRAWLING_RESPONSE_QUEUE: queues.crawlResponse,
      AI_QUEUE_NAME: queues.ai,
      AI_TIMEOUT_MS: String(DEADLINE_MS),
      CRAWL_TIMEOUT_MS: String(DEADLINE_MS),
      RELAY_INSTANCE_ID: instanceId,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    },
    'relay',
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await Promise.all([worker.waitForLine(/^ready$/, 30_000), waitUntil('the relay to be ready', 30_000, async () => (await fetch(`${baseUrl}/readyz`)).status === 200)]);
  const relayPids = processTree(relay.pid);

  // JIT, connection pools and the broker's queues warm up first: their slow start is not the relay's steady state.
  const warmup = new Map<string, number>();
  const warmupRequests: Promise<void>[] = [];
  for (let n = 0; n < WARMUP_SECONDS * Math.max(1, Math.round(rate / 10)); n++) {
    // Indices whose fate is normal (never 42 or 77 modulo 100), far from the measured ones.
    warmupRequests.push(send(baseUrl, 1_000_000_000 + n * 100 + (n % 40)).then((o) => void tally(warmup, o.outcome)));
    await new Promise((r) => setTimeout(r, 1000 / Math.max(1, Math.round(rate / 10))));
  }
  await Promise.all(warmupRequests);

  process.stdout.write(`soak: ${minutes} min at ${rate} req/s against ${baseUrl} (deadline ${DEADLINE_MS} ms; never-answered requests ${SILENT_DEADLINE_MS} ms)\n`);
  process.stdout.write(`warm-up (${WARMUP_SECONDS} s at ${Math.max(1, Math.round(rate / 10))} req/s, not counted below): ${show(warmup)}\n\n`);
  process.stdout.write('| minute | sent | outcomes answered in this minute | latency p50 / p99 ms (normal requests) | connection dropped | RSS MB | heap used MB |\n|---|---|---|---|---|---|---|\n');

  const started = Date.now();
  const endAt = started + minutes * 60_000;
  const inFlight = new Set<Promise<Outcome>>();
  const outcomes: Outcome[] = [];
  const results = new Map<string, number>();
  const resultReads: Promise<void>[] = [];
  let sent = 0;
  let minute = 0;
  let minuteOutcomes = new Map<string, number>();
  let minuteLatencies: number[] = [];
  let sentThisMinute = 0;
  let dropped = 'no';
  const drops: number[] = [];

  const record = (o: Outcome) => {
    outcomes.push(o);
    tally(minuteOutcomes, o.outcome);
    if (o.fate === 'normal') minuteLatencies.push(o.latencyMs);
    if (o.kind === 'crawl-async' && o.correlationId && o.outcome === '202') {
      resultReads.push(
        new Promise<void>((r) => setTimeout(r, RESULT_READ_DELAY_MS + (o.fate === 'silent' ? SILENT_DEADLINE_MS : 0))).then(async () => {
          tally(results, `${o.fate}: ${await readResult(baseUrl, o.correlationId!)}`);
        }),
      );
    }
  };

  // One drop a minute, half a minute into each minute, so each minute's row shows one.
  const drop = () =>
    dropRelayConnection(instanceId, drops).then(
      (ok) => (dropped = ok ? 'yes' : 'not found'),
      (err: Error) => (dropped = `failed: ${err.message.split('\n')[0]}`),
    );
  let dropTimer: NodeJS.Timeout | undefined;
  const firstDrop = setTimeout(() => {
    void drop();
    dropTimer = setInterval(() => void drop(), 60_000);
  }, 30_000);

  const reportMinute = async () => {
    minute += 1;
    const heap = await heapUsedMb(baseUrl);
    const sorted = minuteLatencies.sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    process.stdout.write(
      `| ${minute} | ${sentThisMinute} | ${show(minuteOutcomes)} | ${at(0.5)} / ${at(0.99)} | ${dropped} | ${rssMb(relayPids).toFixed(0)} | ${heap === undefined ? '?' : heap.toFixed(1)} |\n`,
    );
    minuteOutcomes = new Map();
    minuteLatencies = [];
    sentThisMinute = 0;
    dropped = 'no';
  };

  // A fixed rate: every 10 ms, send what the schedule says is due.
  await new Promise<void>((resolve) => {
    let nextReport = started + 60_000;
    const tick = setInterval(() => {
      const now = Date.now();
      if (now >= nextReport) {
        nextReport += 60_000;
        void reportMinute();
      }
      if (now >= endAt) {
        clearInterval(tick);
        resolve();
        return;
      }
      const due = Math.floor(((now - started) / 1000) * rate);
      while (sent < due) {
        const p = send(baseUrl, sent++);
        sentThisMinute += 1;
        inFlight.add(p);
        void p.then((o) => {
          inFlight.delete(p);
          record(o);
        });
      }
    }, 10);
  });
  clearInterval(dropTimer);
  clearTimeout(firstDrop);
  await Promise.all(inFlight);
  await Promise.all(resultReads);
  if (minuteOutcomes.size > 0) await reportMinute();

  const byOutcome = new Map<string, number>();
  const unexpected = new Map<string, number>();
  for (const o of outcomes) {
    tally(byOutcome, o.outcome);
    const asyncKind = o.kind === 'crawl-async' || o.kind === 'ping';
    const expected = asyncKind ? '202' : o.fate === 'error' ? '502 WORKER_ERROR' : o.fate === 'silent' ? '504 TIMEOUT' : '200';
    if (o.outcome !== expected) tally(unexpected, `${o.kind}/${o.fate}: ${o.outcome}`);
  }
  const lost = outcomes.filter((o) => o.outcome === 'lost').length;
  const hung = outcomes.filter((o) => o.hung).length;
  process.stdout.write(
    `\n| sent | answered by status | lost (no answer) | hung (over deadline + 1 s) | unexpected outcomes | async results read ${RESULT_READ_DELAY_MS / 1000} s after their 202 |\n|---|---|---|---|---|---|\n` +
      `| ${sent} | ${show(byOutcome)} | ${lost} | ${hung} | ${show(unexpected)} | ${show(results)} |\n`,
  );
  process.stdout.write(`\nrelay RSS at the end: ${rssMb(relayPids).toFixed(0)} MB; heap used: ${(await heapUsedMb(baseUrl))?.toFixed(1) ?? '?'} MB\n`);

  if (args.out) {
    writeFileSync(args.out, JSON.stringify({ started, drops, outcomes }));
    process.stdout.write(`every outcome: ${args.out}\n`);
  }
  killAll();
  await deleteQueues(amqpUrl, [...Object.values(queues), `amqp-relay.reply.${instanceId}`]);
  process.exit(lost === 0 && hung === 0 ? 0 : 1);
}

await main();
