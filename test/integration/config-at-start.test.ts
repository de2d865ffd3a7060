import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';

/** The relay process with a bad environment: exit 2 and one message on stderr, before touching the broker. */
async function startWith(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const port = await freePort();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`still running after 15 s: ${stderr}`));
    }, 15_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('configuration refused at start', () => {
  it('names a malformed RABBITMQ_URL and its problem without echoing the password', async () => {
    const { code, stderr } = await startWith({ RABBITMQ_URL: 'amqp://relay:pa/ss-5f3e@broker.internal:5672/' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/RABBITMQ_URL .*percent-encoded/);
    for (const part of ['pa/ss-5f3e', 'ss-5f3e', 'broker.internal']) expect(stderr).not.toContain(part);
  });

  it('refuses a reply queue that would expire before the largest deadline', async () => {
    const { code, stderr } = await startWith({ AI_TIMEOUT_MS: '100000', REPLY_QUEUE_EXPIRES_MS: '60000' });
    expect(code).toBe(2);
    expect(stderr).toMatch(/REPLY_QUEUE_EXPIRES_MS/);
  });
});
