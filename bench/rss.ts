import { deleteQueues } from '../test/support/scripted-worker.ts';
import { freePort } from '../test/support/ports.ts';
import { startBuiltRelay, startEchoWorker, startRawGateway, untilReady } from './built-relay.ts';
import { load } from './load.ts';
import { option } from './args.ts';
import { benchRequest } from './endpoints.ts';
import { killAll, killChildrenOnExit, rssMb, statusKb } from './processes.ts';

/**
 * RSS of one gateway started afresh, as an outside benchmark sees it: at ready, then highest and
 * last while autocannon sends recipe requests. `relay` is the built relay with npm start's node
 * flags; `raw` the compiled raw gateway with confirms. WARMUP=<seconds> sends 16 clients first
 * (as `npm run bench` does). Node flags after the arguments go to the gateway (a later one wins).
 * `--build=<dir>` runs another build of the relay (a copy of dist/ made before a change) instead of dist/.
 * Usage: tsx bench/rss.ts relay|raw [clients] [seconds] [--build=dir] [node flags…]
 */
const [target = 'relay', connArg = '1', secondsArg = '20', ...rest] = process.argv.slice(2);
const build = option('build');
const nodeFlags = rest.filter((arg) => !arg.startsWith('--build='));
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

killChildrenOnExit();
const { queues } = await startEchoWorker('rss', amqpUrl);
const port = await freePort();
let pid: number;
if (target === 'raw') {
  pid = (await startRawGateway({ amqpUrl, queues, port, mode: 'confirm', label: 'raw+confirms', nodeArgs: nodeFlags })).pid;
} else {
  const relay = startBuiltRelay({ amqpUrl, queues, port, nodeArgs: nodeFlags, build });
  await untilReady(relay, port);
  pid = relay.pid;
}
const { path, body } = benchRequest('recipe', 'rss');
const url = `http://127.0.0.1:${port}${path}`;
await new Promise((r) => setTimeout(r, 1_000));
const atReady = rssMb([pid]);
if (process.env.WARMUP) await load(url, body, 16, Number(process.env.WARMUP));
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, rssMb([pid]))), 200);
const result = await load(url, body, Number(connArg), Number(secondsArg));
clearInterval(sampler);
process.stdout.write(
  `${[target, ...rest].join(' ')}${process.env.WARMUP ? ` after ${process.env.WARMUP} s at 16 clients` : ''}, ${connArg} client(s) for ${secondsArg} s: ` +
    `RSS ${atReady.toFixed(0)} MB at ready, highest ${peak.toFixed(0)} MB, last ${rssMb([pid]).toFixed(0)} MB (${(statusKb(pid, 'RssAnon') / 1024).toFixed(0)} anonymous, ${(statusKb(pid, 'RssFile') / 1024).toFixed(0)} file-backed); ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms\n`,
);
killAll();
await deleteQueues(amqpUrl, Object.values(queues));
process.exit(0);
