import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { type DeadlineNode, Deadlines } from '../../src/actors/deadlines.ts';

interface Named extends DeadlineNode {
  readonly name: string;
}

function setUp() {
  const clock = new SimulatedClock();
  let timers = 0;
  const counted = {
    now: () => clock.now(),
    setTimeout: (fn: () => void, ms: number) => {
      timers++;
      return clock.setTimeout(() => {
        timers--;
        fn();
      }, ms);
    },
    clearTimeout: (id: unknown) => {
      timers--;
      clock.clearTimeout(id as number);
    },
  };
  const due: string[] = [];
  const deadlines = new Deadlines<Named>(counted, (node) => due.push(node.name));
  const node = (name: string): Named => ({ name, dueAt: 0, prev: undefined, next: undefined, list: undefined });
  const arm = (n: Named, durationMs: number, acceptedAt = clock.now()) => deadlines.arm(n, durationMs, acceptedAt + durationMs);
  return { clock, due, deadlines, node, arm, timers: () => timers };
}

describe('deadlines', () => {
  it('fires each deadline at its time, in due order, across durations', () => {
    const { clock, due, node, arm } = setUp();
    arm(node('ai'), 100);
    arm(node('crawl'), 30);
    clock.increment(10);
    arm(node('short'), 5);
    clock.increment(5);
    expect(due).toEqual(['short']);
    clock.increment(15);
    expect(due).toEqual(['short', 'crawl']);
    clock.increment(69);
    expect(due).toEqual(['short', 'crawl']);
    clock.increment(1);
    expect(due).toEqual(['short', 'crawl', 'ai']);
  });

  it('keeps due order when a request accepted earlier is armed later (a slow body)', () => {
    const { clock, due, node, arm } = setUp();
    clock.increment(10);
    arm(node('second'), 50, 5);
    arm(node('first'), 50, 0);
    clock.increment(40);
    expect(due).toEqual(['first']);
    clock.increment(5);
    expect(due).toEqual(['first', 'second']);
  });

  it('never fires a disarmed deadline, whether it was the head, in the middle or the tail', () => {
    const { clock, due, deadlines, node, arm } = setUp();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(node) as [Named, Named, Named, Named];
    for (const n of [a, b, c, d]) {
      arm(n, 100);
      clock.increment(1);
    }
    deadlines.disarm(a);
    deadlines.disarm(c);
    deadlines.disarm(d);
    clock.increment(200);
    expect(due).toEqual(['b']);
  });

  it('fires deadlines armed one at a time, each after the previous was disarmed, over many durations', () => {
    // One request at a time, as on a nearly idle relay, with more durations than are kept idle.
    const { clock, due, deadlines, node, arm, timers } = setUp();
    for (let i = 0; i < 40; i++) {
      const n = node(`done-${i}`);
      arm(n, 1_000 + (i % 20));
      clock.increment(3);
      deadlines.disarm(n);
    }
    expect(timers()).toBe(0);
    arm(node('late-a'), 1_005);
    arm(node('late-b'), 1_019);
    clock.increment(1_005);
    expect(due).toEqual(['late-a']);
    clock.increment(14);
    expect(due).toEqual(['late-a', 'late-b']);
    expect(timers()).toBe(0);
  });

  it('holds no timer once nothing is armed', () => {
    const { deadlines, node, arm, timers } = setUp();
    const nodes = Array.from({ length: 5 }, (_, i) => node(String(i)));
    nodes.forEach((n, i) => arm(n, 100 + (i % 2)));
    expect(timers()).toBe(2);
    for (const n of nodes) deadlines.disarm(n);
    expect(timers()).toBe(0);
  });
});
