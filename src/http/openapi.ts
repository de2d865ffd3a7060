import * as z from 'zod/mini';
import { ERROR_STATUS, RETRY_AFTER_SECONDS, type ErrorCode, type RequestErrorCode } from '../errors.ts';
import { KIND_NAMES, REQUEST_KINDS, type RequestKind } from '../requests/kinds.ts';
import { requiresToken } from './middleware/auth.ts';
import {
  ACCEPTED_EXAMPLE,
  ACTORS_EXAMPLE,
  ASYNC_RESULT_EXAMPLES,
  errorExample,
  HEALTH_EXAMPLE,
  KIND_EXAMPLES,
  READINESS_EXAMPLES,
} from './openapi-examples.ts';
import { acceptedResponse, actorsResponse, asyncResultResponse, errorResponse, healthResponse, readyResponse, workerReply } from './response-schemas.ts';

type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];
type Json = Record<string, unknown>;

/** What each code tells a client (the contract's error table, shortened). */
const MEANING: Record<ErrorCode, string> = {
  INVALID_REQUEST: 'malformed JSON, a missing or wrong field (named in the message), or a bad X-Timeout-Ms',
  UNAUTHORIZED: 'API_TOKENS is set and the request has no valid bearer token',
  NOT_FOUND: 'unknown route or request id, or an endpoint that is switched off',
  METHOD_NOT_ALLOWED: 'a known path with a method it does not serve (with Allow)',
  PAYLOAD_TOO_LARGE: 'the body is over MAX_BODY_BYTES',
  UNSUPPORTED_MEDIA_TYPE: 'the body is not JSON',
  INTERNAL: 'the request failed inside the relay',
  WORKER_ERROR: 'the worker replied with an error',
  BAD_REPLY: 'the reply is not valid JSON',
  BROKER_UNAVAILABLE: 'the request was never handed to the broker: safe to retry',
  NO_ROUTE: 'the broker returned the message as unroutable (no such queue)',
  SHUTTING_DOWN: 'the relay is draining',
  OVERLOADED: 'MAX_IN_FLIGHT_REQUESTS or MAX_IN_FLIGHT_BYTES reached',
  TIMEOUT: 'the message reached the broker and no reply came before the deadline: a worker may have done the work',
};

/** The shared response of each error status (components.responses). */
const STATUS_RESPONSE: Record<ErrorStatus, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  500: 'InternalError',
  502: 'BadGateway',
  503: 'ServiceUnavailable',
  504: 'GatewayTimeout',
};

/** Per request kind: its operationId and the name of its body schema. */
const KIND_OPERATION: Record<RequestKind, { readonly operationId: string; readonly body: string }> = {
  crawl: { operationId: 'crawl', body: 'CrawlRequest' },
  ping: { operationId: 'ping', body: 'PingRequest' },
  recipe_analysis: { operationId: 'analyzeRecipe', body: 'RecipeAnalysisRequest' },
  image_analysis: { operationId: 'analyzeImage', body: 'ImageAnalysisRequest' },
};

/** Codes a request actor can end with (a Record, so a code added to RequestErrorCode must be placed here). */
const OUTCOME_CODES = Object.keys({
  TIMEOUT: 1,
  BROKER_UNAVAILABLE: 1,
  WORKER_ERROR: 1,
  BAD_REPLY: 1,
  NO_ROUTE: 1,
  SHUTTING_DOWN: 1,
  INTERNAL: 1,
} satisfies Record<RequestErrorCode, 1>) as RequestErrorCode[];
/** Reading and validating a body (and X-Timeout-Ms). */
const BODY_CODES: readonly ErrorCode[] = ['INVALID_REQUEST', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
/** Refused before a request actor is created. */
const ADMISSION_CODES: readonly ErrorCode[] = ['SHUTTING_DOWN', 'OVERLOADED'];
/** Outcomes of a lookup that the client sees as 404 (src/actors/request/lookup.ts); the others stay errors. */
const LOOKUP_NOT_FOUND: readonly ErrorCode[] = ['NO_ROUTE', 'TIMEOUT', 'BAD_REPLY', 'WORKER_ERROR'];

const ref = (kind: 'schemas' | 'responses' | 'parameters' | 'headers', name: string) => ({ $ref: `#/components/${kind}/${name}` });

function schema(zod: z.ZodMiniType): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(zod, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
  return rest;
}

/** A JSON media type: its schema and, when given, named examples. */
function json(schemaName: string, examples?: Record<string, unknown>): Json {
  const named = examples && Object.fromEntries(Object.entries(examples).map(([name, value]) => [name, { value }]));
  return { content: { 'application/json': { schema: ref('schemas', schemaName), ...(named ? { examples: named } : {}) } } };
}

const text = (type: string) => ({ content: { [type]: { schema: { type: 'string' } } } });

/** A response: every one carries X-Correlation-Id. */
function response(description: string, body: Json = {}, headers: Json = {}): Json {
  return { description, headers: { 'X-Correlation-Id': ref('headers', 'CorrelationId'), ...headers }, ...body };
}

const codesOf = (status: ErrorStatus) => (Object.keys(ERROR_STATUS) as ErrorCode[]).filter((code) => ERROR_STATUS[code] === status);
const meaningOf = (codes: readonly ErrorCode[]) => codes.map((code) => `${code}: ${MEANING[code]}`).join('. ');

/** The shared error response of each status in the error table, with an example per code. */
function errorComponents(): Json {
  const statuses = [...new Set(Object.values(ERROR_STATUS))].sort();
  return Object.fromEntries(
    statuses.map((status) => {
      const codes = codesOf(status);
      const headers: Json = {};
      if (codes.some((code) => RETRY_AFTER_SECONDS[code] !== undefined)) headers['Retry-After'] = ref('headers', 'RetryAfter');
      if (status === ERROR_STATUS.UNAUTHORIZED) headers['WWW-Authenticate'] = ref('headers', 'WwwAuthenticate');
      if (status === ERROR_STATUS.METHOD_NOT_ALLOWED) headers.Allow = { description: 'The methods the path serves', schema: { type: 'string' } };
      const examples = Object.fromEntries(codes.map((code) => [code, errorExample(code)]));
      return [STATUS_RESPONSE[status], response(meaningOf(codes), json('Error', examples), headers)];
    }),
  );
}

/**
 * One entry per status the codes map to: the shared response, described anew only where this
 * route answers some of that status's codes and not all.
 */
function errors(codes: readonly ErrorCode[]): Json {
  const byStatus = new Map<ErrorStatus, ErrorCode[]>();
  for (const code of new Set(codes)) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, sharing]) => {
        const shared = ref('responses', STATUS_RESPONSE[status]);
        return [String(status), sharing.length === codesOf(status).length ? shared : { ...shared, description: meaningOf(sharing) }];
      }),
  );
}

/** What every operation has in common: its id, and the token and 401 where the token check applies. */
function operation(path: string, operationId: string, summary: string, responses: Json, codes: readonly ErrorCode[], rest: Json = {}): Json {
  const guarded = requiresToken(path);
  return {
    operationId,
    summary,
    ...(guarded ? { security: [{ bearer: [] }] } : {}),
    ...rest,
    responses: { ...responses, ...errors(guarded ? ['UNAUTHORIZED', ...codes] : codes) },
  };
}

/** One POST operation per request kind, from the kinds table. */
function kindPaths(): Json {
  return Object.fromEntries(
    KIND_NAMES.map((kind) => {
      const spec = REQUEST_KINDS[kind];
      const { operationId, body } = KIND_OPERATION[kind];
      const example = KIND_EXAMPLES[kind];
      const ok: Json = {};
      const traceparent = { traceparent: ref('headers', 'Traceparent') };
      if (spec.answer !== 'accept') ok['200'] = response(`The ${spec.service === 'ai' ? 'AI' : spec.service} service's JSON reply`, json('WorkerReply', { reply: example.reply }), traceparent);
      if (spec.answer !== 'reply') ok['202'] = response('Accepted; the outcome is readable at Location', json('Accepted', { accepted: ACCEPTED_EXAMPLE }), { ...traceparent, Location: ref('headers', 'Location') });
      const codes = spec.answer === 'accept' ? [...BODY_CODES, ...ADMISSION_CODES] : [...BODY_CODES, ...ADMISSION_CODES, ...OUTCOME_CODES];
      const parameters = ['TimeoutMs', 'Traceparent', 'Tracestate', ...(spec.answer === 'replyUnlessPreferAsync' ? ['Prefer'] : [])].map((name) => ref('parameters', name));
      const requestBody = { required: !spec.bodyOptional, ...json(body, { [kind]: example.request }) };
      return [spec.route, { post: operation(spec.route, operationId, spec.summary, ok, codes, { parameters, requestBody }) }];
    }),
  );
}

function get(path: string, operationId: string, summary: string, responses: Json, codes: readonly ErrorCode[] = [], rest: Json = {}): Json {
  return { [path]: { get: operation(path, operationId, summary, responses, codes, rest) } };
}

const components = (): Json => ({
  securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'One of API_TOKENS; needed only when the relay is configured with API_TOKENS' } },
  schemas: {
    Error: schema(errorResponse),
    Accepted: schema(acceptedResponse),
    AsyncResult: schema(asyncResultResponse),
    WorkerReply: schema(workerReply),
    Health: schema(healthResponse),
    Readiness: schema(readyResponse),
    ActorsSnapshot: schema(actorsResponse),
    ...Object.fromEntries(KIND_NAMES.map((kind) => [KIND_OPERATION[kind].body, schema(REQUEST_KINDS[kind].schema)])),
  },
  responses: errorComponents(),
  parameters: {
    TimeoutMs: { name: 'X-Timeout-Ms', in: 'header', required: false, schema: { type: 'integer', minimum: 1 }, description: 'Shortens the deadline (never lengthens it)' },
    Traceparent: { name: 'traceparent', in: 'header', required: false, schema: { type: 'string' }, description: 'W3C trace context, passed on to the worker' },
    Tracestate: { name: 'tracestate', in: 'header', required: false, schema: { type: 'string' } },
    Prefer: { name: 'Prefer', in: 'header', required: false, schema: { type: 'string', enum: ['respond-async'] }, description: 'respond-async: answer 202 at once' },
  },
  headers: {
    CorrelationId: { description: 'The AMQP correlationId of the request', schema: { type: 'string' } },
    RetryAfter: { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
    WwwAuthenticate: { schema: { type: 'string', const: 'Bearer' } },
    Location: { description: '/api/requests/<correlationId>', schema: { type: 'string' } },
    Traceparent: { description: "W3C trace context of the relay's span", schema: { type: 'string' } },
  },
});

const DESCRIPTION = [
  'HTTP to RabbitMQ relay: crawling and AI services behind one broker connection.',
  'The bearer token (`security`) applies only when the relay is configured with API_TOKENS; without it no route needs one.',
  'Every error is `{"error": {"code", "message", "correlationId"}}`. A known path answers a method it does not serve with 405 METHOD_NOT_ALLOWED and `Allow`.',
].join('\n\n');

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas that validate
 * requests, the kinds table and the error table; never a hand-kept copy.
 */
export function openApiDocument(): Json {
  const lookupCodes = ['NOT_FOUND', 'OVERLOADED', ...OUTCOME_CODES.filter((code) => !LOOKUP_NOT_FOUND.includes(code))] as const;
  return {
    openapi: '3.1.0',
    info: { title: 'amqp-relay', version: '0.1.0', description: DESCRIPTION },
    paths: {
      ...kindPaths(),
      ...get(
        '/api/requests/{correlationId}',
        'getRequest',
        'Outcome of an asynchronous request',
        // Any instance answers: one that does not own the id asks its owner through the broker.
        { '200': response('pending, done or failed', json('AsyncResult', ASYNC_RESULT_EXAMPLES)) },
        lookupCodes,
        { parameters: [{ name: 'correlationId', in: 'path', required: true, schema: { type: 'string' }, example: ACCEPTED_EXAMPLE.correlationId }] },
      ),
      ...get('/healthz', 'getHealth', 'Liveness', { '200': response('The process runs', json('Health', { ok: HEALTH_EXAMPLE })) }),
      ...get('/readyz', 'getReadiness', 'Readiness: connected, consuming, not blocked, outbox below its bound', {
        '200': response('Ready', json('Readiness', { ready: READINESS_EXAMPLES.ready })),
        '503': response('Not ready, with the broker state and the reason', json('Readiness', { notReady: READINESS_EXAMPLES.notReady })),
      }),
      ...get('/metrics', 'getMetrics', 'Prometheus metrics', { '200': response('Prometheus text format', text('text/plain')) }, ['NOT_FOUND']),
      ...get('/debug/actors', 'getActors', 'The broker actor and every live request actor', { '200': response('Snapshot', json('ActorsSnapshot', { snapshot: ACTORS_EXAMPLE })) }, ['NOT_FOUND']),
      ...get('/debug/inspector', 'getInspectorPage', 'Live actor page (XSTATE_INSPECT=live); holds no data, so it needs no token (its event stream does)', { '200': response('Self-contained HTML page', text('text/html')) }, ['NOT_FOUND']),
      ...get(
        '/debug/inspector/events',
        'getInspectorEvents',
        'Server-sent events feeding the live actor page (XSTATE_INSPECT=live)',
        { '200': response('history, broker transitions, and one aggregate per second', text('text/event-stream')) },
        ['NOT_FOUND', 'OVERLOADED'],
      ),
      ...get('/openapi.json', 'getOpenApiDocument', 'This document', { '200': response('OpenAPI 3.1', { content: { 'application/json': { schema: { type: 'object' } } } }) }),
    },
    components: components(),
  };
}
