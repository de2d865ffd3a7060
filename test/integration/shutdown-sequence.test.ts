import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { postJson, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * The contract's shutdown sequence, on a relay process as a deployment runs it: SIGTERM, /readyz
 * 503 at once, SHUTDOWN_DELAY_MS of normal service, drain up to SHUTDOWN_TIMEOUT_MS, then a JSON
 * 503 SHUTTING_DOWN for every request still unfinished (never a reset connection), exit 0.
 */
describe('shutdown: not ready at once, serving through the delay, every request answered', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('shutdown-seq');
  let relay: ChildProcess;
  let worker: ScriptedWorker;
  let baseUrl: string;
  let instanceId: string;
  let output = '';

  beforeAll(async () => {
    const port = await freePort();
    instanceId = `shutdown-seq-${port}`;
    baseUrl = `http://127.0.0.1:${port}`;
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, ({ body }) =>
      body.recipe_text === 'hold' ? { kind: 'silent' } : { kind: 'reply', body: { served: body.recipe_text } },
    );
    relay = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: new URL('../..', import.meta.url).pathname,
      env: {
        ...process.env,
        ...queues,
        RABBITMQ_URL: url,
        PORT: String(port),
        HOST: '127.0.0.1',
        RELAY_INSTANCE_ID: instanceId,
        LOG_LEVEL: 'warn',
        AI_TIMEOUT_MS: '30000',
        SHUTDOWN_DELAY_MS: '4000',
        SHUTDOWN_TIMEOUT_MS: '1500',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    relay.stdout!.on('data', (d) => (output += d));
    relay.stderr!.on('data', (d) => (output += d));
    await waitFor(async () => (await fetch(`${baseUrl}/readyz`).catch(() => null))?.status === 200, 30_000, 'the relay to be ready');
  });

  afterAll(async () => {
    if (relay && relay.exitCode === null) relay.kill('SIGKILL');
    await worker?.stop();
    await deleteQueues(url, [...Object.values(queues), `amqp-relay.reply.${instanceId}`]);
  });

  it('answers a request held past the drain with JSON 503 SHUTTING_DOWN and exits 0', async () => {
    const exited = new Promise<number | null | 'still running'>((resolve) => {
      const timer = setTimeout(() => resolve('still running'), 20_000);
      relay.once('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    const held = postJson(baseUrl, '/api/ai/recipe', { recipe_text: 'hold' });
    await waitFor(() => worker.received.length === 1, 5_000, 'the worker to get the held request');

    relay.kill('SIGTERM');
    let readyz: Awaited<ReturnType<typeof postJson>> | undefined;
    await waitFor(
      async () => {
        const res = await fetch(`${baseUrl}/readyz`).catch(() => null);
        if (res?.status !== 503) return false;
        readyz = { status: res.status, headers: res.headers, json: await res.json(), text: '' };
        return true;
      },
      2_000,
      '/readyz to answer 503',
    );
    expect(readyz!.json).toMatchObject({ status: 'not_ready', reason: 'shutting down' });

    // Within SHUTDOWN_DELAY_MS the relay still serves normally.
    const served = await postJson(baseUrl, '/api/ai/recipe', { recipe_text: 'during the delay' });
    expect(served.status).toBe(200);
    expect(served.json).toEqual({ served: 'during the delay' });

    const answer = await held;
    expect(answer.status).toBe(503);
    expect(answer.json).toEqual({ error: { code: 'SHUTTING_DOWN', message: expect.any(String), correlationId: answer.headers.get('x-correlation-id') } });
    expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);

    expect(await exited, output).toBe(0);
    await expect(fetch(`${baseUrl}/healthz`)).rejects.toThrow();
  }, 40_000);
});
