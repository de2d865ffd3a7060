import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { npmStartEnv, npmStartFlags } from '../test/support/start-flags.ts';
import { compiledScript } from './compiled.ts';
import { type Child, startChild } from './processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchQueues {
  readonly recipe: string;
  readonly crawl: string;
  readonly crawlResponse: string;
}

/**
 * The relay as `npm start` runs it (dist/, rebuilt first if src/ changed), on 127.0.0.1:`port`
 * with the given queues and npm start's node flags and environment. `nodeArgs` go after those (a later V8 flag wins,
 * e.g. --max-semi-space-size=16) and before the script (e.g. --cpu-prof); `env` over the rest.
 */
export function startBuiltRelay(options: {
  amqpUrl: string;
  queues: BenchQueues;
  port: number;
  nodeArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** The build to run: a directory holding main.js (`dist` by default; a copy of it made before a change, to compare). */
  build?: string | undefined;
}): Child {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
  const { amqpUrl, queues, port } = options;
  return startChild(
    process.execPath,
    [...npmStartFlags(), ...(options.nodeArgs ?? []), join(resolve(root, options.build ?? 'dist'), 'main.js')],
    {
      ...process.env,
      ...npmStartEnv(),
      NODE_ENV: 'production',
      RABBITMQ_URL: amqpUrl,
      RABBITMQ_CRAWLING_REQUEST_QUEUE: queues.crawl,
      RABBITMQ_CRAWLING_RESPONSE_QUEUE: queues.crawlResponse,
      AI_QUEUE_NAME: queues.recipe,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      ...options.env,
    },
    'relay',
  );
}

/**
 * The raw gateway the relay is measured against (`bench/raw-gateway.ts`), compiled as the relay is
 * (no TypeScript loader in its process), on 127.0.0.1:`port` with the given queues, ready.
 * `mode` is `confirm` (raw+confirms) or `plain` (raw); `nodeArgs` go before the script; `env` over the rest.
 */
export async function startRawGateway(options: {
  amqpUrl: string;
  queues: BenchQueues;
  port: number;
  mode: 'confirm' | 'plain';
  label: string;
  nodeArgs?: readonly string[];
  env?: NodeJS.ProcessEnv;
}): Promise<Child> {
  const { amqpUrl, queues, port, mode } = options;
  const args = [...(options.nodeArgs ?? []), compiledScript('bench/raw-gateway.ts'), amqpUrl, String(port), mode, queues.recipe, queues.crawl, queues.crawlResponse];
  const child = startChild(process.execPath, args, { ...process.env, NODE_ENV: 'production', ...options.env }, options.label);
  await child.waitForLine(/^ready$/, 30_000);
  return child;
}

/**
 * Queues of its own for one bench run (`amqp-relay-<label>.<tag>.…`, for deleteQueues at the end)
 * and an echo worker serving them, ready.
 */
export async function startEchoWorker(label: string, amqpUrl: string): Promise<{ readonly queues: BenchQueues; readonly worker: Child }> {
  const tag = randomBytes(3).toString('hex');
  const queues = { recipe: `amqp-relay-${label}.${tag}.recipe`, crawl: `amqp-relay-${label}.${tag}.crawl`, crawlResponse: `amqp-relay-${label}.${tag}.crawl.response` };
  const env = { ...process.env, NODE_ENV: 'production' };
  const worker = startChild(process.execPath, ['--import', 'tsx', join(root, 'bench/echo-worker.ts'), amqpUrl, '256', queues.recipe, queues.crawl], env, 'echo worker');
  await worker.waitForLine(/^ready$/, 20_000);
  return { queues, worker };
}

/** Resolves once the relay on `port` answers /readyz with 200; throws with its output after `timeoutMs`. */
export async function untilReady(relay: Child, port: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error(`relay not ready\n${relay.output.join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
