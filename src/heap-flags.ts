import { setFlagsFromString } from 'node:v8';

/**
 * The V8 heap flags the relay sets for itself at start (docs/performance.md, "Garbage collection").
 * Each is skipped when node was started with that flag, in either form: an operator's choice wins.
 */
interface HeapFlag {
  /** What is passed to V8. */
  readonly setting: string;
  /** Matches a node argument that sets the same flag. */
  readonly givenAs: RegExp;
}

/**
 * How far V8 lets the old generation grow past what survived its last full collection, in percent.
 * V8's own rule allows up to 4× on a machine with memory to spare; the relay's live heap is small
 * (≈ 22 MB under load) and most of what reaches the old generation dies there soon after, so 4× of
 * it was RSS with nothing in it.
 */
export const HEAP_GROWING_PERCENT = 100;

const HEAP_FLAGS: readonly HeapFlag[] = [
  { setting: `--heap-growing-percent=${HEAP_GROWING_PERCENT}`, givenAs: /^--heap[-_]growing[-_]percent(=|$)/ },
  // Allocation-site pretenuring allocates an object literal in the old generation once most of its
  // site's objects survived a scavenge. The relay's objects live one request, but XState's steps
  // (which set a fresh closure on the actor's long-lived scope) got their literals pretenured: they
  // died in the old generation and kept the young objects they point to alive across scavenges.
  { setting: '--no-allocation-site-pretenuring', givenAs: /^--(no-)?allocation[-_]site[-_]pretenuring$/ },
];

/**
 * Sets each of `flags` that node was not started with. V8 reads both at each collection, so setting
 * them at start-up covers the whole life of the process. Returns the settings it applied.
 */
export function setHeapFlags(flags = HEAP_FLAGS, execArgv: readonly string[] = process.execArgv, setFlags = setFlagsFromString): string[] {
  const applied: string[] = [];
  for (const { setting, givenAs } of flags) {
    if (execArgv.some((arg) => givenAs.test(arg))) continue;
    setFlags(setting);
    applied.push(setting);
  }
  return applied;
}
