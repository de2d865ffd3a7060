import { freePort } from '../test/support/ports.ts';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './load.ts';
import { benchRequest } from './endpoints.ts';
import { startBuiltRelay, startEchoWorker, untilReady } from './built-relay.ts';
import { killAll, killChildrenOnExit } from './processes.ts';
import { deleteQueues } from '../test/support/scripted-worker.ts';

/**
 * CPU profile of the relay under load: node --cpu-prof on `dist/main.js` (as `npm start` runs it), an echo worker, autocannon
 * on one endpoint, then SIGTERM (the profile is written at exit) and the top entries by self time.
 * Usage: tsx bench/profile.ts [recipe|crawl] [connections] [seconds]
 */
const [endpoint = 'recipe', connArg = '16', secondsArg = '8'] = process.argv.slice(2);
const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const dir = `/tmp/amqp-relay-prof-${randomBytes(3).toString('hex')}`;

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  return url.replace(/^.*node_modules\//, '~').replace(/^(file:\/\/.*?\/|(\.\.\/)+)(dist|src)\//, '$3/');
}

const sourceMaps = new Map<string, SourceMap | undefined>();

/** Where a frame of the dist/ bundle comes from (src/ or a package), through the bundle's source map. */
function original(frame: Node['callFrame']): { url: string; lineNumber: number } {
  if (!/\/dist\/.*\.js$/.test(frame.url)) return frame;
  if (!sourceMaps.has(frame.url)) {
    try {
      sourceMaps.set(frame.url, new SourceMap(JSON.parse(readFileSync(`${fileURLToPath(frame.url)}.map`, 'utf8'))));
    } catch {
      sourceMaps.set(frame.url, undefined);
    }
  }
  const entry = sourceMaps.get(frame.url)?.findEntry(frame.lineNumber, frame.columnNumber);
  return entry && 'originalSource' in entry ? { url: entry.originalSource, lineNumber: entry.originalLine } : frame;
}

function report(profile: Profile): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    const f = { functionName: frame.functionName, ...original(frame) };
    const key = `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const file = shortUrl(f.url).split('/').slice(0, 2).join('/') || f.functionName;
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const top = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`).join('\n');
  process.stdout.write(`self time by function (top 30 of ${(total / 1e6).toFixed(1)} s sampled):\n${top(byFunction, 30)}\n\n`);
  process.stdout.write(`self time by package or source folder:\n${top(byFile, 20)}\n`);
}

killChildrenOnExit();
mkdirSync(dir, { recursive: true });
const { queues } = await startEchoWorker('prof', amqpUrl);
const port = await freePort();
const relay = startBuiltRelay({ amqpUrl, queues, port, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`], env: { SHUTDOWN_TIMEOUT_MS: '2000' } });
const base = `http://127.0.0.1:${port}`;
await untilReady(relay, port);
const { path, body } = benchRequest(endpoint, 'profile');
const result = await load(`${base}${path}`, body, Number(connArg), Number(secondsArg));
process.stdout.write(`${path} c=${connArg}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, errors ${result.errors}\n`);
relay.process.kill('SIGTERM');
await new Promise((r) => relay.process.once('exit', r));
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error('no profile written');
process.stdout.write(`profile: ${join(dir, file)}\n`);
report(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile);
killAll();
await deleteQueues(amqpUrl, Object.values(queues));
if (process.env.KEEP_PROFILE !== '1') rmSync(dir, { recursive: true, force: true });
process.exit(0);
