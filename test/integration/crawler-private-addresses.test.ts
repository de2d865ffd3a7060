import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { crawlingHandler } from '../../src/workers/crawler.ts';
import { guardedGet, RefusedAddressError } from '../../src/workers/guarded-fetch.ts';
import { startWorker } from '../../src/workers/runtime.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues } from '../support/scripted-worker.ts';

/** The reference crawler is not an open proxy into the network it runs in. */
describe('the reference crawler refuses addresses inside a network', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('crawler-private');
  let relay: RunningRelay;
  let site: Server;
  let port: number;
  let hits = 0;
  let worker: { stop(): Promise<void> };

  beforeAll(async () => {
    site = createServer((req, res) => {
      hits++;
      if (req.url === '/to-inside') {
        res.writeHead(302, { location: `http://127.0.0.2:${port}/page` }).end();
      } else if (req.url === '/to-page') {
        res.writeHead(302, { location: '/page' }).end();
      } else {
        res.setHeader('content-type', 'text/html');
        res.end('<title>inside</title>');
      }
    }).listen(0, '127.0.0.1');
    await once(site, 'listening');
    port = (site.address() as AddressInfo).port;
    relay = await startRelay({ amqpUrl: url, env: { ...queues, CRAWL_TIMEOUT_MS: '5000' } });
    worker = startWorker({
      name: 'crawler',
      urls: [url],
      queues: [{ name: queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, durable: true, declare: true }],
      handle: crawlingHandler({ timeoutMs: 2_000, maxBytes: 1_000 }),
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    site?.close();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it.each([
    ['a loopback IP', () => `http://127.0.0.1:${port}/page`, /loopback/],
    ['a name that resolves to loopback', () => `http://localhost:${port}/page`, /loopback/],
    ['an IPv6 loopback literal', () => `http://[::1]:${port}/page`, /loopback/],
    ['the cloud metadata endpoint', () => 'http://169.254.169.254/latest/meta-data/', /metadata/],
    ['a private address', () => 'http://10.0.0.1/', /private/],
  ])('answers a crawl of %s with a worker error, without fetching it', async (_what, target, kind) => {
    const before = hits;
    const res = await postJson(relay.baseUrl, '/api/crawl', { url: target() });
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('WORKER_ERROR');
    expect(res.json.error.message).toMatch(/^refused to crawl /);
    expect(res.json.error.message).toMatch(kind);
    expect(hits).toBe(before);
  });

  it('checks every redirect: one that leads inside is refused, one that stays on an allowed address is followed', async () => {
    const onlyTheSite = { allowPrivate: false, isAllowedAddress: (a: string) => a === '127.0.0.1' };
    const followed = await guardedGet(`http://127.0.0.1:${port}/to-page`, { ...onlyTheSite, signal: AbortSignal.timeout(2_000) });
    followed.response.resume();
    expect(followed.response.statusCode).toBe(200);
    expect(followed.url).toBe(`http://127.0.0.1:${port}/page`);

    const inside = guardedGet(`http://127.0.0.1:${port}/to-inside`, { ...onlyTheSite, signal: AbortSignal.timeout(2_000) });
    await expect(inside).rejects.toBeInstanceOf(RefusedAddressError);
    await expect(inside).rejects.toMatchObject({ host: '127.0.0.2', addressClass: 'loopback' });
  });

  it('connects to the address its own lookup checked when a name is allowed', async () => {
    const loopbackOnly = { allowPrivate: false, isAllowedAddress: (a: string) => a === '127.0.0.1' || a === '::1' };
    const res = await guardedGet(`http://localhost:${port}/page`, { ...loopbackOnly, signal: AbortSignal.timeout(2_000) });
    res.response.resume();
    expect(res.response.statusCode).toBe(200);
  });

  it('fetches such an address when CRAWLER_ALLOW_PRIVATE is set', async () => {
    const result = await crawlingHandler({ timeoutMs: 2_000, maxBytes: 1_000, allowPrivate: true })({
      body: { url: `http://127.0.0.1:${port}/to-page` },
      type: 'crawl',
      correlationId: 'x',
      headers: {},
    });
    expect(result).toMatchObject({ reply: { status: 200, title: 'inside', finalUrl: `http://127.0.0.1:${port}/page` } });
  });
});
