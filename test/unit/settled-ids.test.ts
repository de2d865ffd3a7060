import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type SettledOutcome, SettledIds } from '../../src/actors/broker/settled-ids.ts';

/** What SettledIds must answer: the last `capacity` distinct ids in a Map, oldest forgotten first. */
class ReferenceModel {
  private readonly outcomes = new Map<string, SettledOutcome>();
  constructor(private readonly capacity: number) {}
  set(id: string, outcome: SettledOutcome): void {
    if (!this.outcomes.has(id) && this.outcomes.size === this.capacity) this.outcomes.delete(this.outcomes.keys().next().value!);
    this.outcomes.set(id, outcome);
  }
  get(id: string): SettledOutcome | undefined {
    return this.outcomes.get(id);
  }
}

/** A deterministic stream of numbers in [0, 1), so that a failure can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 0x1_0000_0000;
  };
}

describe('SettledIds', () => {
  it('answers the outcome of an id it was given, and nothing for one it was not', () => {
    const settled = new SettledIds(4);
    settled.set('relay-1.a', 'answered');
    settled.set('relay-1.b', 'abandoned');
    expect([settled.get('relay-1.a'), settled.get('relay-1.b'), settled.get('relay-1.c')]).toEqual(['answered', 'abandoned', undefined]);
  });

  it('forgets the oldest ids first, and keeps the place of an id settled again', () => {
    const settled = new SettledIds(3);
    for (const id of ['a', 'b', 'c']) settled.set(id, 'abandoned');
    settled.set('a', 'answered');
    settled.set('d', 'abandoned');
    expect(['a', 'b', 'c', 'd'].map((id) => settled.get(id))).toEqual([undefined, 'abandoned', 'abandoned', 'abandoned']);
  });

  it('agrees with a Map over 20,000 random settlements in a small, crowded table', () => {
    // 64 ids in a 128-slot table: long probe runs and many deletions that move keys back.
    const settled = new SettledIds(64);
    const model = new ReferenceModel(64);
    const random = seeded(7);
    const ids = Array.from({ length: 200 }, () => `relay-test.${randomUUID()}`);
    for (let step = 0; step < 20_000; step++) {
      const id = ids[Math.floor(random() * ids.length)]!;
      const outcome: SettledOutcome = random() < 0.5 ? 'answered' : 'abandoned';
      settled.set(id, outcome);
      model.set(id, outcome);
      const probe = ids[Math.floor(random() * ids.length)]!;
      expect(settled.get(probe), `step ${step}, ${probe}`).toBe(model.get(probe));
    }
    expect(ids.map((id) => settled.get(id))).toEqual(ids.map((id) => model.get(id)));
  });

  it('remembers 50,000 ids of the relay’s shape and forgets them in order', () => {
    const settled = new SettledIds(50_000);
    const ids = Array.from({ length: 60_000 }, () => `relay-host-1234.${randomUUID()}`);
    for (const id of ids) settled.set(id, 'answered');
    expect(ids.slice(0, 10_000).filter((id) => settled.get(id) !== undefined)).toEqual([]);
    expect(ids.slice(10_000).filter((id) => settled.get(id) !== 'answered')).toEqual([]);
  });
});
