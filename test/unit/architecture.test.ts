import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = sourceFiles(join(root, 'src')).map((path) => ({ path: relative(root, path), text: readFileSync(path, 'utf8') }));
const importsOf = (text: string) => [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);

describe('architecture rules', () => {
  it('sees the source tree', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  it('lets only the broker actor import amqplib', () => {
    const offenders = files.filter((f) => importsOf(f.text).some((i) => i === 'amqplib' || i.startsWith('amqplib/'))).map((f) => f.path);
    expect(offenders.length).toBeGreaterThan(0);
    expect(offenders.filter((p) => !p.startsWith('src/actors/broker/'))).toEqual([]);
  });

  it('keeps AMQP out of the HTTP layer', () => {
    const http = files.filter((f) => f.path.startsWith('src/http/'));
    const offenders = http.filter((f) => importsOf(f.text).some((i) => i === 'amqplib' || i.includes('/actors/broker/'))).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('logs through pino only', () => {
    expect(files.filter((f) => /\bconsole\.(log|error|warn|info|debug)\(/.test(f.text)).map((f) => f.path)).toEqual([]);
  });
});
