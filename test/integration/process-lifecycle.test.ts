import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues } from '../support/scripted-worker.ts';

/** `npm start` as a deployment or an outside test runs it. */
describe('the relay process started with npm start', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('lifecycle');
  const started: ChildProcess[] = [];

  afterEach(async () => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
    await deleteQueues(url, Object.values(queues));
  });

  async function npmStart(stdout: 'read' | 'never read') {
    const port = await freePort();
    const instanceId = `lifecycle-${port}`;
    const npm = spawn('npm', ['start'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: { ...process.env, ...queues, RABBITMQ_URL: url, PORT: String(port), HOST: '127.0.0.1', RELAY_INSTANCE_ID: instanceId },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(npm);
    let output = '';
    if (stdout === 'read') npm.stdout.on('data', (d) => (output += d));
    else npm.stdout.pause();
    npm.stderr.on('data', (d) => (output += d));
    const baseUrl = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${baseUrl}/readyz`).catch(() => null))?.status === 200, 30_000, 'the relay to be ready');
    // The exit code of npm, which exits once the relay has; 'still running' if it has not within 15 s.
    const exited = new Promise<number | null | 'still running'>((resolve) => {
      const timer = setTimeout(() => resolve('still running'), 15_000);
      npm.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    return { npm, baseUrl, exited, output: () => output, replyQueue: `amqp-relay.reply.${instanceId}` };
  }

  const stopsListening = (baseUrl: string) =>
    waitFor(async () => (await fetch(`${baseUrl}/healthz`).catch(() => null)) === null, 10_000, 'the relay to stop listening');

  it('drains and exits 0 on SIGTERM sent to npm (the signal reaches the relay)', async () => {
    const relay = await npmStart('read');
    relay.npm.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    await stopsListening(relay.baseUrl);
    expect(relay.output()).toContain('"msg":"stopped"');
    await deleteQueues(url, [relay.replyQueue]);
  });

  it('stops by itself when npm is killed with SIGKILL, leaving no orphan on the port', async () => {
    const relay = await npmStart('read');
    relay.npm.kill('SIGKILL');
    await stopsListening(relay.baseUrl);
    await deleteQueues(url, [relay.replyQueue]);
  });

  it('keeps answering, and still exits on SIGTERM, when nobody reads its stdout', async () => {
    const relay = await npmStart('never read');
    let ok = 0;
    for (let i = 0; i < 2_000; i++) if ((await fetch(`${relay.baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) })).ok) ok++;
    expect(ok).toBe(2_000);
    relay.npm.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    await stopsListening(relay.baseUrl);
    await deleteQueues(url, [relay.replyQueue]);
  }, 60_000);

  it('exits at once on a second signal while draining, even when nobody reads its stdout', async () => {
    const relay = await npmStart('never read');
    for (let i = 0; i < 2_000; i++) await fetch(`${relay.baseUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
    // No worker consumes the AI queue: this request stays in flight, so the drain waits for it.
    void fetch(`${relay.baseUrl}/api/ai/recipe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"recipe_text":"held"}' }).catch(() => {});
    await waitFor(
      async () => ((await (await fetch(`${relay.baseUrl}/debug/actors`)).json()) as { requests: unknown[] }).requests.length === 1,
      10_000,
      'a request in flight',
    );
    // npm start execs node: the relay is npm's only child.
    const relayPid = Number(readFileSync(`/proc/${relay.npm.pid}/task/${relay.npm.pid}/children`, 'utf8').trim());
    process.kill(relayPid, 'SIGTERM');
    // Draining closes the listener at once; the request in flight keeps the process alive.
    await stopsListening(relay.baseUrl);
    process.kill(relayPid, 'SIGTERM');
    expect(await relay.exited).toBe(1);
    await deleteQueues(url, [relay.replyQueue]);
  }, 60_000);
});
