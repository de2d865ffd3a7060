import * as z from 'zod/mini';
import { type JsonText, toJsonText } from './json-text.ts';

/** An asynchronous request's state, as `GET /api/requests/:id` answers it; a result is the worker's JSON text. */
export type AsyncResult =
  | { readonly status: 'pending' }
  | { readonly status: 'done'; readonly result: JsonText }
  | { readonly status: 'failed'; readonly error: { readonly code: string; readonly message: string } };

/** What an owner answers another instance's lookup: the state it holds, or `unknown`. */
export type LookupAnswer = AsyncResult | { readonly status: 'unknown' };

/** The JSON of a state (the body of `GET /api/requests/:id`, and of a lookup's answer), with a result's text as the worker wrote it. */
export function asyncResultJson(state: LookupAnswer): JsonText {
  if (state.status === 'done') return `{"status":"done","result":${state.result}}` as JsonText;
  return toJsonText(state);
}

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
  z.object({ status: z.literal('done'), result: z.optional(z.unknown()) }),
  z.object({ status: z.literal('failed'), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ status: z.literal('unknown') }),
]);

/** A done answer without a result (JSON has no undefined): as a ping's result with no reply. */
const DONE_WITHOUT_RESULT = toJsonText({ status: 'done', result: null });

/**
 * An owner's answer, checked: its status, and the JSON to show the client (the answer as the
 * owner wrote it, so that a result reaches the client as its worker wrote it); undefined when it
 * is not one.
 */
export function parseLookupAnswer(text: JsonText): { readonly status: LookupAnswer['status']; readonly json: JsonText } | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = answerSchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { status } = parsed.data;
  if (status === 'done' && !Object.hasOwn(body as object, 'result')) return { status, json: DONE_WITHOUT_RESULT };
  return { status, json: text };
}
