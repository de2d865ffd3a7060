import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createInspection, type Inspection } from '../../src/actors/inspect.ts';
import { Relay } from '../../src/actors/relay.ts';
import { ResultStore } from '../../src/actors/results.ts';
import { type Config, loadConfig } from '../../src/config/index.ts';
import { answerClientError, createApp } from '../../src/http/app.ts';
import type { Logger } from '../../src/log.ts';
import { RelayMetrics } from '../../src/metrics.ts';

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

/** The relay in this process, on an ephemeral port, as main.ts composes it. */
export async function startRelay(options: RelayOptions): Promise<RunningRelay> {
  const config = loadConfig({ RABBITMQ_URL: options.amqpUrl, RECONNECT_BASE_MS: '50', RECONNECT_MAX_MS: '1000', ...options.env });
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const inspection = await createInspection(config.inspect, logger, { telemetry: config.telemetry });
  const metrics = new RelayMetrics({ collectDefault: false });
  const relay = new Relay({ config, logger, metrics, ...(inspection.inspect ? { inspect: inspection.inspect } : {}) }).start();
  metrics.outboxSize = () => relay.outbox;
  let draining = false;
  const app = createApp({
    relay,
    results: new ResultStore(config.resultTtlMs),
    metrics,
    logger,
    maxBodyBytes: config.http.maxBodyBytes,
    apiTokens: config.http.apiTokens,
    live: inspection.live,
    isDraining: () => draining,
  });
  const server: Server = createServer(app.callback());
  server.on('clientError', answerClientError(() => relay.newCorrelationId()));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  const running: RunningRelay = {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    relay,
    metrics,
    inspection,
    ready: (timeoutMs = 10_000) => waitFor(() => relay.readiness().ready, timeoutMs, 'the relay to connect to the broker'),
    stop: async () => {
      await closeServer();
      await relay.stop();
      inspection.stop();
    },
    drainAndStop: async (timeoutMs) => {
      draining = true;
      server.close();
      const drained = await relay.drain(timeoutMs);
      await relay.stop();
      server.closeAllConnections();
      return drained;
    },
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
