import amqp from 'amqplib';
import { pino } from 'pino';
import { brokerStateOf } from '../../src/actors/broker/broker.machine.ts';
import { aiHandler } from '../../src/workers/ai.ts';
import { type Handler, startWorker } from '../../src/workers/runtime.ts';
import { type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { sleep } from './load.ts';

export const logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** The reference AI worker, slowed down so that requests are in flight when the fault hits. */
function slowed(handler: Handler, delayMs: number): Handler {
  return async (request) => {
    await sleep(delayMs);
    return handler(request);
  };
}

export interface Stack {
  readonly relay: RunningRelay;
  readonly worker: ReturnType<typeof startWorker>;
  readonly queues: Record<string, string>;
  /** The relay's broker state, as /readyz reports it. */
  relayState(): string;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Where the relay connects (the broker, or a fault proxy in front of it). */
  readonly relayUrl: string;
  /** Where the worker connects. */
  readonly workerUrl: string;
  readonly label: string;
  readonly workerDelayMs?: number;
  readonly env?: Record<string, string>;
  readonly heartbeatSeconds?: number;
  /** Queue names to use (default: new ones). */
  readonly queues?: Record<string, string>;
}

/** A relay (in this process) and a reference AI worker, on queues of their own. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const queues = options.queues ?? uniqueQueues(options.label);
  const heartbeat = options.heartbeatSeconds ?? 10;
  const worker = startWorker({
    name: `chaos-ai-worker-${options.label}`,
    urls: [options.workerUrl],
    queues: [{ name: queues.AI_QUEUE_NAME!, durable: true, declare: true }],
    handle: slowed(aiHandler, options.workerDelayMs ?? 20),
    logger,
    prefetch: 64,
    heartbeatSeconds: heartbeat,
    reconnect: { baseMs: 50, maxMs: 1_000 },
  });
  const relay = await startRelay({
    amqpUrl: options.relayUrl,
    logger,
    env: { ...queues, AI_TIMEOUT_MS: '10000', RABBITMQ_HEARTBEAT_S: String(heartbeat), ...options.env },
  });
  await waitFor(() => brokerStateOf(worker.broker.getSnapshot()) === 'connected', 10_000, 'the worker to connect');
  return {
    relay,
    worker,
    queues,
    relayState: () => brokerStateOf(relay.relay.broker.getSnapshot()),
    stop: async () => {
      await Promise.allSettled([relay.stop(), worker.stop()]);
    },
  };
}

/** The first time an AMQP connection to `url` succeeds (polled every 50 ms, for at most 30 s). */
export async function brokerAcceptsAt(url: string): Promise<number> {
  for (let i = 0; i < 600; i++) {
    const ok = await amqp.connect(url, { timeout: 1_000 }).then(
      async (connection) => {
        await connection.close().catch(() => {});
        return true;
      },
      () => false,
    );
    if (ok) return Date.now();
    await sleep(50);
  }
  throw new Error(`the broker at ${new URL(url).host} did not come back within 30 s`);
}

/** Polls GET /readyz every 50 ms until stopped; keeps every answer with its time. */
export function pollReadiness(baseUrl: string): { samples: Array<{ at: number; status: number }>; stop(): Promise<void> } {
  const samples: Array<{ at: number; status: number }> = [];
  let running = true;
  const loop = (async () => {
    for (let i = 0; running && i < 2_000; i++) {
      // The time a probe was sent, not answered: under load an answer can come long after.
      const at = Date.now();
      const status = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(1_000) }).then(
        (r) => r.status,
        () => 0,
      );
      samples.push({ at, status });
      await sleep(50);
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
