import type { Middleware } from 'koa';
import { Batch } from '../../batch.ts';
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

interface FinishedRequest {
  readonly correlationId: string;
  readonly method: string;
  /** The route template, or the path when no route served it. */
  readonly route: string;
  readonly api: boolean;
  readonly errorCode: string | undefined;
  readonly status: number;
  readonly seconds: number;
}

/**
 * The metrics and the log line of finished requests, recorded in the check phase of the turn that
 * finished them: after Koa has written their responses, so that neither is on the way from a reply
 * to its client. The figures are taken when the request finishes; only the recording waits.
 */
function requestAccounting(logger: Logger, metrics: RelayMetrics): Batch<FinishedRequest> {
  return new Batch(setImmediate, (batch) => {
    for (const f of batch) {
      if (f.api) metrics.observeRequest(f.route, f.errorCode ?? 'ok', f.seconds);
      const line = { correlationId: f.correlationId, method: f.method, route: f.route, status: f.status, ms: Math.round(f.seconds * 10_000) / 10 };
      if (f.status >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request finished');
    }
  });
}

/**
 * Everything every request goes through, as one middleware (each Koa layer costs a closure and a
 * promise per request): its correlation id and acceptance time, its route label, the token check
 * (before any body is read), 404/405 for what no route served, the contract's JSON for every
 * error, and the metrics and the one finished-request log line (recorded after the response).
 */
export function edge(deps: EdgeDeps): Middleware<RelayState> {
  const { logger, metrics, routes, newCorrelationId } = deps;
  // Without API_TOKENS there is nothing to check: no header is read.
  const checkToken = deps.apiTokens.length > 0 ? bearerCheck(deps.apiTokens) : undefined;
  const finished = requestAccounting(logger, metrics);
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
    finished.add({
      correlationId,
      method: ctx.method,
      route: route ?? ctx.path,
      api: route?.startsWith('/api/') ?? false,
      errorCode: ctx.state.errorCode,
      status: ctx.status,
      seconds: (performance.now() - started) / 1000,
    });
  };
}
