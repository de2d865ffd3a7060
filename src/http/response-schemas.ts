import { z } from 'zod';

/** Response bodies the API answers with (request bodies: src/requests/body-schemas.ts). */
export const acceptedResponse = z.object({ correlationId: z.string(), status: z.literal('accepted') });
export const errorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string(), correlationId: z.string().optional() }),
});
export const asyncResultResponse = z.union([
  z.object({ status: z.literal('pending') }),
  z.object({ status: z.literal('done'), result: z.unknown() }),
  z.object({ status: z.literal('failed'), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export const readyResponse = z.object({ status: z.enum(['ready', 'not_ready']), broker: z.string(), reason: z.string().optional() });
export const workerReply = z.unknown().meta({ description: "The worker's JSON reply, as it sent it" });
