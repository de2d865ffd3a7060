import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawRequest } from '../support/fake-relay.ts';
import { type RunningRelay, startRelay, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const TOKEN = 'auth-test-token-4b1d';
const json = { 'content-type': 'application/json' };
const recipe = JSON.stringify({ recipe_text: 'soup' });

describe('bearer tokens with API_TOKENS', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('auth');
  let relay: RunningRelay;
  let worker: ScriptedWorker;
  const req = (r: Parameters<typeof rawRequest>[1]) => rawRequest(relay.baseUrl, r);

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, API_TOKENS: `other-token, ${TOKEN}`, MAX_BODY_BYTES: '1024' } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it.each([
    ['POST', '/api/ai/recipe'],
    ['POST', '/api/crawl'],
    ['GET', '/api/requests/x.y'],
    ['GET', '/metrics'],
    ['GET', '/debug/actors'],
  ])('answers %s %s without a valid token with 401 and WWW-Authenticate: Bearer', async (method, path) => {
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
      const res = await req({ method, path, headers: { ...json, ...headers }, ...(method === 'POST' ? { body: recipe } : {}) });
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String), correlationId: res.headers['x-correlation-id'] } });
    }
  });

  it('cannot be bypassed by the letter case of the path', async () => {
    const before = worker.received.length;
    for (const [method, path] of [['POST', '/API/AI/RECIPE'], ['POST', '/Api/ai/recipe/'], ['GET', '/METRICS'], ['GET', '/Debug/Actors']] as const) {
      const res = await req({ method, path, headers: json, ...(method === 'POST' ? { body: recipe } : {}) });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    expect(worker.received.length).toBe(before);
  });

  it('checks the token before the body: a bad token with a broken, oversize or wrongly typed body is still 401', async () => {
    const before = worker.received.length;
    for (const r of [
      { headers: json, body: '{not json' },
      { headers: json, body: 'x'.repeat(100_000), chunked: true },
      { headers: { 'content-type': 'text/plain' }, body: 'hello' },
    ]) {
      const res = await req({ method: 'POST', path: '/api/ai/recipe', ...r });
      expect(res.status).toBe(401);
    }
    expect(worker.received.length).toBe(before);
  });

  it('serves a request with a configured token', async () => {
    const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, authorization: `Bearer ${TOKEN}` }, body: recipe });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ echo: { type: 'recipe_analysis', recipe_text: 'soup' }, type: 'recipe_analysis' });
    const metrics = await req({ path: '/metrics', headers: { authorization: 'Bearer other-token' } });
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain('relay_requests_total');
  });

  it('never asks for a token on /healthz and /readyz', async () => {
    expect((await req({ path: '/healthz' })).json).toEqual({ status: 'ok' });
    expect((await req({ path: '/readyz' })).json).toEqual({ status: 'ready', broker: 'connected' });
  });
});
