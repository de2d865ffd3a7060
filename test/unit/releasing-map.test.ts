import { describe, expect, it } from 'vitest';
import { ReleasingMap } from '../../src/releasing-map.ts';

describe('ReleasingMap', () => {
  it('keeps, replaces and deletes values by key, counting them', () => {
    const map = new ReleasingMap<string, { n: number }>();
    map.set('a', { n: 1 }).set('b', { n: 2 });
    map.set('a', { n: 3 });
    expect(map.size).toBe(2);
    expect(map.get('a')).toEqual({ n: 3 });
    expect(map.delete('a')).toBe(true);
    expect(map.delete('a')).toBe(false);
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(1);
  });

  it('is empty again, in its count and when iterated, once every key is deleted', () => {
    const map = new ReleasingMap<number, string>();
    for (let round = 0; round < 3; round++) {
      map.set(round, 'v');
      map.delete(round);
    }
    expect([map.size, [...map.values()], [...map.entries()], [...map]]).toEqual([0, [], [], []]);
  });

  it('iterates in insertion order, and tolerates deleting while iterating', () => {
    const map = new ReleasingMap<number, string>();
    for (let i = 0; i < 5; i++) map.set(i, `v${i}`);
    const seen: string[] = [];
    for (const [key, value] of map) {
      seen.push(value);
      if (key % 2 === 0) map.delete(key + 1);
    }
    expect(seen).toEqual(['v0', 'v2', 'v4']);
    expect([...map.values()]).toEqual(['v0', 'v2', 'v4']);
  });

  it('hands nothing back for a key deleted and set again with a new value', () => {
    const map = new ReleasingMap<string, string>();
    map.set('k', 'old');
    map.delete('k');
    map.set('k', 'new');
    expect([...map.entries()]).toEqual([['k', 'new']]);
  });
});
