import type { Duplex } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import type { LiveInspectionHub } from '../actors/inspect.ts';
import type { RelayPort } from '../actors/relay.ts';
import type { ResultStore } from '../actors/results.ts';
import { RelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RelayMetrics } from '../metrics.ts';
import type { RelayState } from './context.ts';
import { bearerAuth } from './middleware/auth.ts';
import { errorHandler } from './middleware/errors.ts';
import { requestLog } from './middleware/request-log.ts';
import { apiRouter } from './routes/api.ts';
import { opsRouter } from './routes/ops.ts';

export interface AppDeps {
  readonly relay: RelayPort;
  readonly results: ResultStore;
  readonly metrics: RelayMetrics;
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly apiTokens: readonly string[];
  readonly live?: LiveInspectionHub | undefined;
  readonly isDraining?: () => boolean;
  readonly isShuttingDown?: () => boolean;
  readonly exposeMetrics?: boolean;
  readonly exposeDebug?: boolean;
}

/**
 * Labels the request with its route template before anything can refuse it, so that a 401, 405
 * or 413 on an API route is counted under that route too. Unknown paths stay unlabelled.
 */
function labelRoute(routers: readonly Router<RelayState>[]): Koa.Middleware<RelayState> {
  return async (ctx, next) => {
    for (const router of routers) {
      const { path, pathAndMethod } = router.match(ctx.path, ctx.method);
      const layer = pathAndMethod.find((l) => l.methods.length > 0) ?? path.find((l) => l.methods.length > 0);
      if (layer) {
        ctx.state.route = String(layer.path);
        break;
      }
    }
    await next();
  };
}

/** A known path with a method it does not serve is 405 with Allow, whatever the method. */
function methodNotAllowed(routers: readonly Router<RelayState>[]): Koa.Middleware<RelayState> {
  return async (ctx, next) => {
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    const allowed = new Set<string>();
    for (const router of routers) {
      for (const layer of router.match(ctx.path, ctx.method).path) for (const m of layer.methods) allowed.add(m);
    }
    if (allowed.size === 0) return;
    const allow = [...allowed].join(', ');
    if (ctx.method === 'OPTIONS') {
      ctx.status = 204;
      ctx.set('Allow', allow);
      return;
    }
    throw new RelayError('METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${ctx.path}`, { Allow: allow });
  };
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
  app.use(requestLog({ logger: deps.logger, metrics: deps.metrics, newId: () => deps.relay.newCorrelationId() }));
  app.use(labelRoute([api, ops]));
  app.use(errorHandler(deps.logger));
  app.use(bearerAuth(deps.apiTokens));
  app.use(methodNotAllowed([api, ops]));
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
