import { describe, expect, it } from 'vitest';
import type { RequestOutcome } from '../../src/actors/request/outcome.ts';
import { refusedAtOnce } from '../../src/http/refused-at-once.ts';

describe('refusedAtOnce', () => {
  it('takes an OVERLOADED outcome that is settled already', async () => {
    const refusal: RequestOutcome = { ok: false, code: 'OVERLOADED', message: 'full' };
    expect(await refusedAtOnce(Promise.resolve(refusal))).toEqual(refusal);
  });

  it('leaves an outcome still to come, and any other settled one, to the asynchronous result', async () => {
    let settle: (o: RequestOutcome) => void = () => {};
    const later = new Promise<RequestOutcome>((resolve) => (settle = resolve));
    expect(await refusedAtOnce(later)).toBeUndefined();
    // Settled one step after submit returned (as every accepted request is): not a refusal at once.
    const chained = Promise.resolve().then((): RequestOutcome => ({ ok: false, code: 'OVERLOADED', message: 'x' }));
    expect(await refusedAtOnce(chained)).toBeUndefined();
    expect(await refusedAtOnce(Promise.resolve<RequestOutcome>({ ok: false, code: 'BROKER_UNAVAILABLE', message: 'x' }))).toBeUndefined();
    expect(await refusedAtOnce(Promise.resolve<RequestOutcome>({ ok: true, reply: null }))).toBeUndefined();
    settle({ ok: true, reply: null });
  });
});
