import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rawRequest } from '../support/fake-relay.ts';
import { type RunningRelay, startRelay, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const LIMIT = 16_384;
const json = { 'content-type': 'application/json' };

/**
 * Streams `totalBytes` of body as fast as the socket takes it and stops as soon as an answer
 * arrives: the bytes sent by then show that the relay did not wait for the whole body.
 */
function streamHugeBody(baseUrl: string, path: string, totalBytes: number, withLength: boolean) {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = { ...json };
  if (withLength) headers['content-length'] = String(totalBytes);
  return new Promise<{ status: number; body: any; sent: number }>((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(65_536, 0x61);
    const req = httpRequest({ hostname, port, path, method: 'POST', headers, agent: false }, (res) => {
      answered = true;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString()), sent }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (!answered && err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    const pump = () => {
      while (!answered && sent < totalBytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

describe('client errors through the real relay', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('client-errors');
  let relay: RunningRelay;
  let worker: ScriptedWorker;
  const req = (r: Parameters<typeof rawRequest>[1]) => rawRequest(relay.baseUrl, r);

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, MAX_BODY_BYTES: String(LIMIT) } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  function expectError(res: { status: number; json: any; headers: Record<string, unknown> }, status: number, code: string) {
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ error: { code, message: expect.any(String), correlationId: expect.stringMatching(new RegExp(`^${relay.config.instanceId}\\.`)) } });
    expect(res.headers['x-correlation-id']).toBe(res.json.error.correlationId);
  }

  it('answers malformed JSON with 400 and publishes nothing', async () => {
    const before = worker.received.length;
    expectError(await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: '{"recipe_text": "x"' }), 400, 'INVALID_REQUEST');
    expect(worker.received.length).toBe(before);
  });

  it('refuses a non-JSON content type with 415 and accepts +json and charset variants', async () => {
    const body = JSON.stringify({ recipe_text: 'pasta' });
    expectError(await req({ method: 'POST', path: '/api/ai/recipe', headers: { 'content-type': 'text/plain' }, body }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    for (const type of ['application/vnd.x+json', 'application/json; charset=utf-8', 'application/vnd.api+json;charset=UTF-8']) {
      const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: { 'content-type': type }, body });
      expect(res.status, type).toBe(200);
    }
  });

  it.each([
    ['/api/ai/recipe', { recipe_text: '' }, 'recipe_text'],
    ['/api/ai/image', { s3_url: 12 }, 's3_url'],
    ['/api/crawl', { url: 'mailto:x@y' }, 'url'],
  ])('answers %s with a wrong field with 400 naming it', async (path, body, field) => {
    const res = await req({ method: 'POST', path, headers: json, body: JSON.stringify(body) });
    expectError(res, 400, 'INVALID_REQUEST');
    expect(res.json.error.message).toContain(field);
  });

  it('answers a body nested too deeply to pass on with 400, not 500', async () => {
    const before = worker.received.length;
    const depth = 5_000;
    const res = await req({ method: 'POST', path: '/api/crawl', headers: json, body: `{"url":"http://e.com","deep":${'['.repeat(depth)}${']'.repeat(depth)}}` });
    expectError(res, 400, 'INVALID_REQUEST');
    expect(worker.received.length).toBe(before);
  });

  it('answers an oversize body with 413, with Content-Length, before reading it', async () => {
    const res = await streamHugeBody(relay.baseUrl, '/api/ai/recipe', 64 * 1024 * 1024, true);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('answers an oversize chunked body with 413 once the limit is passed, never buffering it all', async () => {
    const res = await streamHugeBody(relay.baseUrl, '/api/ai/recipe', 64 * 1024 * 1024, false);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(res.sent).toBeLessThan(64 * 1024 * 1024);
    // The relay is still serving.
    expect((await req({ path: '/healthz' })).status).toBe(200);
  });

  it('answers an unknown route with 404', async () => {
    expectError(await req({ path: '/api/nothing' }), 404, 'NOT_FOUND');
    expectError(await req({ method: 'POST', path: '/api/ai/recipes', headers: json, body: '{}' }), 404, 'NOT_FOUND');
  });

  it('answers the live inspector with 404 while XSTATE_INSPECT is off', async () => {
    expectError(await req({ path: '/debug/inspector' }), 404, 'NOT_FOUND');
    expectError(await req({ path: '/debug/inspector/events' }), 404, 'NOT_FOUND');
  });

  it('answers a wrong method with 405 and Allow, odd methods included', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'MKCOL', 'LOCK']) {
      const res = await req({ method, path: '/api/crawl' });
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toBe('POST');
    }
    const res = await req({ method: 'DELETE', path: '/metrics' });
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(String(res.headers.allow)).toContain('GET');
  });

  it('answers OPTIONS with 204 and Allow', async () => {
    const res = await req({ method: 'OPTIONS', path: '/api/ai/image' });
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['x-correlation-id']).toBeTruthy();
  });

  it('answers an invalid X-Timeout-Ms with 400 and publishes nothing', async () => {
    const before = worker.received.length;
    for (const bad of ['0', '-1', 'soon', '2.5']) {
      const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, 'x-timeout-ms': bad }, body: JSON.stringify({ recipe_text: 'x' }) });
      expectError(res, 400, 'INVALID_REQUEST');
      expect(res.json.error.message).toContain('X-Timeout-Ms');
    }
    expect(worker.received.length).toBe(before);
  });
});
