import Router from '@koa/router';
import type { RelayPort } from '../../actors/relay.ts';
import type { TraceHeaders } from '../../actors/request/messages.ts';
import type { ResultStore } from '../async-results.ts';
import { RelayError } from '../../errors.ts';
import { bodyOfFields, type ClientBody } from '../../requests/client-body.ts';
import type { JsonText } from '../../requests/json-text.ts';
import { asyncResultJson } from '../../requests/lookup.ts';
import { KIND_NAMES, REQUEST_KINDS, type KindSpec, type RequestKind } from '../../requests/kinds.ts';
import { readJsonBody } from '../body.ts';
import type { RelayContext, RelayState } from '../context.ts';
import { traceHeaders } from '../trace.ts';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What an optional body that was not sent counts as. */
const NO_BODY = bodyOfFields({});

export interface ApiDeps {
  readonly relay: RelayPort;
  readonly results: ResultStore;
  readonly maxBodyBytes: number;
  readonly isDraining: () => boolean;
}

function validate(spec: KindSpec, body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new RelayError('INVALID_REQUEST', 'the body must be a JSON object');
  }
  const parsed = spec.schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RelayError('INVALID_REQUEST', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  // The body as the client sent it, not zod's copy (which drops an own "__proto__" key, for one).
  return body as Record<string, unknown>;
}

/** 200 with JSON text as it is (a worker's reply is never parsed and serialised again on its way). */
function answerJson(ctx: RelayContext, json: JsonText): void {
  ctx.status = 200;
  // The header as Koa's `ctx.type = 'application/json'` writes it, without a MIME table look-up per reply.
  ctx.set('Content-Type', JSON_CONTENT_TYPE);
  ctx.body = json;
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

/** One POST route per request kind (from the kinds table), and the asynchronous results. */
export function apiRouter(deps: ApiDeps): Router<RelayState> {
  const { relay, results, maxBodyBytes, isDraining } = deps;
  const router = new Router<RelayState>();

  const submit = (ctx: RelayContext, kind: RequestKind, body: ClientBody, trace: TraceHeaders) => {
    if (isDraining()) throw new RelayError('SHUTTING_DOWN', 'the relay is shutting down');
    const timeoutMs = clientTimeout(ctx.get('x-timeout-ms'));
    const { correlationId, acceptedAt } = ctx.state;
    const outcome = relay.submit({ kind, body, correlationId, acceptedAt, ...(timeoutMs !== undefined ? { timeoutMs } : {}), trace });
    ctx.state.trace?.follow(outcome);
    return outcome;
  };

  const answer = async (ctx: RelayContext, kind: RequestKind, body: ClientBody, trace: TraceHeaders) => {
    const outcome = await submit(ctx, kind, body, trace);
    if (!outcome.ok) throw new RelayError(outcome.code, outcome.message);
    answerJson(ctx, outcome.reply);
  };

  const accept = (ctx: RelayContext, kind: RequestKind, body: ClientBody, trace: TraceHeaders) => {
    const outcome = submit(ctx, kind, body, trace);
    const { correlationId } = ctx.state;
    results.accept(correlationId, outcome, REQUEST_KINDS[kind].route);
    ctx.status = 202;
    ctx.set('Location', `/api/requests/${encodeURIComponent(correlationId)}`);
    ctx.body = { correlationId, status: 'accepted' };
  };

  for (const kind of KIND_NAMES) {
    const spec = REQUEST_KINDS[kind];
    router.post(spec.route, async (ctx) => {
      // First, so that a request refused for its body also answers with its traceparent.
      const trace = traceHeaders(ctx, kind);
      const raw = await readJsonBody(ctx, maxBodyBytes, { optional: spec.bodyOptional });
      const body = raw === undefined ? NO_BODY : { fields: validate(spec, raw.value), json: raw.json };
      const async = spec.answer === 'accept' || (spec.answer === 'replyUnlessPreferAsync' && prefersAsync(ctx.get('prefer')));
      if (async) accept(ctx, kind, body, trace);
      else await answer(ctx, kind, body, trace);
    });
  }

  // A result this instance does not hold is asked of its owner (the id's prefix), through the broker.
  router.get('/api/requests/:correlationId', async (ctx) => {
    const correlationId = ctx.params.correlationId ?? '';
    const local = results.get(correlationId);
    if (local) {
      answerJson(ctx, asyncResultJson(local));
      return;
    }
    const looked = await relay.lookup(correlationId, ctx.state.acceptedAt);
    if (looked.kind === 'failed') throw new RelayError(looked.code, looked.message);
    if (looked.kind === 'notFound') throw new RelayError('NOT_FOUND', 'no such request (unknown, or its result has expired)');
    answerJson(ctx, looked.json);
  });

  return router;
}
