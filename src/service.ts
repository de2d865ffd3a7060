import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspection, type Inspection } from './actors/inspect.ts';
import { Relay } from './actors/relay.ts';
import { ResultStore } from './http/async-results.ts';
import type { Config } from './config/load-config.ts';
import { answerClientError, createApp } from './http/app.ts';
import { createHttpServer } from './http/server.ts';
import type { Logger } from './log.ts';
import { newCorrelationId } from './requests/correlation-id.ts';
import { RelayMetrics } from './metrics.ts';
import { startRequestTracing } from './telemetry.ts';

export interface RelayService {
  readonly config: Config;
  readonly relay: Relay;
  readonly metrics: RelayMetrics;
  readonly inspection: Inspection;
  readonly server: Server;
  /** The address the HTTP server listens on. */
  readonly port: number;
  /** From now on /readyz answers 503 "shutting down"; requests are still served normally. */
  beginShutdown(): void;
  /**
   * Stop accepting, let requests in flight finish (up to `timeoutMs`), answer those still
   * unfinished with 503 SHUTTING_DOWN, let the answers flush, then close everything. True when
   * nothing had to be cut short.
   */
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

/** After a drain, how long the last answers get to be written before every connection is closed. */
const ANSWER_FLUSH_MS = 2_000;

/** Actors, HTTP app and server, composed once for `npm start` and for the tests. */
export async function startRelayService(config: Config, logger: Logger, options: ServiceOptions): Promise<RelayService> {
  const tracing = config.telemetry ? await startRequestTracing() : undefined;
  const inspection = await createInspection(config.inspect, logger.child({ component: 'inspect' }), { tracing: tracing?.observe, bodies: config.inspectBodies });
  const metrics = new RelayMetrics({ collectDefault: options.processMetrics ?? true });
  const results = new ResultStore(config.resultTtlMs, config.resultStoreMax, (route, outcome) => metrics.observeAsyncResult(route, outcome));
  const relay = new Relay({
    config,
    logger,
    metrics,
    answerLookup: (correlationId) => results.get(correlationId),
    ...(inspection.inspect ? { inspect: inspection.inspect } : {}),
  }).start();
  metrics.outboxSize = () => relay.outbox;
  metrics.inFlightCount = () => relay.inFlight;
  metrics.inFlightBytes = () => relay.requests.bytes;
  const mintCorrelationId = () => newCorrelationId(config.instanceId);
  inspection.live?.readGauges(() => ({ inFlight: relay.inFlight, outbox: relay.outbox }));
  let draining = false;
  let shuttingDown = false;
  const app = createApp({
    relay,
    results,
    metrics,
    logger,
    maxBodyBytes: config.http.maxBodyBytes,
    newCorrelationId: mintCorrelationId,
    apiTokens: config.http.apiTokens,
    exposeMetrics: config.http.exposeMetrics,
    exposeDebug: config.http.exposeDebug,
    live: inspection.live,
    isDraining: () => draining,
    isShuttingDown: () => shuttingDown,
    tracing,
  });
  const handle = app.callback();
  const http = createHttpServer((req, res) => void handle(req, res), { headersTimeoutMs: config.http.headersTimeoutMs, requestTimeoutMs: config.http.requestTimeoutMs });
  const { server } = http;
  server.on('clientError', answerClientError(mintCorrelationId));
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
    beginShutdown: () => {
      shuttingDown = true;
    },
    drain: async (timeoutMs) => {
      shuttingDown = true;
      draining = true;
      const closed = closeServer();
      const deadline = Date.now() + timeoutMs;
      const drained = (await relay.drain(timeoutMs)) && (await http.answered(deadline - Date.now()));
      if (!drained) {
        const cut = relay.failUnfinished('the relay shut down before this request finished');
        logger.warn({ requests: cut }, 'shutdown timeout: unfinished requests answered 503 SHUTTING_DOWN');
      }
      // Answer first, let the writes flush, then close: closing at once would reset unwritten answers.
      await http.answered(ANSWER_FLUSH_MS);
      await relay.stop();
      inspection.stop();
      server.closeIdleConnections();
      server.closeAllConnections();
      await closed;
      await tracing?.flush(ANSWER_FLUSH_MS);
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
