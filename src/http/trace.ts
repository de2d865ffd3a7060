import type { Middleware } from 'koa';
import type { TraceHeaders } from '../actors/request/messages.ts';
import type { RequestTracing } from '../telemetry.ts';
import { ownTraceHeaders } from '../trace-context.ts';
import type { RelayContext, RelayState } from './context.ts';
import type { RouteTable } from './route-table.ts';

/**
 * The trace headers a request's message carries to the worker, also returned to the client as
 * `traceparent`: its span's (OTEL_ENABLED), else the caller's trace continued with a random span id
 * of the relay's own (no OpenTelemetry call at all).
 */
export function traceHeaders(ctx: RelayContext, kind: string): TraceHeaders {
  const traced = ctx.state.trace;
  const headers = traced ? traced.wire(ctx.state.correlationId, kind) : ownTraceHeaders(ctx.get('traceparent') || undefined, ctx.get('tracestate') || undefined);
  ctx.set('traceparent', headers.traceparent);
  return headers;
}

/**
 * OTEL_ENABLED: a span for every POST to an /api/ route, installed before the edge so that it
 * sees the final status of every response, errors included. GET /api/requests/:id (which may ask
 * another instance through the broker) is not traced.
 */
export function tracedRequests(tracing: RequestTracing, routes: RouteTable): Middleware<RelayState> {
  return async (ctx, next) => {
    const route = ctx.method === 'POST' ? routes.routeOf(ctx.path) : undefined;
    if (!route?.startsWith('/api/')) {
      await next();
      return;
    }
    const traced = tracing.start({ method: ctx.method, route, path: ctx.path, scheme: ctx.protocol, headers: ctx.headers });
    ctx.state.trace = traced;
    await next();
    traced.responded(ctx.status, ctx.state.correlationId, ctx.state.errorCode);
  };
}
