import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { killAll, killChildrenOnExit, processTree, rssMb, startChild } from './processes.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';

/**
 * tsx bench/big-pings.ts [--relay-dir=DIR] [--amqp-url=URL] [--seconds=60] [--max-rss-mb=N] [--concurrency=8]
 *
 * The relay's memory under 1 MiB pings and no worker: the relay in DIR (default: this checkout) is
 * started as `npm start` starts it, with its default limits, and fed 1 MiB pings as fast as it
 * takes them, from `concurrency` clients, for `seconds` or until its RSS passes `max-rss-mb`. Every
 * 5 s: RSS, and how many pings were accepted (202), refused (503 OVERLOADED) or otherwise answered.
 * The queues it declares are deleted at the end (the ping queue holds up to a deadline's worth of
 * 1 MiB messages).
 */
const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const relayDir = resolve(arg('relay-dir', process.cwd()));
const amqpUrl = arg('amqp-url', process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const seconds = Number(arg('seconds', '60'));
const maxRssMb = Number(arg('max-rss-mb', 'Infinity'));
const concurrency = Number(arg('concurrency', '8'));
const BODY_BYTES = 1_048_576;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

killChildrenOnExit();
const tag = randomBytes(3).toString('hex');
const instanceId = `bigpings-${tag}`;
const queues = {
  RABBITMQ_CRAWLING_REQUEST_QUEUE: `amqp-relay-bigpings.${tag}.crawl.request`,
  RABBITMQ_CRAWLING_RESPONSE_QUEUE: `amqp-relay-bigpings.${tag}.crawl.response`,
  AI_QUEUE_NAME: `amqp-relay-bigpings.${tag}.ai`,
};
const port = await freePort();
const env = { PATH: process.env.PATH, HOME: process.env.HOME, RABBITMQ_URL: amqpUrl, PORT: String(port), HOST: '127.0.0.1', RELAY_INSTANCE_ID: instanceId, LOG_LEVEL: 'warn', ...queues };
// As `npm start` runs it: exec node --import tsx src/main.ts, in the relay's own directory.
const relay = startChild(process.execPath, ['--import', 'tsx', 'src/main.ts'], env, 'relay', relayDir);
const baseUrl = `http://127.0.0.1:${port}`;

async function waitReady(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(`${baseUrl}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the relay was not ready within ${timeoutMs} ms\n${relay.output.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
await waitReady(30_000);

const pad = 'p'.repeat(BODY_BYTES - '{"pad":""}'.length);
const body = Buffer.from(`{"pad":"${pad}"}`);
if (body.length !== BODY_BYTES) throw new Error(`body is ${body.length} bytes`);
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const counts = { accepted: 0, overloaded: 0, other: 0, failed: 0 };
const others = new Map<string, number>();

function ping(): Promise<void> {
  return new Promise((done) => {
    const req = request(`${baseUrl}/api/crawl/ping`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode === 202) counts.accepted++;
        else if (res.statusCode === 503 && chunks.join('').includes('"OVERLOADED"')) counts.overloaded++;
        else {
          counts.other++;
          const key = `${res.statusCode} ${Buffer.concat(chunks).toString().slice(0, 80)}`;
          others.set(key, (others.get(key) ?? 0) + 1);
        }
        done();
      });
      res.on('error', () => done());
    });
    req.on('error', () => {
      counts.failed++;
      done();
    });
    req.end(body);
  });
}

let running = true;
const clients = Array.from({ length: concurrency }, async () => {
  while (running) await ping();
});

const started = Date.now();
const rssNow = () => rssMb(processTree(relay.pid));
let peak = rssNow();
let stopReason = `${seconds} s elapsed`;
const rows: string[] = [];
const row = (s: string) => {
  rows.push(s);
  process.stdout.write(`${s}\n`);
};
row(`relay ${relayDir}  broker ${new URL(amqpUrl).host}  body ${BODY_BYTES} bytes  concurrency ${concurrency}  start RSS ${peak.toFixed(0)} MB`);
row('     s   RSS MB  peak MB  accepted  overloaded  other  failed');
let last = started;
for (;;) {
  await new Promise((r) => setTimeout(r, 250));
  const rss = rssNow();
  peak = Math.max(peak, rss);
  const elapsed = (Date.now() - started) / 1000;
  const capped = rss >= maxRssMb;
  if (Date.now() - last >= 5_000 || capped || elapsed >= seconds) {
    last = Date.now();
    row(`${elapsed.toFixed(1).padStart(6)} ${rss.toFixed(0).padStart(8)} ${peak.toFixed(0).padStart(8)} ${String(counts.accepted).padStart(9)} ${String(counts.overloaded).padStart(11)} ${String(counts.other).padStart(6)} ${String(counts.failed).padStart(7)}`);
  }
  if (capped) stopReason = `RSS passed ${maxRssMb} MB`;
  if (capped || elapsed >= seconds) break;
}
running = false;
killAll();
agent.destroy();
await Promise.race([Promise.all(clients), new Promise((r) => setTimeout(r, 2_000))]);
row(`stopped: ${stopReason}; peak RSS ${peak.toFixed(0)} MB; accepted ${counts.accepted}, OVERLOADED ${counts.overloaded}, other ${counts.other}, failed ${counts.failed}`);
for (const [key, n] of others) row(`  other: ${n} × ${key}`);
await deleteQueues(amqpUrl, [...Object.values(queues), `amqp-relay.reply.${instanceId}`]);
row('queues deleted');
process.exit(0);
