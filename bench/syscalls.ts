import { spawn } from 'node:child_process';
import { request, Agent } from 'node:http';
import { readFileSync, rmSync } from 'node:fs';
import { deleteQueues } from '../test/support/scripted-worker.ts';
import { freePort } from '../test/support/ports.ts';
import { startBuiltRelay, startEchoWorker, untilReady } from './built-relay.ts';
import { killAll, killChildrenOnExit } from './processes.ts';

/**
 * System calls per request of the built relay (as `npm start` runs it), one client, requests one
 * after another: `strace -f -c` attached for the measured requests only, counts divided by the
 * requests answered. Counts, unlike CPU time, hardly move with what else the machine is doing.
 * Usage: tsx bench/syscalls.ts [requests] [LOG_LEVEL]     (needs strace)
 */
const [countArg = '2000', logLevel = 'info'] = process.argv.slice(2);
const count = Number(countArg);
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

killChildrenOnExit();
const { queues } = await startEchoWorker('sys', amqpUrl);
const port = await freePort();
const relay = startBuiltRelay({ amqpUrl, queues, port, env: { LOG_LEVEL: logLevel } });
await untilReady(relay, port);

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const body = JSON.stringify({ recipe_text: 'syscalls' });
const one = () =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/ai/recipe', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
const run = async (n: number) => {
  for (let i = 0; i < n; i++) if ((await one()) !== 200) throw new Error('a request was not answered 200');
};

await run(Math.min(3_000, count)); // warm up: optimized code, grown heap
const out = `/tmp/amqp-relay-syscalls-${relay.pid}.txt`;
const strace = spawn('strace', ['-f', '-c', '-o', out, '-p', String(relay.pid)], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 500)); // strace attaches to every thread
await run(count);
strace.kill('SIGINT');
await new Promise((r) => strace.once('exit', r));
const rows = readFileSync(out, 'utf8')
  .split('\n')
  .map((line) => line.trim().split(/\s+/))
  .filter((cols) => cols.length >= 5 && /^\d+$/.test(cols[3]!))
  .map((cols) => ({ name: cols.at(-1)!, calls: Number(cols[3]) }));
rmSync(out, { force: true });
process.stdout.write(`relay at LOG_LEVEL=${logLevel}, ${count} sequential recipe requests; system calls per request:\n`);
for (const { name, calls } of rows) process.stdout.write(`${(calls / count).toFixed(2).padStart(8)}  ${name}\n`);
killAll();
await deleteQueues(amqpUrl, Object.values(queues));
process.exit(0);
