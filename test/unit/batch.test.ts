import { describe, expect, it } from 'vitest';
import { Batch } from '../../src/batch.ts';

describe('Batch', () => {
  const scheduled: (() => void)[] = [];
  const handed: string[][] = [];
  const batch = new Batch<string>((handOver) => scheduled.push(handOver), (items) => handed.push(items));

  it('hands over what was added before the scheduled hand-over ran, once, in order', () => {
    batch.add('a');
    batch.add('b');
    expect(scheduled).toHaveLength(1);
    expect(handed).toEqual([]);
    scheduled.shift()!();
    expect(handed).toEqual([['a', 'b']]);
  });

  it('hands over at once on flush; the hand-over scheduled before then has nothing left', () => {
    handed.length = 0;
    batch.add('c');
    batch.flush();
    expect(handed).toEqual([['c']]);
    scheduled.shift()!();
    expect(handed).toEqual([['c']]);
  });

  it('schedules again for the first item after a hand-over', () => {
    handed.length = 0;
    batch.add('d');
    expect(scheduled).toHaveLength(1);
    scheduled.shift()!();
    expect(handed).toEqual([['d']]);
  });
});
