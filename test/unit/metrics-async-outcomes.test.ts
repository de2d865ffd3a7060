import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRelay, fakeApp, listen, rawRequest } from '../support/fake-relay.ts';
import { waitFor } from '../support/relay-harness.ts';
import { toJsonText } from '../../src/requests/json-text.ts';

/** The value of one sample line of /metrics, or undefined when it is absent. */
async function scrape(baseUrl: string, line: string): Promise<number | undefined> {
  const { text } = await rawRequest(baseUrl, { path: '/metrics' });
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('metrics of asynchronous requests', () => {
  const relay = new FakeRelay();
  let server: Awaited<ReturnType<typeof listen>>;

  beforeAll(async () => {
    server = await listen(fakeApp({ relay }).app);
  });
  afterAll(() => server.close());

  it('counts a 202 answer once as ok, and its later TIMEOUT once as an async result', async () => {
    let time = (): void => {};
    relay.answer = () => new Promise((resolve) => (time = () => resolve({ ok: false, code: 'TIMEOUT', message: 'no reply in time' })));
    const res = await rawRequest(server.baseUrl, { method: 'POST', path: '/api/crawl/ping' });
    expect(res.status).toBe(202);
    expect(await scrape(server.baseUrl, 'relay_requests_total{route="/api/crawl/ping",outcome="ok"}')).toBe(1);
    expect(await scrape(server.baseUrl, 'relay_async_results_total{route="/api/crawl/ping",outcome="TIMEOUT"}')).toBeUndefined();

    time();
    await waitFor(async () => (await scrape(server.baseUrl, 'relay_async_results_total{route="/api/crawl/ping",outcome="TIMEOUT"}')) === 1, 2_000, 'the async TIMEOUT counted');
    expect(await scrape(server.baseUrl, 'relay_requests_total{route="/api/crawl/ping",outcome="TIMEOUT"}')).toBeUndefined();
    expect(await scrape(server.baseUrl, 'relay_requests_total{route="/api/crawl/ping",outcome="ok"}')).toBe(1);
  });

  it('labels the outcome of a crawl the client asked to answer asynchronously with its own route', async () => {
    relay.answer = () => ({ ok: true, reply: toJsonText({ pages: 1 }) });
    const res = await rawRequest(server.baseUrl, {
      method: 'POST',
      path: '/api/crawl',
      headers: { 'content-type': 'application/json', prefer: 'respond-async' },
      body: JSON.stringify({ url: 'https://e.com/' }),
    });
    expect(res.status).toBe(202);
    await waitFor(async () => (await scrape(server.baseUrl, 'relay_async_results_total{route="/api/crawl",outcome="ok"}')) === 1, 2_000, 'the async ok counted');
  });
});
