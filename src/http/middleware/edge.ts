import type { Middleware } from 'koa';
import type { Logger } from '../../log.ts';
import type { RelayMetrics } from '../../metrics.ts';
import type { RelayState } from '../context.ts';
import type { RouteTable } from '../route-table.ts';
import { bearerCheck } from './auth.ts';
import { renderError } from './errors.ts';

export interface EdgeDeps {
  readonly logger: Logger;
  readonly metrics: RelayMetrics;
  readonly routes: RouteTable;
  readonly apiTokens: readonly string[];
  readonly newCorrelationId: () => string;
}

/**
 * Everything every request goes through, as one middleware (each Koa layer costs a closure and a
 * promise per request): its correlation id and acceptance time, its route label, the token check
 * (before any body is read), 404/405 for what no route served, the contract's JSON for every
 * error, the metrics and the one finished-request log line.
 */
export function edge(deps: EdgeDeps): Middleware<RelayState> {
  const { logger, metrics, routes, newCorrelationId } = deps;
  // Without API_TOKENS there is nothing to check: no header is read.
  const checkToken = deps.apiTokens.length > 0 ? bearerCheck(deps.apiTokens) : undefined;
  return async (ctx, next) => {
    const started = performance.now();
    const correlationId = newCorrelationId();
    ctx.state.correlationId = correlationId;
    ctx.state.acceptedAt = Date.now();
    ctx.set('X-Correlation-Id', correlationId);
    const route = routes.routeOf(ctx.path);
    if (route !== undefined) ctx.state.route = route;
    try {
      checkToken?.(ctx.path, route, ctx.get('authorization'));
      await next();
      if (ctx.status === 404 && ctx.body === undefined) routes.refuse(ctx);
    } catch (caught) {
      renderError(ctx, caught, logger);
    }
    const seconds = (performance.now() - started) / 1000;
    if (route?.startsWith('/api/')) metrics.observeRequest(route, ctx.state.errorCode ?? 'ok', seconds);
    const line = { correlationId, method: ctx.method, route: route ?? ctx.path, status: ctx.status, ms: Math.round(seconds * 10_000) / 10 };
    if (ctx.status >= 500) logger.error(line, 'request failed');
    else logger.info(line, 'request finished');
  };
}
