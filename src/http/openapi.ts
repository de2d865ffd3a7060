import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { KIND_NAMES, REQUEST_KINDS } from '../requests/kinds.ts';
import { acceptedResponse, asyncResultResponse, errorResponse, readyResponse, workerReply } from './response-schemas.ts';

/** Response bodies of the operations routes (requests are validated by the schemas of the kinds table). */
const healthResponse = z.object({ status: z.literal('ok') });
const actorsResponse = z.object({
  broker: z.looseObject({
    state: z.enum(['connecting', 'connected', 'blocked', 'closing', 'reconnecting', 'closed']),
    reconnects: z.number().int(),
    outbox: z.number().int(),
  }),
  requests: z.array(
    z.object({
      id: z.string(),
      correlationId: z.string(),
      kind: z.enum(KIND_NAMES),
      state: z.string(),
      ageMs: z.number(),
    }),
  ),
});

const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema: jsonSchema(schema) } } });
const text = (type: string) => ({ content: { [type]: { schema: { type: 'string' } } } });

const correlationHeader = { 'X-Correlation-Id': { description: 'The AMQP correlationId of the request', schema: { type: 'string' } } };

/** One response per status; codes that share a status are listed together. */
function errors(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, sharing]) => {
      const headers: Record<string, unknown> = { ...correlationHeader };
      if (status === 503) headers['Retry-After'] = { description: 'Seconds to wait before retrying', schema: { type: 'integer' } };
      if (status === 401) headers['WWW-Authenticate'] = { schema: { type: 'string', const: 'Bearer' } };
      return [String(status), { description: sharing.join(', '), headers, ...json(errorResponse) }];
    }),
  );
}

const bodyErrors: readonly ErrorCode[] = ['INVALID_REQUEST', 'UNAUTHORIZED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'SHUTTING_DOWN', 'OVERLOADED'];
const replyErrors: readonly ErrorCode[] = [...bodyErrors, 'WORKER_ERROR', 'BAD_REPLY', 'BROKER_UNAVAILABLE', 'NO_ROUTE', 'TIMEOUT'];

const parameters = {
  timeout: { name: 'X-Timeout-Ms', in: 'header', required: false, schema: { type: 'integer', minimum: 1 }, description: 'Shortens the deadline (never lengthens it)' },
  traceparent: { name: 'traceparent', in: 'header', required: false, schema: { type: 'string' }, description: 'W3C trace context, passed on to the worker' },
  tracestate: { name: 'tracestate', in: 'header', required: false, schema: { type: 'string' } },
  prefer: { name: 'Prefer', in: 'header', required: false, schema: { type: 'string', enum: ['respond-async'] } },
};

const accepted = {
  description: 'Accepted; the outcome is readable at Location',
  headers: { ...correlationHeader, Location: { schema: { type: 'string' }, description: '/api/requests/<correlationId>' } },
  ...json(acceptedResponse),
};
const replied = (service: string) => ({ description: `The ${service} service's JSON reply`, headers: correlationHeader, ...json(workerReply) });

/** One POST operation per request kind, from the kinds table. */
function kindPaths(): Record<string, unknown> {
  return Object.fromEntries(
    KIND_NAMES.map((kind) => {
      const spec = REQUEST_KINDS[kind];
      const service = spec.service === 'ai' ? 'AI' : spec.service;
      const ok: Record<string, unknown> = {};
      if (spec.answer !== 'accept') ok['200'] = replied(service);
      if (spec.answer !== 'reply') ok['202'] = accepted;
      const codes = spec.answer === 'accept' ? bodyErrors : replyErrors;
      return [spec.route, post(spec.summary, spec.schema, ok, codes, { async: spec.answer === 'replyUnlessPreferAsync', optionalBody: spec.bodyOptional })];
    }),
  );
}

function post(summary: string, body: z.ZodType, ok: Record<string, unknown>, codes: readonly ErrorCode[], options: { async?: boolean; optionalBody?: boolean } = {}) {
  return {
    post: {
      summary,
      parameters: [parameters.timeout, parameters.traceparent, parameters.tracestate, ...(options.async ? [parameters.prefer] : [])],
      requestBody: { required: !options.optionalBody, ...json(body) },
      responses: { ...ok, ...errors(codes) },
    },
  };
}

function get(summary: string, responses: Record<string, unknown>, protectedByToken: boolean) {
  return { get: { summary, responses: { ...responses, ...(protectedByToken ? errors(['UNAUTHORIZED']) : {}) } } };
}

/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the zod schemas that validate
 * requests (and the response shapes above); never a hand-kept copy.
 */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'amqp-relay', version: '0.1.0', description: 'HTTP to RabbitMQ relay: crawling and AI services behind one broker connection.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Required on /api, /metrics and /debug when API_TOKENS is set' } },
    },
    paths: {
      ...kindPaths(),
      '/api/requests/{correlationId}': {
        get: {
          summary: 'Outcome of an asynchronous request',
          parameters: [{ name: 'correlationId', in: 'path', required: true, schema: { type: 'string' } }],
          // Any instance answers: one that does not own the id asks its owner through the broker (503 when it cannot reach the broker).
          responses: { '200': { description: 'pending, done or failed', ...json(asyncResultResponse) }, ...errors(['UNAUTHORIZED', 'NOT_FOUND', 'BROKER_UNAVAILABLE', 'OVERLOADED']) },
        },
      },
      '/healthz': get('Liveness', { '200': { description: 'The process runs', ...json(healthResponse) } }, false),
      '/readyz': get(
        'Readiness: connected, consuming, not blocked, outbox below its bound',
        { '200': { description: 'Ready', ...json(readyResponse) }, '503': { description: 'Not ready, with the broker state and the reason', ...json(readyResponse) } },
        false,
      ),
      '/metrics': get('Prometheus metrics', { '200': { description: 'Prometheus text format', ...text('text/plain') } }, true),
      '/debug/actors': get('The broker actor and every live request actor', { '200': { description: 'Snapshot', ...json(actorsResponse) } }, true),
      '/debug/inspector': get(
        'Live actor page (XSTATE_INSPECT=live); holds no data, so it needs no token (its event stream does)',
        { '200': { description: 'Self-contained HTML page', ...text('text/html') }, ...errors(['NOT_FOUND']) },
        false,
      ),
      '/debug/inspector/events': get(
        'Server-sent events feeding the live actor page (XSTATE_INSPECT=live)',
        { '200': { description: 'history, broker transitions, and one aggregate per second', ...text('text/event-stream') }, ...errors(['NOT_FOUND']) },
        true,
      ),
      '/openapi.json': get('This document', { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } }, false),
    },
  };
}
