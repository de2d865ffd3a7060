import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publishConfirmed } from '../support/fake-relay.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

/**
 * Sends the headers of a POST now and its body when `finish` is called. `received` resolves when
 * the server has taken the request (its `100 Continue`); `answer` with the response.
 */
function slowPost(baseUrl: string, path: string, body: string) {
  const { hostname, port } = new URL(baseUrl);
  let finish!: () => void;
  let taken!: () => void;
  const received = new Promise<void>((resolve) => (taken = resolve));
  const answer = new Promise<{ status: number; json: any; headers: Record<string, unknown> }>((resolve, reject) => {
    const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), expect: '100-continue' };
    const req = httpRequest({ hostname, port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text), headers: res.headers }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
    req.on('continue', () => taken());
    req.flushHeaders();
    finish = () => req.end(body);
  });
  return { answer, received, finish: () => finish() };
}

describe('draining on shutdown', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('shutdown');
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: '5000' } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, () => ({ kind: 'silent' }));
  });
  afterAll(async () => {
    await worker?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('lets the request in flight finish, refuses one that arrives meanwhile with 503 SHUTTING_DOWN, then stops', async () => {
    const inFlight = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'in flight' });
    await waitFor(() => worker.received.length === 1, 5_000, 'the worker to get the request');
    const arriving = slowPost(relay.baseUrl, '/api/ai/recipe', JSON.stringify({ recipe_text: 'too late' }));
    // The relay has taken the second request (its headers) before it starts draining.
    await arriving.received;

    const drained = relay.drainAndStop(5_000);
    arriving.finish();
    const refused = await arriving.answer;
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({ error: { code: 'SHUTTING_DOWN', message: expect.any(String), correlationId: refused.headers['x-correlation-id'] } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(worker.received).toHaveLength(1);

    // The worker answers the first request while the relay drains.
    const message = worker.received[0]!;
    await publishConfirmed(url, message.properties.replyTo, '{"finished":true}', { correlationId: message.properties.correlationId });
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ finished: true });
    expect(await drained).toBe(true);
    expect(relay.relay.inFlight).toBe(0);

    // No new connections afterwards.
    await expect(fetch(`${relay.baseUrl}/healthz`)).rejects.toThrow();
  });
});
