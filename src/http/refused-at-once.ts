import type { RequestOutcome } from '../actors/request/outcome.ts';

type Refusal = Extract<RequestOutcome, { ok: false }>;

const NOT_SETTLED = Symbol('not settled');

/**
 * The OVERLOADED refusal when admission control has already refused this request: the relay
 * answers a refusal with an outcome that is settled when `submit` returns, and a race against an
 * already-resolved promise takes it only then (a settled promise's reaction is queued first). An
 * asynchronous route must answer that refusal at once instead of a 202 whose result says it.
 */
export async function refusedAtOnce(outcome: Promise<RequestOutcome>): Promise<Refusal | undefined> {
  const now = await Promise.race([outcome, Promise.resolve(NOT_SETTLED)]);
  return now !== NOT_SETTLED && !now.ok && now.code === 'OVERLOADED' ? now : undefined;
}
