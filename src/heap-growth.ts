import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what survived its last full collection, in percent.
 * V8's own rule allows up to 4× on a machine with memory to spare; the relay's live heap is small
 * (≈ 22 MB under load) and most of what reaches the old generation dies there soon after, so 4× of
 * it was RSS with nothing in it (docs/performance.md, "Garbage collection").
 */
export const HEAP_GROWING_PERCENT = 100;

const FLAG = '--heap-growing-percent';

/**
 * Sets V8's heap growing factor to 1 + `percent`/100, unless node was started with the flag (an
 * operator's choice wins; `--heap-growing-percent=0` restores V8's own rule). V8 reads it at each
 * full collection, so setting it at start-up covers the whole life of the process.
 */
export function limitHeapGrowth(percent = HEAP_GROWING_PERCENT, execArgv: readonly string[] = process.execArgv, setFlags = setFlagsFromString): boolean {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return false;
  setFlags(`${FLAG}=${percent}`);
  return true;
}
