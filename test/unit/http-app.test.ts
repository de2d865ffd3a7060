import type { RequestListener } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultStore } from '../../src/http/async-results.ts';
import { toJsonText } from '../../src/requests/json-text.ts';
import { echoReply, FakeRelay, fakeApp, listen, rawRequest } from '../support/fake-relay.ts';

const json = { 'content-type': 'application/json' };
const recipe = JSON.stringify({ recipe_text: 'two eggs' });

function expectError(res: { status: number; json: any; headers: Record<string, unknown> }, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.json).toEqual({ error: { code, message: expect.any(String), correlationId: expect.stringMatching(/^fake\./) } });
  expect(res.headers['x-correlation-id']).toBe(res.json.error.correlationId);
}

describe('createApp over a fake relay', () => {
  const relay = new FakeRelay();
  let draining = false;
  let server: Awaited<ReturnType<typeof listen>>;
  const req = (r: Parameters<typeof rawRequest>[1]) => rawRequest(server.baseUrl, r);

  beforeAll(async () => {
    server = await listen(fakeApp({ relay, results: new ResultStore(200), isDraining: () => draining }).app);
  });
  afterAll(() => server.close());

  it('answers 200 with the reply, X-Correlation-Id equal to the submitted correlation id', async () => {
    const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: recipe });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.json).toEqual({ echo: { recipe_text: 'two eggs' }, kind: 'recipe_analysis' });
    expect(res.headers['x-correlation-id']).toBe(relay.submitted.at(-1)!.correlationId);
  });

  it('passes the image description only when given, and crawl fields through', async () => {
    await req({ method: 'POST', path: '/api/ai/image', headers: json, body: JSON.stringify({ s3_url: 's3://b/k.png' }) });
    expect(relay.submitted.at(-1)!.body.fields).toEqual({ s3_url: 's3://b/k.png' });
    await req({ method: 'POST', path: '/api/ai/image', headers: json, body: JSON.stringify({ s3_url: 'https://x/y.png', description: 'a cake' }) });
    expect(relay.submitted.at(-1)!.body.fields).toEqual({ s3_url: 'https://x/y.png', description: 'a cake' });
    const crawl = '{ "url": "https://e.com/", "depth": 2.0, "id": 12345678901234567891 }';
    const res = await req({ method: 'POST', path: '/api/crawl', headers: json, body: crawl });
    expect(res.status).toBe(200);
    expect(relay.submitted.at(-1)).toMatchObject({ kind: 'crawl', body: { fields: { url: 'https://e.com/', depth: 2 } } });
    expect(relay.submitted.at(-1)!.body.json.toString()).toBe(crawl);
  });

  it.each([
    ['application/json; charset=utf-8'],
    ['application/vnd.x+json'],
    ['Application/JSON;charset=UTF-8'],
    ['application/problem+json; charset=iso-8859-1'],
  ])('accepts the JSON content type %s', async (type) => {
    const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: { 'content-type': type }, body: recipe });
    expect(res.status).toBe(200);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/jsonx'], ['multipart/form-data; boundary=x']])(
    'refuses content type %s with 415',
    async (type) => {
      expectError(await req({ method: 'POST', path: '/api/ai/recipe', headers: { 'content-type': type }, body: recipe }), 415, 'UNSUPPORTED_MEDIA_TYPE');
    },
  );

  it('refuses a body without a content type with 415', async () => {
    expectError(await req({ method: 'POST', path: '/api/ai/recipe', body: recipe }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers malformed JSON with 400', async () => {
    expectError(await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: '{"recipe_text":' }), 400, 'INVALID_REQUEST');
  });

  it.each([
    ['/api/ai/recipe', {}, 'recipe_text'],
    ['/api/ai/recipe', { recipe_text: '   ' }, 'recipe_text'],
    ['/api/ai/recipe', { recipe_text: 42 }, 'recipe_text'],
    ['/api/ai/image', { description: 'x' }, 's3_url'],
    ['/api/ai/image', { s3_url: 'not a url' }, 's3_url'],
    ['/api/ai/image', { s3_url: 'https://x/y', description: 7 }, 'description'],
    ['/api/crawl', { depth: 1 }, 'url'],
    ['/api/crawl', { url: 'ftp://e.com/' }, 'url'],
    ['/api/crawl', { url: '/relative' }, 'url'],
  ])('answers %s %j with 400 naming %s', async (path, body, field) => {
    const res = await req({ method: 'POST', path, headers: json, body: JSON.stringify(body) });
    expectError(res, 400, 'INVALID_REQUEST');
    expect(res.json.error.message).toContain(field);
  });

  it.each([['[1,2]'], ['"text"'], ['null'], ['3']])('answers a JSON body that is not an object (%s) with 400', async (body) => {
    expectError(await req({ method: 'POST', path: '/api/crawl', headers: json, body }), 400, 'INVALID_REQUEST');
  });

  it('answers an empty body with 400, except for a ping', async () => {
    expectError(await req({ method: 'POST', path: '/api/ai/recipe', headers: json }), 400, 'INVALID_REQUEST');
    const ping = await req({ method: 'POST', path: '/api/crawl/ping' });
    expect(ping.status).toBe(202);
    expect(relay.submitted.at(-1)).toMatchObject({ kind: 'ping', body: {} });
  });

  it('answers a body over the limit with 413, with or without Content-Length', async () => {
    const big = JSON.stringify({ recipe_text: 'x'.repeat(4_000) });
    expectError(await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: big }), 413, 'PAYLOAD_TOO_LARGE');
    expectError(await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: big, chunked: true }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers unknown routes with 404 and known paths with other methods with 405 and Allow', async () => {
    expectError(await req({ path: '/nope' }), 404, 'NOT_FOUND');
    expectError(await req({ method: 'POST', path: '/api' }), 404, 'NOT_FOUND');
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'PROPFIND', 'PURGE']) {
      const res = await req({ method, path: '/api/ai/recipe' });
      expectError(res, 405, 'METHOD_NOT_ALLOWED');
      expect(res.headers.allow).toBe('POST');
    }
    const healthz = await req({ method: 'POST', path: '/healthz' });
    expectError(healthz, 405, 'METHOD_NOT_ALLOWED');
    expect(healthz.headers.allow).toMatch(/GET/);
  });

  it('answers OPTIONS on a known path with 204 and Allow, on an unknown one with 404', async () => {
    const res = await req({ method: 'OPTIONS', path: '/api/crawl' });
    expect(res.status).toBe(204);
    expect(res.headers.allow).toBe('POST');
    expect(res.headers['x-correlation-id']).toBeTruthy();
    expectError(await req({ method: 'OPTIONS', path: '/api/unknown' }), 404, 'NOT_FOUND');
  });

  it('validates X-Timeout-Ms and passes it on', async () => {
    for (const bad of ['0', '-5', 'abc', '1.5', '1e3', '99999999999999999999']) {
      const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, 'x-timeout-ms': bad }, body: recipe });
      expectError(res, 400, 'INVALID_REQUEST');
      expect(res.json.error.message).toContain('X-Timeout-Ms');
    }
    await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, 'x-timeout-ms': '250' }, body: recipe });
    expect(relay.submitted.at(-1)!.timeoutMs).toBe(250);
  });

  it('continues a valid traceparent with a new span, and starts a new trace for a malformed one', async () => {
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, traceparent: incoming, tracestate: 'a=1' }, body: recipe });
    const out = String(res.headers.traceparent);
    expect(out).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(out).not.toBe(incoming);
    expect(relay.submitted.at(-1)!.trace).toEqual({ traceparent: out, tracestate: 'a=1' });
    for (const bad of ['garbage', '00-00000000000000000000000000000000-b7ad6b7169203331-01', 'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']) {
      const fresh = await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, traceparent: bad }, body: recipe });
      expect(String(fresh.headers.traceparent)).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(String(fresh.headers.traceparent)).not.toContain('0af7651916cd43dd8448eb211c80319c');
    }
  });

  it('renders an outcome error with its status, and Retry-After where the contract says so', async () => {
    const cases = [
      ['TIMEOUT', 504],
      ['WORKER_ERROR', 502],
      ['BAD_REPLY', 502],
      ['BROKER_UNAVAILABLE', 503],
      ['NO_ROUTE', 503],
    ] as const;
    try {
      for (const [code, status] of cases) {
        relay.answer = () => ({ ok: false, code, message: `it was ${code}` });
        const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: recipe });
        expectError(res, status, code);
        expect(res.json.error.message).toBe(`it was ${code}`);
        if (code === 'BROKER_UNAVAILABLE' || code === 'NO_ROUTE') expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
      }
    } finally {
      relay.answer = echoReply;
    }
  });

  it('accepts Prefer: respond-async with 202 and Location, and serves the result until it expires', async () => {
    const res = await req({ method: 'POST', path: '/api/crawl', headers: { ...json, prefer: 'respond-async, wait=5' }, body: JSON.stringify({ url: 'http://e.com' }) });
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ correlationId: res.headers['x-correlation-id'], status: 'accepted' });
    expect(res.headers.location).toBe(`/api/requests/${res.json.correlationId}`);
    const done = await req({ path: String(res.headers.location) });
    expect(done.json).toEqual({ status: 'done', result: { echo: { url: 'http://e.com' }, kind: 'crawl' } });
    await new Promise((r) => setTimeout(r, 400));
    expectError(await req({ path: String(res.headers.location) }), 404, 'NOT_FOUND');
    expectError(await req({ path: '/api/requests/fake.unknown' }), 404, 'NOT_FOUND');
  });

  it('answers a result it does not hold with what the owner says: the state, 404, or 503 when it cannot ask', async () => {
    try {
      relay.lookupAnswer = (id) =>
        id === 'other.done'
          ? { kind: 'found', json: toJsonText({ status: 'done', result: { title: 't' } }) }
          : id === 'other.down'
            ? { kind: 'failed', code: 'BROKER_UNAVAILABLE', message: 'the broker is unreachable' }
            : { kind: 'notFound', reason: 'ownerGone' };
      const done = await req({ path: '/api/requests/other.done' });
      expect(done.status).toBe(200);
      expect(done.json).toEqual({ status: 'done', result: { title: 't' } });
      expectError(await req({ path: '/api/requests/other.gone' }), 404, 'NOT_FOUND');
      const down = await req({ path: '/api/requests/other.down' });
      expectError(down, 503, 'BROKER_UNAVAILABLE');
      expect(down.headers['retry-after']).toBe('5');
      expect(relay.lookedUp.slice(-3)).toEqual(['other.done', 'other.gone', 'other.down']);

      // A result it holds is answered from its own store, without asking anyone.
      const accepted = await req({ method: 'POST', path: '/api/crawl', headers: { ...json, prefer: 'respond-async' }, body: JSON.stringify({ url: 'http://e.com' }) });
      const asked = relay.lookedUp.length;
      expect((await req({ path: String(accepted.headers.location) })).status).toBe(200);
      expect(relay.lookedUp.length).toBe(asked);
    } finally {
      relay.lookupAnswer = () => ({ kind: 'notFound', reason: 'unknown' });
    }
  });

  it('refuses new requests with 503 SHUTTING_DOWN while draining, health stays up', async () => {
    draining = true;
    try {
      const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: recipe });
      expectError(res, 503, 'SHUTTING_DOWN');
      expect(res.headers['retry-after']).toBeDefined();
      expect((await req({ path: '/healthz' })).status).toBe(200);
    } finally {
      draining = false;
    }
  });

  it('answers /readyz from the relay readiness', async () => {
    expect((await req({ path: '/readyz' })).json).toEqual({ status: 'ready', broker: 'connected' });
    relay.ready = { ready: false, broker: 'reconnecting', reason: 'ECONNREFUSED' };
    try {
      const res = await req({ path: '/readyz' });
      expect(res.status).toBe(503);
      expect(res.json).toEqual({ status: 'not_ready', broker: 'reconnecting', reason: 'ECONNREFUSED' });
    } finally {
      relay.ready = { ready: true, broker: 'connected' };
    }
  });

  it('answers a relay that throws with 500 INTERNAL in the JSON shape, without the error text', async () => {
    relay.answer = () => {
      throw new Error('secret internals');
    };
    try {
      const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: recipe });
      expectError(res, 500, 'INTERNAL');
      expect(res.text).not.toContain('secret internals');
    } finally {
      relay.answer = echoReply;
    }
  });
});

describe('createApp with API_TOKENS', () => {
  const relay = new FakeRelay();
  let server: Awaited<ReturnType<typeof listen>>;
  const req = (r: Parameters<typeof rawRequest>[1]) => rawRequest(server.baseUrl, r);

  beforeAll(async () => {
    server = await listen(fakeApp({ relay, apiTokens: ['tok-1', 'tok-2'] }).app);
  });
  afterAll(() => server.close());

  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a token prefix', { authorization: 'Bearer tok-' }],
    ['another scheme', { authorization: 'Basic dG9rLTE6' }],
  ])('answers 401 with WWW-Authenticate for %s', async (_, headers) => {
    for (const path of ['/api/ai/recipe', '/metrics', '/debug/actors']) {
      const res = await req({ method: path.startsWith('/api') ? 'POST' : 'GET', path, headers: { ...json, ...headers }, body: path.startsWith('/api') ? recipe : undefined });
      expectError(res, 401, 'UNAUTHORIZED');
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('checks the token before reading the body: an oversize body without a token is 401, not 413', async () => {
    const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: json, body: 'x'.repeat(50_000), chunked: true });
    expectError(res, 401, 'UNAUTHORIZED');
    expect(relay.submitted).toHaveLength(0);
  });

  it('lets any configured token through, and never asks one for /healthz and /readyz', async () => {
    for (const token of ['tok-1', 'tok-2']) {
      const res = await req({ method: 'POST', path: '/api/ai/recipe', headers: { ...json, authorization: `Bearer ${token}` }, body: recipe });
      expect(res.status).toBe(200);
    }
    expect((await req({ path: '/healthz' })).status).toBe(200);
    expect((await req({ path: '/readyz' })).status).toBe(200);
    expect((await req({ path: '/metrics', headers: { authorization: 'bearer tok-2' } })).status).toBe(200);
  });
});

describe('requests that Node rejects before Koa', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(fakeApp().app);
  });
  afterAll(() => server.close());

  it.each([['FOO'], ['BREW'], ['X']])('answers the unknown method %s with the contract JSON 400', async (method) => {
    const res = await rawRequest(server.baseUrl, { method, path: '/api/crawl' });
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ error: { code: 'INVALID_REQUEST', message: expect.any(String), correlationId: res.headers['x-correlation-id'] } });
  });
});

describe('request metrics by route template', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  const { app, metrics } = fakeApp({ apiTokens: ['tok'] });
  const count = async (route: string, outcome: string) =>
    (await metrics.requests.get()).values.find((v) => v.labels.route === route && v.labels.outcome === outcome)?.value ?? 0;

  beforeAll(async () => {
    server = await listen(app);
  });
  afterAll(() => server.close());

  it('counts refused requests under their route: 401, 405, 415, 400, and served ones as ok', async () => {
    const auth = { authorization: 'Bearer tok' };
    await rawRequest(server.baseUrl, { method: 'POST', path: '/api/ai/recipe', headers: json, body: recipe });
    await rawRequest(server.baseUrl, { method: 'GET', path: '/api/ai/recipe', headers: auth });
    await rawRequest(server.baseUrl, { method: 'POST', path: '/api/ai/recipe', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x' });
    await rawRequest(server.baseUrl, { method: 'POST', path: '/api/ai/recipe', headers: { ...auth, ...json }, body: '{}' });
    await rawRequest(server.baseUrl, { method: 'POST', path: '/api/ai/recipe', headers: { ...auth, ...json }, body: recipe });
    await rawRequest(server.baseUrl, { path: '/api/requests/fake.nope', headers: auth });
    await rawRequest(server.baseUrl, { path: '/api/unknown/thing', headers: auth });
    expect(await count('/api/ai/recipe', 'UNAUTHORIZED')).toBe(1);
    expect(await count('/api/ai/recipe', 'METHOD_NOT_ALLOWED')).toBe(1);
    expect(await count('/api/ai/recipe', 'UNSUPPORTED_MEDIA_TYPE')).toBe(1);
    expect(await count('/api/ai/recipe', 'INVALID_REQUEST')).toBe(1);
    expect(await count('/api/ai/recipe', 'ok')).toBe(1);
    expect(await count('/api/requests/:correlationId', 'NOT_FOUND')).toBe(1);
    // Unknown paths are not labels: they would make one series per path.
    expect((await metrics.requests.get()).values.some((v) => String(v.labels.route).includes('unknown'))).toBe(false);
  });
});

describe('the finished-request log line and metrics', () => {
  // What happened, in order: the response written to the socket, the metric observed, the log line.
  const happened: string[] = [];
  const lines = new Writable({
    write(chunk: Buffer, _encoding, done) {
      happened.push(`log ${JSON.parse(chunk.toString('utf8')).msg}`);
      done();
    },
  });
  const { app, metrics } = fakeApp({ logger: pino({ level: 'info' }, lines) });
  const observeRequest = metrics.observeRequest.bind(metrics);
  metrics.observeRequest = (route, outcome, seconds) => {
    happened.push(`metric ${route} ${outcome}`);
    observeRequest(route, outcome, seconds);
  };
  const handle = app.callback();
  const recordingEnd: { callback(): RequestListener } = {
    callback: () => (req, res) => {
      const end = res.end.bind(res) as (...args: unknown[]) => typeof res;
      res.end = ((...args: unknown[]) => {
        happened.push('response written');
        return end(...args);
      }) as typeof res.end;
      return handle(req, res);
    },
  };
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(recordingEnd);
  });
  afterAll(() => server.close());

  it('are recorded once per request, after its response is written', async () => {
    const res = await rawRequest(server.baseUrl, { method: 'POST', path: '/api/ai/recipe', headers: json, body: recipe });
    expect(res.status).toBe(200);
    await new Promise((resolve) => setImmediate(resolve));
    expect(happened).toEqual(['response written', 'metric /api/ai/recipe ok', 'log request finished']);
  });
});
