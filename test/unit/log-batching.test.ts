import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOG_MODULE = fileURLToPath(new URL('../../src/log.ts', import.meta.url));

/**
 * A process that logs one line, waits for a go on stdin, then logs `more` lines and exits through
 * flushLogsBeforeExit, as the relay does on SIGTERM.
 */
function loggingProcess(more: number) {
  const script = `
    const { createLogger, flushLogsBeforeExit } = await import(${JSON.stringify(LOG_MODULE)});
    const logger = createLogger({ level: 'info' });
    logger.info({ n: 0 }, 'first');
    process.stdin.once('data', () => {
      for (let n = 1; n <= ${more}; n++) logger.info({ n }, 'more');
      flushLogsBeforeExit(logger);
      process.exit(0);
    });
    process.stdin.once('end', () => process.exit(1));`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  const lines = () => output.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { n: number; msg: string });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, lines, exited };
}

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('log lines on stdout, written in batches', () => {
  it('shows a lone line without waiting for more to fill a batch', async () => {
    const p = loggingProcess(0);
    try {
      // Far less than a batch: only the periodic flush can write it while the process goes on.
      await until(() => p.lines().length === 1, 10_000, 'the first line');
      expect(p.lines()[0]).toMatchObject({ n: 0, msg: 'first' });
    } finally {
      p.child.stdin.end('go');
      await p.exited;
    }
  });

  it('writes every line still waiting when the process exits', async () => {
    const p = loggingProcess(500);
    try {
      await until(() => p.lines().length === 1, 10_000, 'the first line');
      p.child.stdin.write('go');
      expect(await p.exited).toBe(0);
      expect(p.lines().map((l) => l.n)).toEqual(Array.from({ length: 501 }, (_, n) => n));
    } finally {
      p.child.stdin.end();
    }
  });
});
