import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRelay, fakeApp, listen, rawRequest } from '../support/fake-relay.ts';

/** Every status the contract lets the API answer with over a relay that works. */
const CONTRACT_STATUSES = new Set([200, 202, 204, 400, 401, 404, 405, 413, 415, 503]);
const ERROR_CODES = new Set(['INVALID_REQUEST', 'UNAUTHORIZED', 'NOT_FOUND', 'METHOD_NOT_ALLOWED', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'SHUTTING_DOWN']);

const PATHS = ['/api/crawl', '/api/crawl/ping', '/api/ai/recipe', '/api/ai/image', '/api/requests/fake.1', '/healthz', '/readyz', '/metrics', '/debug/actors', '/openapi.json', '/debug/inspector', '/'];

const tokenChar = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&\'*+-.^_`|~'.split(''));
const method = fc.oneof(
  fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'PROPFIND', 'PURGE', 'LOCK', 'SEARCH'),
  fc.string({ unit: tokenChar, minLength: 1, maxLength: 12 }),
);
const path = fc.oneof(
  fc.constantFrom(...PATHS),
  fc.tuple(fc.constantFrom(...PATHS), fc.webSegment()).map(([p, s]) => `${p}/${s}`),
  fc.webPath().map((p) => p || '/'),
  fc.tuple(fc.constantFrom(...PATHS), fc.webQueryParameters()).map(([p, q]) => `${p}?${q}`),
);
/** Header values Node lets a client send: visible ASCII and spaces. */
const headerValue = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const contentType = fc.oneof(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/vnd.x+json', 'text/plain', 'application/xml', ';', '*/*', '+json'),
  headerValue,
);
const jsonBody = fc.oneof(
  fc.record({ recipe_text: fc.oneof(fc.string(), fc.integer()) }, { requiredKeys: [] }),
  fc.record({ url: fc.oneof(fc.webUrl(), fc.string()), depth: fc.integer() }, { requiredKeys: [] }),
  fc.record({ s3_url: fc.oneof(fc.webUrl(), fc.string()), description: fc.oneof(fc.string(), fc.boolean()) }, { requiredKeys: [] }),
  fc.jsonValue(),
).map((v) => JSON.stringify(v) ?? 'null');
/** Deep nesting inside an otherwise valid body: it must be refused, not overflow the stack later. */
const deepBody = fc
  .tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => `{"url":"http://e.com","recipe_text":"x","s3_url":"s3://b/k","deep":${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}}`);
const body = fc.option(fc.oneof(jsonBody, fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b))), { nil: undefined });
const headers = fc.record(
  {
    'content-type': contentType,
    prefer: fc.constantFrom('respond-async', 'wait=1', 'RESPOND-ASYNC, x'),
    'x-timeout-ms': fc.oneof(fc.nat().map(String), headerValue),
    traceparent: fc.oneof(headerValue, fc.constant('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')),
    tracestate: headerValue,
    authorization: fc.oneof(headerValue, fc.constant('Bearer tok')),
    accept: fc.constantFrom('text/html', '*/*', 'application/xml'),
  },
  { requiredKeys: [] },
);
// Node's own HTTP client misreads the answer to a HEAD sent with a body (checked by hand over a raw
// socket: the server's answer is right), so HEAD goes without one.
const request = fc
  .record({ method, path, headers, body, chunked: fc.boolean() })
  .map((r) => (r.method === 'HEAD' ? { ...r, body: undefined } : r));

function expectContractAnswer(res: Awaited<ReturnType<typeof rawRequest>>, requestMethod: string) {
  expect(CONTRACT_STATUSES.has(res.status), `status ${res.status}: ${res.text}`).toBe(true);
  expect(res.headers['x-correlation-id']).toBeTruthy();
  if (res.status >= 400 && requestMethod !== 'HEAD') {
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(ERROR_CODES.has(res.json?.error?.code), res.text).toBe(true);
    expect(typeof res.json.error.message).toBe('string');
  }
}

describe('any request gets a contract status with a JSON error body, never a 500', () => {
  for (const tokens of [[], ['tok']]) {
    describe(tokens.length ? 'with API_TOKENS' : 'without API_TOKENS', () => {
      const relay = new FakeRelay();
      let server: Awaited<ReturnType<typeof listen>>;
      beforeAll(async () => {
        server = await listen(fakeApp({ relay, apiTokens: tokens, maxBodyBytes: 512 }).app);
      });
      afterAll(() => server.close());

      it('holds for generated methods, paths, headers and bodies', async () => {
        await fc.assert(
          fc.asyncProperty(request, async (r) => {
            const res = await rawRequest(server.baseUrl, r);
            expectContractAnswer(res, r.method);
          }),
          { numRuns: 300 },
        );
        // The server is still up and answering after all of it.
        expect((await rawRequest(server.baseUrl, { path: '/healthz' })).status).toBe(200);
      }, 60_000);
    });
  }
});

/** Writes raw bytes on a fresh connection; resolves with whatever comes back before the server closes it. */
function sendRaw(baseUrl: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
    socket.setTimeout(2_000, () => socket.destroy());
    socket.end(bytes);
  });
}

describe('malformed HTTP on the wire', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(fakeApp({ maxBodyBytes: 512 }).app);
  });
  afterAll(() => server.close());

  it('answers every response it sends with a contract status and JSON, and keeps serving', async () => {
    const garbage = fc.oneof(
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
      fc
        .tuple(fc.string({ unit: tokenChar, minLength: 1, maxLength: 10 }), fc.string({ maxLength: 40 }), fc.string({ maxLength: 80 }))
        .map(([m, p, h]) => Buffer.from(`${m} /${p} HTTP/1.1\r\nHost: x\r\n${h}\r\n\r\n`, 'latin1')),
    );
    let jsonErrors = 0;
    await fc.assert(
      fc.asyncProperty(garbage, async (bytes) => {
        const answer = await sendRaw(server.baseUrl, bytes);
        for (const response of answer.split(/(?=HTTP\/1\.1 \d{3} )/).filter((r) => r.startsWith('HTTP/1.1 '))) {
          if (/"error":\{"code":"[A-Z_]+"/.test(response)) jsonErrors += 1;
          const status = Number(response.slice(9, 12));
          expect(CONTRACT_STATUSES.has(status), response).toBe(true);
          if (status >= 400) expect(response, response).toMatch(/content-type: application\/json/i);
        }
      }),
      { numRuns: 200 },
    );
    // The property did meet answers: most garbage is refused with the JSON 400.
    expect(jsonErrors).toBeGreaterThan(0);
    expect((await rawRequest(server.baseUrl, { path: '/healthz' })).status).toBe(200);
  }, 60_000);
});

describe('with API_TOKENS no protected route answers without a token', () => {
  const relay = new FakeRelay();
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(fakeApp({ relay, apiTokens: ['tok'] }).app);
  });
  afterAll(() => server.close());

  /** A protected path in random letter case, with an optional trailing slash, query or segment. */
  const protectedPath = fc
    .tuple(
      // Not the live page itself (it holds no data), but its event stream.
      fc.constantFrom('/api/crawl', '/api/crawl/ping', '/api/ai/recipe', '/api/ai/image', '/api/requests/x.1', '/metrics', '/debug/actors', '/debug/inspector/events'),
      fc.array(fc.boolean(), { minLength: 32, maxLength: 32 }),
      fc.constantFrom('', '/', '?a=1', '/extra'),
    )
    .map(([p, upper, suffix]) => [...p].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('') + suffix);

  it('answers 401 (or 404 for no route), never serves', async () => {
    await fc.assert(
      fc.asyncProperty(protectedPath, fc.constantFrom('GET', 'POST', 'PUT', 'OPTIONS', 'HEAD'), async (path, method) => {
        const res = await rawRequest(server.baseUrl, { method, path, headers: { 'content-type': 'application/json' }, ...(method === 'POST' ? { body: '{"url":"http://e.com","recipe_text":"x","s3_url":"s3://b/k"}' } : {}) });
        expect([401, 404], `${method} ${path} → ${res.status}`).toContain(res.status);
      }),
      { numRuns: 300 },
    );
    expect(relay.submitted).toHaveLength(0);
  }, 60_000);
});

describe('nesting at any depth', () => {
  let server: Awaited<ReturnType<typeof listen>>;
  beforeAll(async () => {
    server = await listen(fakeApp({ maxBodyBytes: 1_048_576 }).app);
  });
  afterAll(() => server.close());

  it('is served or refused with 400, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(deepBody, fc.constantFrom('/api/crawl', '/api/crawl/ping', '/api/ai/recipe', '/api/ai/image'), async (body, path) => {
        const res = await rawRequest(server.baseUrl, { method: 'POST', path, headers: { 'content-type': 'application/json' }, body });
        expect([200, 202, 400], `${path} → ${res.status} ${res.text.slice(0, 100)}`).toContain(res.status);
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});
