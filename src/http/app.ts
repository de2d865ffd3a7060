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
  const ops = opsRouter({ relay: deps.relay, metrics: deps.metrics, live: deps.live });
  app.use(requestLog({ logger: deps.logger, metrics: deps.metrics, newId: () => deps.relay.newCorrelationId() }));
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
