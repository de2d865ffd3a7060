// Builds dist/ from src/: one esbuild bundle per entry point, with the packages it uses, whitespace
// and dead code stripped (names kept, so stack traces stay readable).
//
//   node scripts/build.mjs             build now
//   node scripts/build.mjs --if-stale  build only when dist/ is missing or was built from other sources
//
// `npm start`, `npm run workers` and `npm run demo` run `--if-stale` first, so that a stale dist/
// never runs: dist/.source-hash holds a hash of every input of the build, compared in a few
// milliseconds. The build goes to a temporary folder that replaces dist/ whole, so a file removed
// from src/ does not live on in dist/, and a build that fails leaves the previous dist/ in place.
// Types are not checked here (`npm run typecheck` and CI do); `node --enable-source-maps` maps
// stack traces back to src/ through the .map files.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');
const stampFile = '.source-hash';
// The bundle holds the packages too: installing other versions of them (package-lock.json) rebuilds it.
const inputs = ['src', 'tsconfig.json', 'scripts/build.mjs', 'package-lock.json'];
const entryPoints = ['src/main.ts', 'src/workers/main.ts', 'src/demo.ts'];
// Loaded from node_modules at run time instead: pino starts its transports (pino-pretty) by file
// name in a worker thread; @statelyai/inspect is imported only when inspection is on, and
// testcontainers only when the demo starts a broker in a container, @opentelemetry/core only when
// tracing is on; the OpenTelemetry API is one global that an SDK preloaded from node_modules
// registers with.
const external = ['pino', 'pino-pretty', '@statelyai/inspect', 'testcontainers', '@testcontainers/rabbitmq', '@opentelemetry/api', '@opentelemetry/core'];
// Bundled CommonJS packages call require(): give the ES module one.
const requireShim = "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

function filesUnder(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => filesUnder(join(path, name)));
}

function sourceHash() {
  const hash = createHash('sha256');
  for (const file of inputs.flatMap((input) => filesUnder(join(root, input)))) {
    hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}

function builtFrom() {
  try {
    return readFileSync(join(dist, stampFile), 'utf8').trim();
  } catch {
    return undefined;
  }
}

async function bundler() {
  try {
    return await import('esbuild');
  } catch {
    return undefined;
  }
}

/**
 * XState's Actor constructor merges its options as `{ ...defaultOptions, ...options }`. On Node 20
 * (V8 11.3) properties added after an object spread get a new hidden class on every call: two per
 * actor, so two maps with their descriptor arrays per request, all garbage in the old generation,
 * and megamorphic property reads wherever the options are read. `Object.assign({}, …)` merges the
 * same own enumerable properties (onto a fresh object, whose setters are Object.prototype's) along
 * cached transitions. test/unit/build-dist.test.ts checks that the bundle holds the rewritten form.
 */
const actorOptionsMerge = /\{\s*\.\.\.defaultOptions,\s*\.\.\.options\s*\}/g;
const xstateActorOptions = {
  name: 'xstate-actor-options',
  setup(pluginBuild) {
    pluginBuild.onLoad({ filter: /[\\/]node_modules[\\/]xstate[\\/]dist[\\/][^\\/]+\.m?js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const merged = source.replace(actorOptionsMerge, 'Object.assign({}, defaultOptions, options)');
      return merged === source ? undefined : { contents: merged, loader: 'js' };
    });
  },
};

async function build(hash) {
  const esbuild = await bundler();
  if (!esbuild) {
    return `dist/ is missing or was built from other sources, and esbuild (a dev dependency) is not installed to build it: run \`npm ci && npm run build\`, then \`npm prune --omit=dev\` for a production install.`;
  }
  const staging = join(root, `dist.building-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    await esbuild.build({
      absWorkingDir: root,
      entryPoints,
      outbase: 'src',
      outdir: staging,
      bundle: true,
      external,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      minifyWhitespace: true,
      minifySyntax: true,
      banner: { js: requireShim },
      plugins: [xstateActorOptions],
      sourcemap: true,
      logLevel: 'warning',
    });
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    return `esbuild failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)}): dist/ left as it was`;
  }
  writeFileSync(join(staging, stampFile), `${hash}\n`);
  const previous = join(root, `dist.previous-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, previous);
  try {
    renameSync(staging, dist);
  } catch (err) {
    // Another build finished first: its dist/ is as good as ours.
    if (builtFrom() !== hash) throw err;
    rmSync(staging, { recursive: true, force: true });
  }
  rmSync(previous, { recursive: true, force: true });
  return undefined;
}

const ifStale = process.argv.includes('--if-stale');
// A production image holds dist/ without src/: nothing to compare with, dist/ is what there is.
if (ifStale && !existsSync(join(root, 'src')) && existsSync(join(dist, 'main.js'))) process.exit(0);
const hash = sourceHash();
if (ifStale && builtFrom() === hash) process.exit(0);
const failure = await build(hash);
if (failure) {
  // `npm ci --omit=dev` runs `prepare` without TypeScript: say what to do, but let the install finish.
  const during = process.env.npm_lifecycle_event === 'prepare' ? 'warning' : 'error';
  process.stderr.write(`amqp-relay build ${during}: ${failure}\n`);
  process.exit(during === 'warning' ? 0 : 1);
}
