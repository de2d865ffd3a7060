import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues } from '../support/scripted-worker.ts';

/** Debian's python3 has pika; the pyenv python3 first on PATH does not. */
const PYTHON = '/usr/bin/python3';
const WORKER = fileURLToPath(new URL('../support/pika_worker.py', import.meta.url));

describe('interop with a Python worker using pika', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('pika');
  let relay: RunningRelay;
  let worker: ChildProcess;
  let output = '';

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: '5000' } });
    worker = spawn(PYTHON, [WORKER, url, queues.AI_QUEUE_NAME!], { stdio: ['ignore', 'pipe', 'pipe'] });
    worker.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    worker.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    await waitFor(() => output.includes('ready') || worker.exitCode !== null, 15_000, 'the pika worker to start consuming');
    if (worker.exitCode !== null) throw new Error(`the pika worker exited: ${output}`);
  });
  afterAll(async () => {
    if (worker && worker.exitCode === null) {
      const exited = once(worker, 'exit');
      worker.kill('SIGTERM');
      const timer = setTimeout(() => worker.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('answers a recipe request through the pika worker', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'crème brûlée' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ worker: 'pika', type: 'recipe_analysis', echo: { type: 'recipe_analysis', recipe_text: 'crème brûlée' } });
  });

  it('turns a pika error reply (x-status: error) into 502 WORKER_ERROR', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'fail' });
    expect(res.status).toBe(502);
    expect(res.json.error).toEqual({ code: 'WORKER_ERROR', message: 'pika worker refused the recipe', correlationId: res.headers.get('x-correlation-id') });
  });

  it('keeps 50 concurrent requests apart', async () => {
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: `dish ${i}` })));
    answers.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.json.echo.recipe_text).toBe(`dish ${i}`);
    });
  });
});
