import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isJsonContentType, MAX_JSON_DEPTH } from '../../src/http/body.ts';
import { clientTimeout, prefersAsync } from '../../src/http/routes/api.ts';
import { continueTrace, formatTraceparent } from '../../src/trace-context.ts';
import { FakeRelay, fakeApp, listen, rawRequest } from '../support/fake-relay.ts';
import { waitFor } from '../support/relay-harness.ts';

describe('isJsonContentType', () => {
  it.each([['application/json'], ['application/json;charset=utf-8'], [' APPLICATION/JSON '], ['application/vnd.api+json'], ['text/x.y+json; q=1']])('accepts %s', (type) => {
    expect(isJsonContentType(type)).toBe(true);
  });
  it.each([[undefined], [''], ['text/plain'], ['application/json-seq'], ['application/jsonp'], ['json'], ['+json'], ['application/x+jsonx']])('refuses %s', (type) => {
    expect(isJsonContentType(type)).toBe(false);
  });
});

describe('prefersAsync', () => {
  it.each([['respond-async'], ['RESPOND-ASYNC'], ['wait=10, respond-async'], ['respond-async; x=1'], [' respond-async ,handling=lenient']])('is true for %s', (h) => {
    expect(prefersAsync(h)).toBe(true);
  });
  it.each([[''], ['return=minimal'], ['x-respond-async'], ['respond-asynchronously'], ['handling=respond-async']])('is false for %s', (h) => {
    expect(prefersAsync(h)).toBe(false);
  });
});

describe('clientTimeout', () => {
  it('is undefined without the header and the number for a positive integer', () => {
    expect(clientTimeout('')).toBeUndefined();
    expect(clientTimeout('1')).toBe(1);
    expect(clientTimeout(' 250 ')).toBe(250);
  });
  it.each([['0'], ['-1'], ['1.0'], ['1e3'], ['0x10'], ['ten'], ['100, 200'], ['9007199254740993']])('refuses %s with INVALID_REQUEST', (h) => {
    expect(() => clientTimeout(h)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

describe('trace context', () => {
  it('keeps the trace id and flags and makes a new span', () => {
    const trace = continueTrace('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00', 'k=v');
    expect(trace).toMatchObject({ traceId: '0af7651916cd43dd8448eb211c80319c', flags: '00', tracestate: 'k=v' });
    expect(trace.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(trace.spanId).not.toBe('b7ad6b7169203331');
    expect(formatTraceparent(trace)).toBe(`00-0af7651916cd43dd8448eb211c80319c-${trace.spanId}-00`);
  });
  it('drops tracestate when it starts a new trace', () => {
    const trace = continueTrace('bogus', 'k=v');
    expect(trace.tracestate).toBeUndefined();
    expect(trace.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('reading a JSON body', () => {
  const relay = new FakeRelay();
  let server: Awaited<ReturnType<typeof listen>>;
  const post = (headers: Record<string, string>, body: string | Buffer) => rawRequest(server.baseUrl, { method: 'POST', path: '/api/ai/recipe', headers, body });

  beforeAll(async () => {
    server = await listen(fakeApp({ relay }).app);
  });
  afterAll(() => server.close());

  it('refuses bytes that are not UTF-8 with 400 instead of replacing them', async () => {
    const body = Buffer.concat([Buffer.from('{"recipe_text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const res = await post({ 'content-type': 'application/json' }, body);
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('INVALID_REQUEST');
  });

  it('decodes the declared charset, and passes the text on as UTF-8 (without a byte-order mark)', async () => {
    const latin1 = Buffer.from('{"recipe_text":"crème"}', 'latin1');
    const res = await post({ 'content-type': 'application/json; charset=ISO-8859-1' }, latin1);
    expect(res.status).toBe(200);
    expect(relay.submitted.at(-1)!.body.fields).toEqual({ recipe_text: 'crème' });
    expect(relay.submitted.at(-1)!.body.json).toEqual(Buffer.from('{"recipe_text":"crème"}', 'utf8'));
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"recipe_text":"bom"}')]);
    expect((await post({ 'content-type': 'application/json;charset="utf-8"' }, bom)).status).toBe(200);
    expect(relay.submitted.at(-1)!.body.json.toString('latin1')).toBe('{"recipe_text":"bom"}');
  });

  it('refuses an unknown charset and a compressed body with 415', async () => {
    const body = '{"recipe_text":"x"}';
    expect((await post({ 'content-type': 'application/json; charset=klingon' }, body)).json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, body)).json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect((await post({ 'content-type': 'application/json', 'content-encoding': 'identity' }, body)).status).toBe(200);
  });

  it('takes Prefer: respond-async only as a preference token', async () => {
    const crawl = (prefer: string) =>
      rawRequest(server.baseUrl, { method: 'POST', path: '/api/crawl', headers: { 'content-type': 'application/json', prefer }, body: '{"url":"http://e.com"}' });
    expect((await crawl('handling=lenient, respond-async')).status).toBe(202);
    expect((await crawl('x-respond-async')).status).toBe(200);
  });
});

describe('a client that goes away mid-body', () => {
  it('is counted as INVALID_REQUEST, not as an internal error', async () => {
    const { app, metrics } = fakeApp();
    const server = await listen(app);
    try {
      const { port } = new URL(server.baseUrl);
      const headers = { 'content-type': 'application/json', 'content-length': '100', expect: '100-continue' };
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/ai/recipe', headers });
      req.on('error', () => {});
      req.flushHeaders();
      // 100 Continue: the relay has the request and waits for its body; send part of it and go away.
      await once(req, 'continue');
      req.write('{"recipe_text":');
      await new Promise((r) => setTimeout(r, 50));
      req.destroy();
      const outcomes = async () => (await metrics.requests.get()).values.map((v) => v.labels.outcome);
      await waitFor(async () => (await outcomes()).length > 0, 5_000, 'the aborted request to be counted');
      expect(await outcomes()).toEqual(['INVALID_REQUEST']);
    } finally {
      await server.close();
    }
  });
});

describe('deeply nested JSON', () => {
  const nested = (depth: number) => `{"url":"http://e.com","deep":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  let server: Awaited<ReturnType<typeof listen>>;
  const relay = new FakeRelay();
  beforeAll(async () => {
    server = await listen(fakeApp({ relay, maxBodyBytes: 1_048_576 }).app);
  });
  afterAll(() => server.close());
  const post = (body: string) => rawRequest(server.baseUrl, { method: 'POST', path: '/api/crawl', headers: { 'content-type': 'application/json' }, body });

  it('refuses a body nested deeper than MAX_JSON_DEPTH with 400 (too deep for some workers to parse)', async () => {
    const res = await post(nested(200_000));
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'INVALID_REQUEST', message: expect.stringContaining(String(MAX_JSON_DEPTH)) });
    expect((await post(nested(MAX_JSON_DEPTH))).status).toBe(400);
  });

  it('accepts nesting up to the limit and wide bodies', async () => {
    expect((await post(nested(MAX_JSON_DEPTH - 1))).status).toBe(200);
    const wide = JSON.stringify({ url: 'http://e.com', items: Array.from({ length: 150_000 }, (_, i) => i) });
    expect((await post(wide)).status).toBe(200);
  });
});
