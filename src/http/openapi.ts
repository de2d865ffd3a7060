import { z } from 'zod';
import { ERROR_STATUS } from '../errors.ts';
import { acceptedResponse, asyncResultResponse, crawlBody, errorResponse, imageBody, pingBody, readyResponse, recipeBody, workerReply } from './schemas.ts';

type Schema = z.ZodType;

const json = (schema: Schema) => ({ content: { 'application/json': { schema: z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any' }) } } });

const errorStatuses = (...codes: (keyof typeof ERROR_STATUS)[]) =>
  Object.fromEntries(codes.map((code) => [String(ERROR_STATUS[code]), { description: codes.filter((c) => ERROR_STATUS[c] === ERROR_STATUS[code]).join(', '), ...json(errorResponse) }]));

const common = ['UNAUTHORIZED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'INVALID_REQUEST', 'SHUTTING_DOWN'] as const;
const rpcErrors = [...common, 'WORKER_ERROR', 'BAD_REPLY', 'BROKER_UNAVAILABLE', 'NO_ROUTE', 'TIMEOUT'] as const;

const headers = {
  'X-Timeout-Ms': { name: 'X-Timeout-Ms', in: 'header', required: false, schema: { type: 'integer', minimum: 1 }, description: 'Shortens the deadline (never lengthens it)' },
  traceparent: { name: 'traceparent', in: 'header', required: false, schema: { type: 'string' }, description: 'W3C trace context' },
  Prefer: { name: 'Prefer', in: 'header', required: false, schema: { type: 'string', enum: ['respond-async'] } },
};

/** The OpenAPI 3.1 document, generated from the schemas that validate requests. */
export function openApiDocument(): Record<string, unknown> {
  const post = (summary: string, body: Schema, ok: Record<string, unknown>, errors: readonly (keyof typeof ERROR_STATUS)[], extra: object[] = []) => ({
    post: {
      summary,
      parameters: [headers['X-Timeout-Ms'], headers.traceparent, ...extra],
      requestBody: { required: true, ...json(body) },
      responses: { ...ok, ...errorStatuses(...errors) },
    },
  });
  return {
    openapi: '3.1.0',
    info: { title: 'amqp-relay', version: '0.1.0', description: 'HTTP to RabbitMQ relay: crawling and AI services behind one broker connection.' },
    paths: {
      '/api/crawl': post('Crawl a page (synchronously, or asynchronously with Prefer: respond-async)', crawlBody, {
        '200': { description: "The crawling service's reply", ...json(workerReply) },
        '202': { description: 'Accepted (Prefer: respond-async); poll Location', ...json(acceptedResponse) },
      }, rpcErrors, [headers.Prefer]),
      '/api/crawl/ping': post('Fire-and-forget ping to the crawling service', pingBody, { '202': { description: 'Accepted', ...json(acceptedResponse) } }, common),
      '/api/ai/recipe': post('Recipe analysis', recipeBody, { '200': { description: "The AI service's reply", ...json(workerReply) } }, rpcErrors),
      '/api/ai/image': post('Image analysis', imageBody, { '200': { description: "The AI service's reply", ...json(workerReply) } }, rpcErrors),
      '/api/requests/{correlationId}': {
        get: {
          summary: 'Outcome of an asynchronous request',
          parameters: [{ name: 'correlationId', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '200': { description: 'pending, done or failed', ...json(asyncResultResponse) }, ...errorStatuses('NOT_FOUND', 'UNAUTHORIZED') },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'The process runs', ...json(z.object({ status: z.literal('ok') })) } } } },
      '/readyz': {
        get: { summary: 'Readiness', responses: { '200': { description: 'Connected and consuming', ...json(readyResponse) }, '503': { description: 'Not ready', ...json(readyResponse) } } },
      },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { '200': { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
      '/debug/actors': { get: { summary: 'Broker actor state and live request actors', responses: { '200': { description: 'Snapshot', content: { 'application/json': { schema: { type: 'object' } } } } } } },
      '/debug/inspector': { get: { summary: 'Live actor page (XSTATE_INSPECT=live)', responses: { '200': { description: 'HTML page', content: { 'text/html': { schema: { type: 'string' } } } }, '404': { description: 'Inspection is not live' } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
  };
}
