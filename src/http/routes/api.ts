import Router from '@koa/router';
import type { z } from 'zod';
import type { RelayPort } from '../../actors/relay.ts';
import type { ResultStore } from '../../actors/results.ts';
import type { RequestKind } from '../../actors/request/outcome.ts';
import { RelayError } from '../../errors.ts';
import { readJsonBody } from '../body.ts';
import type { RelayContext, RelayState } from '../context.ts';
import { crawlBody, imageBody, pingBody, recipeBody } from '../schemas.ts';
import { continueTrace, formatTraceparent } from '../trace.ts';

export interface ApiDeps {
  readonly relay: RelayPort;
  readonly results: ResultStore;
  readonly maxBodyBytes: number;
  readonly isDraining: () => boolean;
}

function validate<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RelayError('INVALID_REQUEST', 'the body must be a JSON object');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RelayError('INVALID_REQUEST', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  // The body as the client sent it, not zod's copy (which drops an own "__proto__" key, for one).
  return body as z.infer<T>;
}

/** True when a Prefer header (RFC 7240: comma-separated preferences) asks for respond-async. */
export function prefersAsync(header: string): boolean {
  return header.split(',').some((preference) => preference.split(/[;=]/, 1)[0]!.trim().toLowerCase() === 'respond-async');
}

/** X-Timeout-Ms may only shorten a deadline: a positive integer, capped at the route's own. */
export function clientTimeout(header: string): number | undefined {
  if (header === '') return undefined;
  if (!/^\d+$/.test(header.trim()) || Number(header) <= 0 || !Number.isSafeInteger(Number(header))) {
    throw new RelayError('INVALID_REQUEST', 'X-Timeout-Ms: must be a positive integer of milliseconds');
  }
  return Number(header);
}

export function apiRouter(deps: ApiDeps): Router<RelayState> {
  const { relay, results, maxBodyBytes, isDraining } = deps;
  const router = new Router<RelayState>();

  const submit = (ctx: RelayContext, kind: RequestKind, body: Record<string, unknown>) => {
    if (isDraining()) throw new RelayError('SHUTTING_DOWN', 'the relay is shutting down');
    const timeoutMs = clientTimeout(ctx.get('x-timeout-ms'));
    const trace = continueTrace(ctx.get('traceparent') || undefined, ctx.get('tracestate') || undefined);
    const traceparent = formatTraceparent(trace);
    ctx.set('traceparent', traceparent);
    return relay.submit({
      kind,
      body,
      correlationId: ctx.state.correlationId,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      trace: { traceparent, ...(trace.tracestate ? { tracestate: trace.tracestate } : {}) },
    });
  };

  const answer = async (ctx: RelayContext, kind: RequestKind, body: Record<string, unknown>) => {
    const outcome = await submit(ctx, kind, body).outcome;
    if (!outcome.ok) throw new RelayError(outcome.code, outcome.message);
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.body = JSON.stringify(outcome.reply);
  };

  const accept = (ctx: RelayContext, kind: RequestKind, body: Record<string, unknown>) => {
    const { correlationId, outcome } = submit(ctx, kind, body);
    results.accept(correlationId, outcome);
    ctx.status = 202;
    ctx.set('Location', `/api/requests/${encodeURIComponent(correlationId)}`);
    ctx.body = { correlationId, status: 'accepted' };
  };

  router.post('/api/crawl', async (ctx) => {
    const body = validate(crawlBody, await readJsonBody(ctx, maxBodyBytes));
    if (prefersAsync(ctx.get('prefer'))) accept(ctx, 'crawl', body);
    else await answer(ctx, 'crawl', body);
  });

  router.post('/api/crawl/ping', async (ctx) => {
    const raw = await readJsonBody(ctx, maxBodyBytes, { optional: true });
    accept(ctx, 'ping', raw === undefined ? {} : validate(pingBody, raw));
  });

  router.post('/api/ai/recipe', async (ctx) => {
    const { recipe_text } = validate(recipeBody, await readJsonBody(ctx, maxBodyBytes));
    await answer(ctx, 'recipe_analysis', { recipe_text });
  });

  router.post('/api/ai/image', async (ctx) => {
    const { s3_url, description } = validate(imageBody, await readJsonBody(ctx, maxBodyBytes));
    await answer(ctx, 'image_analysis', description === undefined ? { s3_url } : { s3_url, description });
  });

  router.get('/api/requests/:correlationId', (ctx) => {
    const result = results.get(ctx.params.correlationId ?? '');
    if (!result) throw new RelayError('NOT_FOUND', 'no such request (unknown, or its result has expired)');
    ctx.body = result;
  });

  return router;
}
