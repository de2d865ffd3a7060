import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, setHeapFlags } from '../../src/heap-flags.ts';

describe('setHeapFlags', () => {
  const recorder = () => {
    const set: string[] = [];
    return { set, setFlags: (flag: string) => void set.push(flag) };
  };
  const all = [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`, '--no-allocation-site-pretenuring'];

  it('sets the heap growing percent and turns allocation-site pretenuring off when node was started without them', () => {
    const { set, setFlags } = recorder();
    expect(setHeapFlags(undefined, ['--enable-source-maps'], setFlags)).toEqual(all);
    expect(set).toEqual(all);
  });

  it("leaves an operator's own --heap-growing-percent alone, in either spelling", () => {
    for (const execArgv of [['--heap-growing-percent=0'], ['--heap_growing_percent=300'], ['--heap-growing-percent', '50']]) {
      const { set, setFlags } = recorder();
      setHeapFlags(undefined, execArgv, setFlags);
      expect(set).toEqual(['--no-allocation-site-pretenuring']);
    }
  });

  it("leaves an operator's own pretenuring choice alone, on or off", () => {
    for (const execArgv of [['--allocation-site-pretenuring'], ['--no-allocation-site-pretenuring'], ['--allocation_site_pretenuring']]) {
      const { set, setFlags } = recorder();
      setHeapFlags(undefined, execArgv, setFlags);
      expect(set).toEqual([`--heap-growing-percent=${HEAP_GROWING_PERCENT}`]);
    }
  });

  it('does not mistake another heap flag for one of them', () => {
    const { set, setFlags } = recorder();
    setHeapFlags(undefined, ['--max-old-space-size=512', '--heap-growing-percentage=1', '--allocation-site-pretenuring-extra'], setFlags);
    expect(set).toEqual(all);
  });
});
