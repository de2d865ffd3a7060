import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type ActorLogic, createActor, fromTransition } from 'xstate';
import { skipSessionRegistry } from '../src/actors/session-registry.ts';
import { ReleasingMap } from '../src/releasing-map.ts';

/**
 * Why the relay's per-request registries are ReleasingMaps and why XState's session registry is
 * skipped: 16 "requests" outstanding, each ≈ 5 KB of objects finished one event-loop turn later,
 * kept in each kind of registry; V8's `--trace-gc-nvp` counts what the scavenger promoted to the
 * old generation per request. Objects that live one turn should almost never be promoted.
 * Usage: node --import tsx bench/map-churn.ts [requests]
 */
const CASES = ['no registry', 'Map', 'ReleasingMap', 'XState actors', 'XState actors, registry skipped'] as const;
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

function request(id: number) {
  return { id: `request-${id}`, parts: Array.from({ length: 40 }, (_, i) => ({ i, text: `part ${i}`, pair: [i, i + 1] })) };
}

async function run(which: Case, count: number): Promise<void> {
  const map = new Map<string, unknown>();
  const releasing = new ReleasingMap<string, unknown>();
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
    const child = spawnSync(process.execPath, ['--trace-gc-nvp', '--import', 'tsx', fileURLToPath(import.meta.url), '--case', which, String(count)], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`${which}: ${child.stderr}`);
    // The main thread's isolate only (tsx's loader runs another).
    const lines = child.stdout.split('\n').filter((l) => l.includes(' gc=s '));
    const isolate = (l: string) => /^\[\d+:(0x[0-9a-f]+)\]/.exec(l)?.[1] ?? '';
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(isolate(l), (counts.get(isolate(l)) ?? 0) + 1);
    const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
    const sum = (name: string) => lines.filter((l) => isolate(l) === main).reduce((t, l) => t + Number(new RegExp(`\\b${name}=(\\d+)`).exec(l)?.[1] ?? 0), 0);
    process.stdout.write(`${which.padEnd(34)} allocated ${(sum('allocated') / count / 1024).toFixed(1)} KB/request, promoted ${(sum('promoted') / count / 1024).toFixed(2)} KB/request\n`);
  }
}
