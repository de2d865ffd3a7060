import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteQueues } from '../test/support/scripted-worker.ts';
import { freePort } from '../test/support/ports.ts';
import { startBuiltRelay, startEchoWorker, startRawGateway, untilReady } from './built-relay.ts';
import { killAll, killChildrenOnExit } from './processes.ts';
import { load } from './load.ts';
import { option } from './args.ts';
import { benchRequest } from './endpoints.ts';
import { median, signed } from './report.ts';

/**
 * Where one client's request spends its time inside the gateway: from the HTTP request to its
 * publish, from the reply to the written response, and from the response to the next request
 * (what the gateway still does after answering, and the client). Timestamps come from a preload
 * (bench/segment-marks.mjs), the same for the relay and raw+confirms; each run starts the gateway
 * afresh; runs alternate, so that a change in the machine's speed hits every target alike.
 * Usage: tsx bench/segments.ts [rounds] [recipe|crawl] [seconds] [--builds=dist,<dir>…] [--log-level=warn]
 *   --builds compares builds of the relay (directories holding main.js), e.g. a copy of dist/ made before a change.
 */
interface Segments {
  readonly requests: number;
  readonly requestToPublish: number;
  readonly publishToReply: number;
  readonly replyToResponse: number;
  readonly responseToNextRequest: number;
  readonly cycle: number;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const [roundsArg = '3', endpointArg = 'recipe', secondsArg = '5'] = positional;
const builds = (option('builds') ?? 'dist').split(',');
/** The relay's LOG_LEVEL: `info` is its default; the bench's `warn` leaves out the access log line. */
const logLevel = option('log-level') ?? 'warn';
const endpoint = benchRequest(endpointArg, 'segments');
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const preload = join(root, 'bench/segment-marks.mjs');
const targets = [...builds, 'raw+confirms'];
const WARMUP_SECONDS = 2;

killChildrenOnExit();
const { queues } = await startEchoWorker('segments', amqpUrl);
const runs = new Map<string, Segments[]>(targets.map((t) => [t, []]));

for (let round = 1; round <= Number(roundsArg); round++) {
  for (const target of targets) {
    const port = await freePort();
    const out = `/tmp/amqp-relay-segments-${process.pid}.json`;
    const nodeArgs = ['--import', preload];
    const env = { SEGMENT_MARKS_OUT: out, LOG_LEVEL: logLevel };
    const child =
      target === 'raw+confirms'
        ? await startRawGateway({ amqpUrl, queues, port, mode: 'confirm', label: target, nodeArgs, env })
        : startBuiltRelay({ amqpUrl, queues, port, nodeArgs, env, build: target });
    if (target !== 'raw+confirms') await untilReady(child, port);
    const url = `http://127.0.0.1:${port}${endpoint.path}`;
    await load(url, endpoint.body, 16, WARMUP_SECONDS); // optimized code, grown heap
    await load(url, endpoint.body, 1, 1);
    child.process.kill('SIGUSR2');
    const result = await load(url, endpoint.body, 1, Number(secondsArg));
    child.process.kill('SIGTERM');
    await new Promise((r) => child.process.once('exit', r));
    const segments = JSON.parse(readFileSync(out, 'utf8')) as Segments;
    rmSync(out, { force: true });
    runs.get(target)!.push(segments);
    process.stdout.write(
      `#${round} ${target.padEnd(14)} p50 ${result.p50.toFixed(3)} ms | request→publish ${segments.requestToPublish} µs, reply→response ${segments.replyToResponse} µs, ` +
        `response→next request ${segments.responseToNextRequest} µs, cycle ${segments.cycle} µs (${segments.requests} requests)\n`,
    );
  }
}

const of = (target: string, key: keyof Segments) => median(runs.get(target)!.map((s) => s[key]));
const keys = ['requestToPublish', 'replyToResponse', 'responseToNextRequest', 'cycle'] as const;
process.stdout.write(`\nmedian over ${roundsArg} runs, µs (${endpointArg}, 1 client, LOG_LEVEL=${logLevel})\n| target | ${keys.join(' | ')} |\n|---|${keys.map(() => '---:').join('|')}|\n`);
for (const target of targets) process.stdout.write(`| ${target} | ${keys.map((k) => of(target, k).toFixed(1)).join(' | ')} |\n`);
for (const build of builds) process.stdout.write(`| ${build} − raw+confirms | ${keys.map((k) => signed(of(build, k) - of('raw+confirms', k), 1)).join(' | ')} |\n`);
killAll();
await deleteQueues(amqpUrl, Object.values(queues));
process.exit(0);
