import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Relays and workers as separate processes (`npm start` / `npm run workers`), the way they are deployed. */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// `node --import tsx` rather than tsx's CLI: the CLI runs the script in a second process, which a
// SIGKILL to the CLI would leave running (and serving) as an orphan.
const TSX_ARGS = ['--import', 'tsx'];

export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines it wrote (pino JSON at LOG_LEVEL=warn), for failure messages. */
  readonly output: string[];
  readonly exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
}

export interface RelayProcess extends ServiceProcess {
  readonly instanceId: string;
  readonly baseUrl: string;
}

import { freePort } from '../../support/ports.ts';

export { freePort };

function start(name: string, entry: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [...TSX_ARGS, entry], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) output.push(line);
    if (output.length > 50) output.splice(0, output.length - 50);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    name,
    child,
    output,
    exited,
    kill: (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export async function startRelayProcess(instanceId: string, env: Record<string, string>): Promise<RelayProcess> {
  const port = await freePort();
  const service = start(`relay ${instanceId}`, 'src/main.ts', { HOST: '127.0.0.1', PORT: String(port), RELAY_INSTANCE_ID: instanceId, ...env });
  return { ...service, instanceId, baseUrl: `http://127.0.0.1:${port}` };
}

export function startWorkerProcess(name: string, env: Record<string, string>): ServiceProcess {
  // Tests crawl a site of their own on 127.0.0.1, which the reference crawler refuses by default.
  return start(name, 'src/workers/main.ts', { CRAWLER_ALLOW_PRIVATE: 'true', ...env });
}

/** Waits (bounded) until GET /readyz answers 200. */
export async function waitUntilReady(relay: RelayProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (relay.child.exitCode !== null) throw new Error(`${relay.name} exited (${relay.child.exitCode}): ${relay.output.join('\n')}`);
    const status = await fetch(`${relay.baseUrl}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${relay.name} not ready after ${timeoutMs} ms: ${relay.output.join('\n')}`);
}

/** SIGTERM, then SIGKILL whatever is still running after `graceMs`. */
export async function stopAll(services: readonly (ServiceProcess | undefined)[], graceMs = 5_000): Promise<void> {
  const running = services.filter((s): s is ServiceProcess => !!s && s.child.exitCode === null && s.child.signalCode === null);
  for (const s of running) s.kill('SIGTERM');
  const timer = new Promise((r) => setTimeout(r, graceMs).unref());
  await Promise.race([Promise.all(running.map((s) => s.exited)), timer]);
  for (const s of running) s.kill('SIGKILL');
  await Promise.race([Promise.all(running.map((s) => s.exited)), new Promise((r) => setTimeout(r, 2_000).unref())]);
}

/** The value of one Prometheus sample (0 when absent). */
export async function metricValue(baseUrl: string, sample: string): Promise<number> {
  const text = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.text());
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
