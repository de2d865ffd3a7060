import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Compiled by this process already (a bench may start the same program twice). */
const compiled = new Set<string>();

/**
 * A bench program compiled to one JavaScript file, as the relay runs from dist/: measured against
 * the relay, a program run through tsx would carry the TypeScript loader (≈ 35 MB of RSS, a
 * worker thread). Under node_modules/.cache, so that its packages resolve from the project.
 */
export function compiledScript(entry: string): string {
  const outdir = join(root, 'node_modules/.cache/amqp-relay-bench');
  const outfile = join(outdir, basename(entry).replace(/\.ts$/, '.mjs'));
  if (compiled.has(outfile)) return outfile;
  mkdirSync(outdir, { recursive: true });
  buildSync({ entryPoints: [join(root, entry)], outfile, bundle: true, packages: 'external', platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  compiled.add(outfile);
  return outfile;
}
