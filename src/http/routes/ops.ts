import { PassThrough } from 'node:stream';
import Router from '@koa/router';
import type { LiveInspectionHub } from '../../actors/inspect.ts';
import type { RelayPort } from '../../actors/relay.ts';
import { RelayError } from '../../errors.ts';
import type { RelayMetrics } from '../../metrics.ts';
import type { RelayState } from '../context.ts';
import { inspectorPage } from '../inspector/page.ts';
import { openApiDocument } from '../openapi.ts';

const SSE_BUFFER_LIMIT = 256 * 1024;

/** Streams of /debug/inspector/events open at once; beyond it 503 OVERLOADED. */
export const MAX_LIVE_SUBSCRIBERS = 32;

/** Readiness reasons that name a state and nothing internal (no host, vhost or queue). */
const STATE_ONLY_REASONS = new Set(['outbox is full', 'shutting down']);

export interface OpsDeps {
  readonly relay: RelayPort;
  readonly metrics: RelayMetrics;
  readonly live: LiveInspectionHub | undefined;
  /** false: the endpoint answers 404, as if it did not exist. */
  readonly exposeMetrics?: boolean;
  readonly exposeDebug?: boolean;
  /** false (API_TOKENS set): /readyz names the state only, never a host, vhost or queue. */
  readonly readinessDetail?: boolean;
  /** True from the shutdown signal on: /readyz answers 503 "shutting down". */
  readonly isShuttingDown?: () => boolean;
  readonly maxLiveSubscribers?: number;
}

function switchedOff(enabled: boolean | undefined): (ctx: unknown, next: () => Promise<unknown>) => Promise<unknown> {
  return (_ctx, next) => {
    if (enabled === false) throw new RelayError('NOT_FOUND', 'this endpoint is switched off');
    return next();
  };
}

/** Built on the first request for it (it is the same for every app), not at every start. */
let openApiJson: string | undefined;

export function opsRouter(deps: OpsDeps): Router<RelayState> {
  const { relay, metrics, live } = deps;
  const router = new Router<RelayState>();
  router.use('/metrics', switchedOff(deps.exposeMetrics));
  router.use('/debug', switchedOff(deps.exposeDebug));

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/readyz', (ctx) => {
    const readiness = deps.isShuttingDown?.() ? { ...relay.readiness(), ready: false, reason: 'shutting down' } : relay.readiness();
    ctx.status = readiness.ready ? 200 : 503;
    if (readiness.ready) {
      ctx.body = { status: 'ready', broker: readiness.broker };
      return;
    }
    const reason = readiness.reason ?? 'not ready';
    const shown = deps.readinessDetail === false && !STATE_ONLY_REASONS.has(reason) ? `broker is ${readiness.broker}` : reason;
    ctx.body = { status: 'not_ready', broker: readiness.broker, reason: shown };
  });

  router.get('/metrics', async (ctx) => {
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  });

  router.get('/debug/actors', (ctx) => {
    ctx.body = relay.actors();
  });

  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = openApiJson ??= JSON.stringify(openApiDocument());
  });

  router.get('/debug/inspector', (ctx) => {
    if (!live) throw new RelayError('NOT_FOUND', 'the live inspector is off (set XSTATE_INSPECT=live)');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = inspectorPage(live.statechart);
  });

  let subscribers = 0;
  router.get('/debug/inspector/events', (ctx) => {
    if (!live) throw new RelayError('NOT_FOUND', 'the live inspector is off (set XSTATE_INSPECT=live)');
    if (subscribers >= (deps.maxLiveSubscribers ?? MAX_LIVE_SUBSCRIBERS)) {
      throw new RelayError('OVERLOADED', 'too many open inspector streams', { 'Retry-After': '5' });
    }
    subscribers += 1;
    ctx.request.socket.setTimeout(0);
    ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    const stream = new PassThrough();
    // A client that reads too slowly misses messages instead of growing our buffer: each second is complete.
    const send = (data: unknown) => {
      if (stream.writableLength < SSE_BUFFER_LIMIT) stream.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    send({ kind: 'hello', broker: relay.actors().broker });
    const unsubscribe = live.subscribe(send);
    ctx.req.on('close', () => {
      subscribers -= 1;
      unsubscribe();
      stream.end();
    });
    ctx.status = 200;
    ctx.body = stream;
  });

  return router;
}
