import type { Middleware } from 'koa';
import type { Logger } from '../../log.ts';
import type { RelayMetrics } from '../../metrics.ts';
import type { RelayState } from '../context.ts';

/**
 * Gives every request its correlation id (the AMQP correlationId of its message, if it sends one),
 * puts it on the response, and writes the one finished-request line.
 */
export function requestLog(deps: { logger: Logger; metrics: RelayMetrics; newId: () => string }): Middleware<RelayState> {
  const { logger, metrics, newId } = deps;
  return async (ctx, next) => {
    const started = performance.now();
    ctx.state.correlationId = newId();
    ctx.set('X-Correlation-Id', ctx.state.correlationId);
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = ctx.state.route;
      const outcome = ctx.state.errorCode ?? 'ok';
      if (route?.startsWith('/api/')) metrics.observeRequest(route, outcome, seconds);
      const line = { correlationId: ctx.state.correlationId, method: ctx.method, route: route ?? ctx.path, status: ctx.status, ms: Math.round(seconds * 10_000) / 10 };
      if (ctx.status >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request finished');
    }
  };
}
