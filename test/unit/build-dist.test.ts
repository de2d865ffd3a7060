import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npmStartEnv, npmStartFlags } from '../support/start-flags.ts';

const root = new URL('../..', import.meta.url).pathname;

/** `npm start` runs `node scripts/build.mjs --if-stale` first: dist/ always matches src/. */
describe('the dist/ build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'amqp-relay-build-'));
  for (const path of ['src', 'scripts', 'tsconfig.json', 'package.json', 'package-lock.json']) cpSync(join(root, path), join(dir, path), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const buildIfStale = () => execFileSync(process.execPath, ['scripts/build.mjs', '--if-stale'], { cwd: dir, stdio: 'pipe', timeout: 60_000 });
  const builtAt = () => statSync(join(dir, 'dist/main.js')).mtimeMs;

  it('is built when missing, with the three programs', () => {
    buildIfStale();
    for (const entry of ['main.js', 'workers/main.js', 'demo.js']) expect(statSync(join(dir, 'dist', entry)).isFile()).toBe(true);
  });

  it('is left alone when src/ has not changed', () => {
    const before = builtAt();
    buildIfStale();
    expect(builtAt()).toBe(before);
  });

  it('is rebuilt when a source file changed, so the change is what runs', () => {
    appendFileSync(join(dir, 'src/errors.ts'), "\nexport const buildMarker = 'changed-after-the-first-build';\n");
    appendFileSync(join(dir, 'src/main.ts'), "\nimport { buildMarker } from './errors.ts';\nif (process.env.NEVER_SET === buildMarker) process.exit(3);\n");
    buildIfStale();
    expect(readFileSync(join(dir, 'dist/main.js'), 'utf8')).toContain('changed-after-the-first-build');
  });

  it('is rebuilt when other package versions are installed, since it holds the packages', () => {
    const before = builtAt();
    appendFileSync(join(dir, 'package-lock.json'), '\n');
    buildIfStale();
    expect(builtAt()).toBeGreaterThan(before);
  });

  it('bundles the packages, except those loaded by file name or shared as one global', () => {
    const bundle = readFileSync(join(dir, 'dist/main.js'), 'utf8');
    const imported = [...bundle.matchAll(/\bfrom\s*"([^".][^"]*)"/g)].map((m) => m[1]).filter((name) => !name!.startsWith('node:') && !builtinModules.includes(name!));
    expect(new Set(imported)).toEqual(new Set(['pino', '@opentelemetry/api']));
    expect(bundle).toMatch(/\bimport\(\s*"@statelyai\/inspect"\s*\)/);
  });

  it("merges XState's actor options without an object spread (a new hidden class per actor on Node 20)", () => {
    for (const program of ['main.js', 'workers/main.js']) {
      const bundle = readFileSync(join(dir, 'dist', program), 'utf8');
      expect(bundle).toMatch(/Object\.assign\(\{\},\s*defaultOptions,\s*options\)/);
      expect(bundle).not.toMatch(/\.\.\.defaultOptions,\s*\.\.\.options/);
    }
  });
});

/** The Dockerfile's promises that no linter checks. */
describe('the Dockerfile', () => {
  const lines = readFileSync(join(root, 'Dockerfile'), 'utf8').split('\n').filter((l) => /^[A-Z]/.test(l));
  const finalStage = lines.slice(lines.findLastIndex((l) => l.startsWith('FROM ')));

  it('builds in one stage and runs from a slim LTS node image in another', () => {
    expect(lines.filter((l) => l.startsWith('FROM '))).toEqual(['FROM node:24-slim AS build', 'FROM node:24-slim']);
  });

  it('runs node itself as the unprivileged user node, with a health check on /healthz', () => {
    expect(finalStage).toContain('USER node');
    const startFlags = npmStartFlags();
    expect(finalStage.at(-1)).toBe(`CMD ${JSON.stringify(['node', ...startFlags, 'dist/main.js']).replaceAll(',', ', ')}`);
    expect(startFlags).toContain('--max-semi-space-size=4');
    const startEnv = Object.entries(npmStartEnv());
    expect(startEnv).toContainEqual(['MALLOC_MMAP_THRESHOLD_', '131072']);
    for (const [name, value] of startEnv) expect(finalStage).toContain(`ENV ${name}=${value}`);
    expect(finalStage.find((l) => l.startsWith('HEALTHCHECK'))).toBeDefined();
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toMatch(/HEALTHCHECK[^\n]*\\\n\s+CMD \["node", "-e", "fetch\([^\n]*\/healthz/);
  });

  it('copies only production dependencies and dist/ into the final stage', () => {
    expect(finalStage.filter((l) => l.startsWith('COPY'))).toEqual([
      'COPY --from=build /app/package.json ./',
      'COPY --from=build /app/node_modules ./node_modules',
      'COPY --from=build /app/dist ./dist',
    ]);
    expect(lines).toContain('RUN npm run build && npm prune --omit=dev --no-audit --no-fund');
  });
});
