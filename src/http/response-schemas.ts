import * as z from 'zod/mini';
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';
import { KIND_NAMES } from '../requests/kinds.ts';

/** Response bodies the API answers with (request bodies: src/requests/body-schemas.ts). */
const errorCode = z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]).check(z.meta({ description: 'A code of the error table' }));

export const acceptedResponse = z.object({ correlationId: z.string(), status: z.literal('accepted') });
export const errorResponse = z.object({
  error: z.object({ code: errorCode, message: z.string(), correlationId: z.optional(z.string()) }),
});
export const asyncResultResponse = z.union([
  z.object({ status: z.literal('pending') }),
  z.object({ status: z.literal('done'), result: z.unknown() }),
  z.object({ status: z.literal('failed'), error: z.object({ code: errorCode, message: z.string() }) }),
]);
export const readyResponse = z.object({ status: z.enum(['ready', 'not_ready']), broker: z.string(), reason: z.optional(z.string()) });
export const workerReply = z.unknown().check(z.meta({ description: "The worker's JSON reply, as it sent it" }));
export const healthResponse = z.object({ status: z.literal('ok') });
export const actorsResponse = z.object({
  broker: z.looseObject({
    state: z.enum(['connecting', 'connected', 'blocked', 'closing', 'reconnecting', 'closed']),
    reconnects: z.int(),
    outbox: z.int(),
  }),
  requests: z.array(
    z.object({
      id: z.string(),
      correlationId: z.string(),
      // A lookup (asking another instance for its async result) is a request actor too.
      kind: z.enum([...KIND_NAMES, 'lookup']),
      state: z.string(),
      ageMs: z.number(),
    }),
  ),
});
