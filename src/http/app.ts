import type { Duplex } from 'node:stream';
import Koa from 'koa';
import type { LiveInspectionHub } from '../actors/inspect.ts';
import type { RelayPort } from '../actors/relay.ts';
import type { ResultStore } from './async-results.ts';
import type { Logger } from '../log.ts';
import type { RelayMetrics } from '../metrics.ts';
import type { RequestTracing } from '../telemetry.ts';
import type { RelayState } from './context.ts';
import { edge } from './middleware/edge.ts';
import { RouteTable } from './route-table.ts';
import { apiRouter } from './routes/api.ts';
import { opsRouter } from './routes/ops.ts';
import { tracedRequests } from './trace.ts';

export interface AppDeps {
  readonly relay: RelayPort;
  readonly results: ResultStore;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly apiTokens: readonly string[];
  /** Mints the correlation id of each HTTP request. */
  readonly newCorrelationId: () => string;
  readonly live?: LiveInspectionHub | undefined;
  readonly isDraining?: () => boolean;
  readonly isShuttingDown?: () => boolean;
  readonly exposeMetrics?: boolean;
  readonly exposeDebug?: boolean;
  /** OTEL_ENABLED: a span per API request. */
  readonly tracing?: RequestTracing | undefined;
}

/** The Koa app, built from its dependencies; listening is the caller's business. */
export function createApp(deps: AppDeps): Koa<RelayState> {
  const app = new Koa<RelayState>();
  const api = apiRouter({ relay: deps.relay, results: deps.results, maxBodyBytes: deps.maxBodyBytes, isDraining: deps.isDraining ?? (() => false) });
  const ops = opsRouter({
    relay: deps.relay,
    metrics: deps.metrics,
    live: deps.live,
    readinessDetail: deps.apiTokens.length === 0,
    ...(deps.isShuttingDown ? { isShuttingDown: deps.isShuttingDown } : {}),
    ...(deps.exposeMetrics !== undefined ? { exposeMetrics: deps.exposeMetrics } : {}),
    ...(deps.exposeDebug !== undefined ? { exposeDebug: deps.exposeDebug } : {}),
  });
  const routes = new RouteTable([api, ops]);
  if (deps.tracing) app.use(tracedRequests(deps.tracing, routes));
  app.use(edge({ logger: deps.logger, metrics: deps.metrics, routes, apiTokens: deps.apiTokens, newCorrelationId: deps.newCorrelationId }));
  app.use(api.routes());
  app.use(ops.routes());
  app.on('error', (err: { code?: string }) => {
    if (err.code !== 'ERR_STREAM_PREMATURE_CLOSE' && err.code !== 'ECONNRESET') deps.logger.warn({ err }, 'http stream error');
  });
  return app;
}

/**
 * For `server.on('clientError', …)`: a request Node's HTTP parser rejects before Koa sees it (an
 * unknown method, a malformed request line or header) still gets the contract's JSON 400 with an
 * X-Correlation-Id, instead of Node's bare `400 Bad Request`.
 */
export function answerClientError(newId: () => string): (err: NodeJS.ErrnoException, socket: Duplex) => void {
  return (err, socket) => {
    // Once a response has gone out on this socket, another one would corrupt the stream.
    const bytesWritten = (socket as Duplex & { bytesWritten?: number }).bytesWritten ?? 0;
    if (err.code === 'ECONNRESET' || !socket.writable || bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const correlationId = newId();
    const message = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'the request was not received in time' : 'the request is not valid HTTP';
    const body = JSON.stringify({ error: { code: 'INVALID_REQUEST', message, correlationId } });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Correlation-Id: ${correlationId}\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
