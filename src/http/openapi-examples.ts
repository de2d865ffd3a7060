import type { ErrorCode } from '../errors.ts';
import type { RequestKind } from '../requests/kinds.ts';

/**
 * Example values shown in /openapi.json. test/unit/openapi-document.test.ts checks each against
 * the schema it illustrates (the document's and the zod schema that validates requests).
 */

const correlationId = 'relay-5f2a9c31d0e4.3b8e0a52-7c1d-4e8f-9a06-1d2c3e4f5a6b';

/** Per request kind: a body the route accepts, and (for kinds that answer with it) a worker's reply. */
export const KIND_EXAMPLES: Record<RequestKind, { readonly request: Record<string, unknown>; readonly reply?: unknown }> = {
  crawl: {
    request: { url: 'https://example.com/recipes/pancakes', depth: 1 },
    reply: { url: 'https://example.com/recipes/pancakes', status: 200, title: 'Pancakes', text: 'Whisk 200 g flour, 2 eggs and 300 ml milk…' },
  },
  ping: { request: { source: 'uptime-check' } },
  recipe_analysis: {
    request: { recipe_text: 'Whisk 200 g flour, 2 eggs and 300 ml milk; fry in butter.' },
    reply: { ingredients: ['flour', 'eggs', 'milk', 'butter'], servings: 4 },
  },
  image_analysis: {
    request: { s3_url: 's3://recipes/pancakes.jpg', description: 'A stack of pancakes' },
    reply: { labels: ['pancake', 'plate'], caption: 'A stack of pancakes on a plate' },
  },
};

export const ACCEPTED_EXAMPLE = { correlationId, status: 'accepted' };

export const ASYNC_RESULT_EXAMPLES = {
  pending: { status: 'pending' },
  done: { status: 'done', result: KIND_EXAMPLES.crawl.reply },
  failed: { status: 'failed', error: { code: 'TIMEOUT', message: 'no reply before the deadline' } },
};

export const READINESS_EXAMPLES = {
  ready: { status: 'ready', broker: 'connected' },
  notReady: { status: 'not_ready', broker: 'reconnecting', reason: 'broker is reconnecting' },
};

export const HEALTH_EXAMPLE = { status: 'ok' };

export const ACTORS_EXAMPLE = {
  broker: { state: 'connected', reconnects: 0, outbox: 0, unconfirmed: 0, awaitingReply: 1, connectedTo: 'rabbitmq:5672', lastError: null },
  requests: [{ id: 'request-1', correlationId, kind: 'recipe_analysis', state: 'awaitingReply', ageMs: 120 }],
};

/** A message the relay answers with, per error code. */
const ERROR_MESSAGES: Record<ErrorCode, string> = {
  INVALID_REQUEST: 'recipe_text: must be a non-empty string',
  UNAUTHORIZED: 'a valid bearer token is required',
  NOT_FOUND: 'no such request (unknown, or its result has expired)',
  METHOD_NOT_ALLOWED: 'DELETE is not allowed on /api/crawl',
  PAYLOAD_TOO_LARGE: 'the body is larger than 1048576 bytes',
  UNSUPPORTED_MEDIA_TYPE: 'the body must be JSON (Content-Type: application/json)',
  INTERNAL: 'the request failed inside the relay',
  WORKER_ERROR: 'the worker could not parse the recipe',
  BAD_REPLY: 'the reply is not valid JSON',
  BROKER_UNAVAILABLE: 'the broker was not reachable before the deadline',
  NO_ROUTE: 'the broker has no queue for this request',
  SHUTTING_DOWN: 'the relay is shutting down',
  OVERLOADED: '10000 requests are in flight already; try again later',
  TIMEOUT: 'no reply before the deadline',
};

export const errorExample = (code: ErrorCode) => ({ error: { code, message: ERROR_MESSAGES[code], correlationId } });
