import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../src/heap-growth.ts';

describe('limitHeapGrowth', () => {
  const recorder = () => {
    const set: string[] = [];
    return { set, setFlags: (flag: string) => void set.push(flag) };
  };

  it("sets V8's heap growing percent when node was started without it", () => {
    const { set, setFlags } = recorder();
    expect(limitHeapGrowth(HEAP_GROWING_PERCENT, ['--enable-source-maps'], setFlags)).toBe(true);
    expect(set).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  });

  it("leaves an operator's own --heap-growing-percent alone, in either spelling", () => {
    for (const execArgv of [['--heap-growing-percent=0'], ['--heap_growing_percent=300'], ['--heap-growing-percent', '50']]) {
      const { set, setFlags } = recorder();
      expect(limitHeapGrowth(HEAP_GROWING_PERCENT, execArgv, setFlags)).toBe(false);
      expect(set).toEqual([]);
    }
  });

  it('does not mistake another heap flag for it', () => {
    const { set, setFlags } = recorder();
    limitHeapGrowth(HEAP_GROWING_PERCENT, ['--max-old-space-size=512', '--heap-growing-percentage=1'], setFlags);
    expect(set).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
  });
});
