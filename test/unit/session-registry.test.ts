import { describe, expect, it } from 'vitest';
import { createActor, createMachine, fromTransition, toPromise } from 'xstate';
import { skipSessionRegistry } from '../../src/actors/session-registry.ts';

const root = () => createActor(fromTransition((s: null) => s, null), { id: 'root' });
const once = fromTransition((state: { done: boolean }, event: { type: string }) => (event.type === 'finish' ? { done: true } : state), { done: false });

describe('skipSessionRegistry', () => {
  it("applies to this XState version's actor system (a failure here means an XState upgrade changed it)", () => {
    expect(skipSessionRegistry(root().system)).toBe(true);
  });

  it('changes nothing on a system of another shape', () => {
    expect(skipSessionRegistry({})).toBe(false);
    expect(skipSessionRegistry(null)).toBe(false);
    expect(skipSessionRegistry({ _register: () => '', _unregister: () => {}, get: () => undefined })).toBe(false);
  });

  it('leaves actors working: children of the root run and finish; systemIds are still found', async () => {
    const parent = root();
    expect(skipSessionRegistry(parent.system)).toBe(true);
    parent.start();
    const finishing = createActor(
      createMachine({ initial: 'waiting', states: { waiting: { on: { finish: 'finished' } }, finished: { type: 'final' } }, output: () => 'ok' }),
      { parent, systemId: 'named' },
    ).start();
    expect(parent.system.get('named')).toBe(finishing);
    const output = toPromise(finishing);
    finishing.send({ type: 'finish' });
    await expect(output).resolves.toBe('ok');
    expect(parent.system.get('named')).toBeUndefined();

    const plain = createActor(once, { parent }).start();
    plain.send({ type: 'finish' });
    expect(plain.getSnapshot().context).toEqual({ done: true });
  });
});
