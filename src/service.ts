import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspection, type Inspection } from './actors/inspect.ts';
import { Relay } from './actors/relay.ts';
import { ResultStore } from './actors/results.ts';
import type { Config } from './config/index.ts';
import { answerClientError, createApp } from './http/app.ts';
import type { Logger } from './log.ts';
import { RelayMetrics } from './metrics.ts';

export interface RelayService {
  readonly config: Config;
  readonly relay: Relay;
  readonly metrics: RelayMetrics;
  readonly inspection: Inspection;
  readonly server: Server;
  /** The address the HTTP server listens on. */
  readonly port: number;
  /** Refuse new requests, let those in flight finish (up to `timeoutMs`), then close everything. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Close at once: HTTP server, then the broker connection. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  readonly port: number;
  readonly host: string;
  /** Node's process metrics (off in tests that run several relays in one process). */
  readonly processMetrics?: boolean;
}

/** Actors, HTTP app and server, composed once for `npm start` and for the tests. */
export async function startRelayService(config: Config, logger: Logger, options: ServiceOptions): Promise<RelayService> {
  const inspection = await createInspection(config.inspect, logger.child({ component: 'inspect' }), { telemetry: config.telemetry });
  const metrics = new RelayMetrics({ collectDefault: options.processMetrics ?? true });
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
    exposeMetrics: config.http.exposeMetrics,
    exposeDebug: config.http.exposeDebug,
    live: inspection.live,
    isDraining: () => draining,
  });
  const handle = app.callback();
  const server = createServer((req, res) => void handle(req, res));
  server.on('clientError', answerClientError(() => relay.newCorrelationId()));
  server.keepAliveTimeout = 65_000;
  server.listen(options.port, options.host);
  await once(server, 'listening');
  const closeServer = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });

  return {
    config,
    relay,
    metrics,
    inspection,
    server,
    port: (server.address() as AddressInfo).port,
    drain: async (timeoutMs) => {
      draining = true;
      const closed = closeServer();
      const drained = await relay.drain(timeoutMs);
      await relay.stop();
      inspection.stop();
      server.closeAllConnections();
      await closed;
      return drained;
    },
    stop: async () => {
      draining = true;
      const closed = closeServer();
      server.closeAllConnections();
      await closed;
      await relay.stop();
      inspection.stop();
    },
  };
}
