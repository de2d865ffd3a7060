import { freePort } from '../test/support/ports.ts';
import { sumGcField } from './gc-trace.ts';
import { load } from './load.ts';
import { benchRequest } from './endpoints.ts';
import { startBuiltRelay, startEchoWorker, untilReady } from './built-relay.ts';
import { cpuSeconds, killAll, killChildrenOnExit, rssMb } from './processes.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';

/**
 * What the garbage collector costs per request: the built relay under autocannon with V8's
 * `--trace-gc-nvp`, an echo worker behind it. Prints bytes promoted to the old generation per
 * request (what survives two scavenges), scavenge and mark-compact pause time per request, CPU per
 * request and peak RSS. Arguments after the first three go to node (e.g. --heap-growing-percent=0).
 * Usage: tsx bench/gc-cost.ts [recipe|crawl] [connections] [seconds] [node flags...]
 */
const [endpoint = 'recipe', connArg = '128', secondsArg = '10', ...nodeFlags] = process.argv.slice(2);
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

killChildrenOnExit();
const { queues } = await startEchoWorker('gc', amqpUrl);
const port = await freePort();
const relay = startBuiltRelay({ amqpUrl, queues, port, nodeArgs: ['--trace-gc-nvp', ...nodeFlags] });
const gcLines: string[] = [];
let partial = '';
relay.process.stdout?.on('data', (chunk: Buffer) => {
  const lines = (partial + chunk.toString()).split('\n');
  partial = lines.pop() ?? '';
  for (const line of lines) if (line.includes(' gc=')) gcLines.push(line);
});
const base = `http://127.0.0.1:${port}`;
await untilReady(relay, port);
const { path, body } = benchRequest(endpoint, 'gc');
const startedAt = gcLines.length;
const cpuBefore = cpuSeconds([relay.pid]);
let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb([relay.pid]))), 200);
const result = await load(`${base}${path}`, body, Number(connArg), Number(secondsArg));
clearInterval(sampler);
const cpu = cpuSeconds([relay.pid]) - cpuBefore;

const during = gcLines.slice(startedAt);
const scavenges = during.filter((l) => l.includes('gc=s '));
const markCompacts = during.filter((l) => l.includes('gc=mc '));
const perRequest = (x: number) => x / result.requests;
process.stdout.write(
  `${path} c=${connArg}${nodeFlags.length ? ` ${nodeFlags.join(' ')}` : ''}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, ` +
    `CPU ${perRequest(cpu * 1e6).toFixed(0)} µs/request, peak RSS ${peakRss.toFixed(0)} MB\n` +
    `  promoted ${(perRequest(sumGcField(scavenges, 'promoted')) / 1024).toFixed(2)} KB/request; ` +
    `${scavenges.length} scavenges ${perRequest(sumGcField(scavenges, 'pause') * 1000).toFixed(1)} µs/request; ` +
    `${markCompacts.length} mark-compacts ${perRequest(sumGcField(markCompacts, 'pause') * 1000).toFixed(1)} µs/request (pauses only)\n`,
);
relay.process.kill('SIGTERM');
await new Promise((r) => relay.process.once('exit', r));
killAll();
await deleteQueues(amqpUrl, Object.values(queues));
process.exit(0);
