import { spawnSync } from 'node:child_process';
import { sumGcField } from './gc-trace.ts';
import { fileURLToPath } from 'node:url';
import { type ActorLogic, createActor, fromTransition, setup } from 'xstate';
import { releaseEventsAfterActions } from '../src/actors/broker/release-event.ts';
import { skipSessionRegistry } from '../src/actors/session-registry.ts';
import { ReleasingMap } from '../src/releasing-map.ts';

/**
 * What keeps a request's short-lived objects alive into V8's old generation, case by case: 16
 * "requests" outstanding, each ≈ 5 KB of objects finished one event-loop turn later, held in a
 * Map, a ReleasingMap, an XState actor (with the relay's root as parent), or handed to an XState
 * machine's custom action in an event, or reachable from a closure set on a long-lived object and
 * set back (as XState's microstep does with its action executor). V8's `--trace-gc-nvp` counts what
 * the scavenger promoted per request; objects that live one turn should almost never be promoted.
 * Usage: node --import tsx bench/gc-retention.ts [requests]
 */
const CASES = [
  'no registry',
  'Map',
  'ReleasingMap',
  'XState actors',
  'XState actors, registry skipped',
  'XState machine action',
  'XState machine action, event released',
  'closure set on a long-lived object',
  'closure set on a long-lived object, no pretenuring',
] as const;
type Case = (typeof CASES)[number];

type Held =
  | { readonly status: 'active'; readonly context: unknown; readonly output: undefined; readonly error: undefined }
  | { readonly status: 'done'; readonly context: unknown; readonly output: boolean; readonly error: undefined };
/** Holds its input until `finish`, then ends with an output (as a request actor does). */
const holder: ActorLogic<Held, { type: 'finish' }, unknown> = {
  getInitialSnapshot: (_scope, input) => ({ status: 'active', context: input, output: undefined, error: undefined }),
  transition: (snapshot) => ({ status: 'done', context: snapshot.context, output: true, error: undefined }),
  getPersistedSnapshot: (snapshot) => snapshot,
};

/** Takes each request in an event and files it in a ReleasingMap (as the broker machine does with publishes). */
function filingMachine(filed: ReleasingMap<string, unknown>) {
  return setup({
    types: { events: {} as { type: 'file'; request: { id: string } } | { type: 'done'; id: string } },
    actions: {
      file: ({ event }) => {
        if (event.type === 'file') filed.set(event.request.id, event.request);
      },
      forget: ({ event }) => {
        if (event.type === 'done') filed.delete(event.id);
      },
    },
  }).createMachine({ on: { file: { actions: 'file' }, done: { actions: 'forget' } } });
}

/** Stands for XState's actor scope: created once, long in the old generation. */
const longLived: { executor: () => unknown } = { executor: () => undefined };

function request(id: number) {
  return { id: `request-${id}`, parts: Array.from({ length: 40 }, (_, i) => ({ i, text: `part ${i}`, pair: [i, i + 1] })) };
}

async function run(which: Case, count: number): Promise<void> {
  const map = new Map<string, unknown>();
  const releasing = new ReleasingMap<string, unknown>();
  const filed = new ReleasingMap<string, unknown>();
  const machine = filingMachine(filed);
  const filing = createActor(which.endsWith('released') ? releaseEventsAfterActions(machine) : machine).start();
  const root = createActor(fromTransition((s: null) => s, null));
  if (which === 'XState actors, registry skipped') skipSessionRegistry(root.system);
  root.start();
  let next = 0;
  const one = async (): Promise<void> => {
    const r = request(next++);
    let finish = () => {};
    if (which === 'Map') {
      map.set(r.id, r);
      finish = () => void map.delete(r.id);
    } else if (which === 'ReleasingMap') {
      releasing.set(r.id, r);
      finish = () => void releasing.delete(r.id);
    } else if (which.startsWith('XState machine')) {
      filing.send({ type: 'file', request: r });
      finish = () => filing.send({ type: 'done', id: r.id });
    } else if (which.startsWith('closure')) {
      // XState's microstep: a fresh closure as the scope's executor, called, then the old one set back.
      const previous = longLived.executor;
      const steps: unknown[] = [];
      longLived.executor = () => steps.push({ request: r });
      longLived.executor();
      longLived.executor = previous;
    } else if (which.startsWith('XState')) {
      const actor = createActor(holder, { parent: root, input: r }).start();
      finish = () => actor.send({ type: 'finish' });
    }
    await new Promise((resolve) => setImmediate(resolve));
    finish();
  };
  await Promise.all(Array.from({ length: 16 }, async () => { while (next < count) await one(); }));
}

const [first] = process.argv.slice(2);
if (first === '--case') {
  await run(process.argv[3] as Case, Number(process.argv[4]));
} else {
  const count = Number(first ?? 200_000);
  for (const which of CASES) {
    // The closure cases run with the young generation at the size the relay's grows to under load,
    // where pretenuring shows; the other cases as in docs/performance.md (V8's default start size).
    const flags = [
      ...(which.startsWith('closure') ? ['--min-semi-space-size=16'] : []),
      ...(which.endsWith('no pretenuring') ? ['--no-allocation-site-pretenuring'] : []),
    ];
    const child = spawnSync(process.execPath, ['--trace-gc-nvp', ...flags, '--import', 'tsx', fileURLToPath(import.meta.url), '--case', which, String(count)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${which}: ${child.stderr}`);
    // The main thread's isolate only (tsx's loader runs another).
    const lines = child.stdout.split('\n').filter((l) => l.includes(' gc=s '));
    const isolate = (l: string) => /^\[\d+:(0x[0-9a-f]+)\]/.exec(l)?.[1] ?? '';
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(isolate(l), (counts.get(isolate(l)) ?? 0) + 1);
    const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    const mainLines = lines.filter((l) => isolate(l) === main);
    const sum = (name: string) => sumGcField(mainLines, name);
    process.stdout.write(`${which.padEnd(52)} allocated ${(sum('allocated') / count / 1024).toFixed(1)} KB/request, promoted ${(sum('promoted') / count / 1024).toFixed(2)} KB/request\n`);
  }
}
