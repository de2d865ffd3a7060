import { describe, expect, it } from 'vitest';
import { assign, createActor, setup } from 'xstate';
import { releaseEventsAfterActions } from '../../src/actors/broker/release-event.ts';

type Event = { type: 'put'; payload: { n: number } } | { type: 'count' };

const definition = (seen: { args: { event?: unknown }[]; payloads: number[] }) =>
  setup({
    types: { context: {} as { count: number }, events: {} as Event },
    actions: {
      record: (args) => {
        seen.args.push(args);
        if (args.event.type === 'put') seen.payloads.push(args.event.payload.n);
      },
      increment: assign({ count: ({ context }) => context.count + 1 }),
    },
  }).createMachine({ context: { count: 0 }, on: { put: { actions: ['record', 'increment'] }, count: { actions: 'increment' } } });

describe('releaseEventsAfterActions', () => {
  it('runs custom actions with their event, then leaves the arguments object without it', () => {
    const seen = { args: [] as { event?: unknown }[], payloads: [] as number[] };
    const actor = createActor(releaseEventsAfterActions(definition(seen))).start();
    actor.send({ type: 'put', payload: { n: 1 } });
    actor.send({ type: 'put', payload: { n: 2 } });
    expect(seen.payloads).toEqual([1, 2]);
    expect(seen.args.map((a) => a.event)).toEqual([undefined, undefined]);
  });

  it('leaves built-in actions such as assign working', () => {
    const seen = { args: [] as { event?: unknown }[], payloads: [] as number[] };
    const actor = createActor(releaseEventsAfterActions(definition(seen))).start();
    actor.send({ type: 'put', payload: { n: 1 } });
    actor.send({ type: 'count' });
    expect(actor.getSnapshot().context.count).toBe(2);
  });

  it('keeps the event on the arguments object without it (what XState does on its own)', () => {
    const seen = { args: [] as { event?: unknown }[], payloads: [] as number[] };
    createActor(definition(seen)).start().send({ type: 'put', payload: { n: 3 } });
    expect(seen.args[0]?.event).toEqual({ type: 'put', payload: { n: 3 } });
  });
});
