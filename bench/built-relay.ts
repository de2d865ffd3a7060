import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Child, startChild } from './processes.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchQueues {
  readonly recipe: string;
  readonly crawl: string;
  readonly crawlResponse: string;
}

/**
 * The relay as `npm start` runs it (dist/, rebuilt first if src/ changed), on 127.0.0.1:`port`
 * with the given queues. `nodeArgs` go before the script (e.g. --cpu-prof), `env` over the rest.
 */
export function startBuiltRelay(options: { amqpUrl: string; queues: BenchQueues; port: number; nodeArgs?: readonly string[]; env?: NodeJS.ProcessEnv }): Child {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--if-stale'], { stdio: 'inherit' });
  const { amqpUrl, queues, port } = options;
  return startChild(
    process.execPath,
    [...(options.nodeArgs ?? []), join(root, 'dist/main.js')],
    {
      ...process.env,
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
