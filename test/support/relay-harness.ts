import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import type { Inspection } from '../../src/actors/inspect.ts';
import type { Relay } from '../../src/actors/relay.ts';
import { type Config, loadConfig } from '../../src/config/load-config.ts';
import type { Logger } from '../../src/log.ts';
import type { RelayMetrics } from '../../src/metrics.ts';
import { startRelayService } from '../../src/service.ts';

/** Queue names of their own for one test file, so files can run side by side. */
export function uniqueQueues(label: string): Record<string, string> {
  const tag = `${label}.${randomBytes(4).toString('hex')}`;
  return {
    RABBITMQ_CRAWLING_REQUEST_QUEUE: `test.${tag}.crawl.request`,
    RABBITMQ_CRAWLING_RESPONSE_QUEUE: `test.${tag}.crawl.response`,
    AI_QUEUE_NAME: `test.${tag}.ai.recipe`,
    AI_IMAGE_QUEUE_NAME: `test.${tag}.ai.image`,
  };
}

export interface RunningRelay {
  readonly baseUrl: string;
  readonly config: Config;
  readonly relay: Relay;
  readonly metrics: RelayMetrics;
  readonly inspection: Inspection;
  /** Waits until the broker actor is connected (bounded). */
  ready(timeoutMs?: number): Promise<void>;
  /** Drains nothing: stops the HTTP server and closes the broker connection. */
  stop(): Promise<void>;
  /** SIGTERM-like: refuse new requests, wait for those in flight, then close. */
  drainAndStop(timeoutMs: number): Promise<boolean>;
}

export interface RelayOptions {
  readonly amqpUrl: string;
  readonly env?: Record<string, string>;
  readonly logger?: Logger;
  /** false: return without waiting for a broker connection (for a relay pointed at a dead port). */
  readonly waitForBroker?: boolean;
}

/** The relay in this process, on an ephemeral port, composed as `npm start` composes it. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const config = loadConfig({ RABBITMQ_URL: options.amqpUrl, RECONNECT_BASE_MS: '50', RECONNECT_MAX_MS: '1000', ...options.env });
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const service = await startRelayService(config, logger, { port: 0, host: '127.0.0.1', processMetrics: false });
  const { relay } = service;
  const running: RunningRelay = {
    baseUrl: `http://127.0.0.1:${service.port}`,
    config,
    relay,
    metrics: service.metrics,
    inspection: service.inspection,
    ready: (timeoutMs = 10_000) => waitFor(() => relay.readiness().ready, timeoutMs, 'the relay to connect to the broker'),
    stop: () => service.stop(),
    drainAndStop: (timeoutMs) => service.drain(timeoutMs),
  };
  if (options.waitForBroker !== false) await running.ready();
  return running;
}

/** Polls `condition` every 20 ms; rejects after `timeoutMs` naming what it waited for. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json: json as any, text };
}
