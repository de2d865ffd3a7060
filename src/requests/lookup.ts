import { z } from 'zod';

/** An asynchronous request's state, as `GET /api/requests/:id` answers it. */
export type AsyncResult =
  | { readonly status: 'pending' }
  | { readonly status: 'done'; readonly result: unknown }
  | { readonly status: 'failed'; readonly error: { readonly code: string; readonly message: string } };

/** What an owner answers another instance's lookup: the state it holds, or `unknown`. */
export type LookupAnswer = AsyncResult | { readonly status: 'unknown' };

/**
 * One instance asks the owner of an id (its prefix) for the async result, through the broker: a
 * message of type `lookup` to the owner's reply queue, answered with type `lookup-answer` to the
 * asker's reply queue under the lookup's own correlation id.
 */
export const LOOKUP_TYPE = 'lookup';
export const LOOKUP_ANSWER_TYPE = 'lookup-answer';

/** How long an asker waits for the owner's answer (the contract: "answers within 2 s"). */
export const LOOKUP_DEADLINE_MS = 2_000;

export function lookupBody(correlationId: string): Buffer {
  return Buffer.from(JSON.stringify({ correlationId }));
}

const lookupSchema = z.object({ correlationId: z.string() });

/** The id a lookup asks about, or undefined when its body is not one. */
export function lookedUpId(content: Buffer): string | undefined {
  try {
    const parsed = lookupSchema.safeParse(JSON.parse(content.toString('utf8')));
    return parsed.success ? parsed.data.correlationId : undefined;
  } catch {
    return undefined;
  }
}

const answerSchema = z.discriminatedUnion('status', [
  z.object({ status: z.literal('pending') }),
  z.object({ status: z.literal('done'), result: z.unknown().optional() }),
  z.object({ status: z.literal('failed'), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ status: z.literal('unknown') }),
]);

/** An owner's answer as decoded JSON, checked; undefined when it is not one. */
export function parseLookupAnswer(body: unknown): LookupAnswer | undefined {
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const answer = parsed.data;
  // JSON has no undefined: a done result without one is `null`, as a ping's result with no reply.
  if (answer.status === 'done') return { status: 'done', result: (body as { result?: unknown }).result ?? null };
  return answer;
}
