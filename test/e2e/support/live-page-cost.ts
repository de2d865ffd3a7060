/**
 * CPU cost of the live actor page at a fixed request rate: the relay runs in this process, the
 * echo worker, the load generator (autocannon CLI) and the page's event-stream reader (curl)
 * each in their own, so process.cpuUsage() counts the relay alone.
 *
 * Usage: node --import tsx test/e2e/support/live-page-cost.ts [rate=1000] [seconds=20] [modes] [amqpUrl]
 * modes: comma-separated, in order (default off,live,live+page,live,live+page): off | live (page
 * closed: nobody watching) | live+page (page open: one subscriber). Prints one JSON line per mode.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { startRelay, uniqueQueues } from '../../support/relay-harness.ts';
import { deleteQueues } from '../../support/scripted-worker.ts';
import { relayCpuAtFixedRate } from '../../support/fixed-rate-load.ts';

type Mode = 'off' | 'live' | 'live+page';
const [rateArg = '1000', secondsArg = '20', modesArg = 'off,live,live+page,live,live+page', url = 'amqp://guest:guest@127.0.0.1:5672'] = process.argv.slice(2);
const modes = modesArg.split(',') as Mode[];
const rate = Number(rateArg);
const seconds = Number(secondsArg);

async function measure(mode: Mode) {
  const queues = uniqueQueues('live-page-cost');
  const relay = await startRelay({ amqpUrl: url, env: { ...queues, XSTATE_INSPECT: mode === 'off' ? 'off' : 'live' } });
  const worker: ChildProcess = fork('bench/echo-worker.ts', [url, '256', queues.AI_QUEUE_NAME!], { execArgv: ['--import', 'tsx'], stdio: ['pipe', 'inherit', 'inherit', 'ipc'] });
  await once(worker, 'message');
  const page = mode === 'live+page' ? spawn('curl', ['-sN', `${relay.baseUrl}/debug/inspector/events`], { stdio: ['ignore', 'ignore', 'ignore'] }) : undefined;
  const figures = await relayCpuAtFixedRate(relay.baseUrl, rate, seconds);
  page?.kill();
  worker.kill();
  await relay.stop();
  await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  return { mode, ...figures };
}

for (const mode of modes) process.stdout.write(`${JSON.stringify(await measure(mode))}\n`);
process.exit(0);
