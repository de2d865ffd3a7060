import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { aiHandler } from '../../src/workers/ai.ts';
import { analyzeRecipe } from '../../src/workers/analyzers.ts';
import { crawlingHandler } from '../../src/workers/crawler.ts';
import { startWorker } from '../../src/workers/runtime.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues } from '../support/scripted-worker.ts';

describe('the relay with the reference workers', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('refworkers');
  const logger = pino({ level: 'silent' });
  let relay: RunningRelay;
  let site: Server;
  let siteUrl: string;
  const workers: Array<{ stop(): Promise<void> }> = [];

  beforeAll(async () => {
    site = createServer((req, res) => {
      if (req.url === '/page') {
        res.setHeader('content-type', 'text/html; charset=utf-8');
        res.end('<html><head><title> The  Test Page </title></head><body>hello</body></html>');
      } else {
        res.statusCode = 404;
        res.end('nope');
      }
    }).listen(0, '127.0.0.1');
    await once(site, 'listening');
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    relay = await startRelay({ amqpUrl: url, env: { ...queues, CRAWL_TIMEOUT_MS: '5000', AI_TIMEOUT_MS: '5000' } });
    const queue = (name: string) => ({ name, durable: true, declare: true });
    workers.push(
      startWorker({ name: 'crawler', urls: [url], queues: [queue(queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!)], handle: crawlingHandler({ timeoutMs: 2_000, maxBytes: 1_000, allowPrivate: true }), logger }),
      startWorker({ name: 'ai', urls: [url], queues: [queue(queues.AI_QUEUE_NAME!), queue(queues.AI_IMAGE_QUEUE_NAME!)], handle: aiHandler, logger }),
    );
  });

  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await relay?.stop();
    site?.close();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('crawls a page synchronously and reports its title, status and size', async () => {
    const res = await postJson(relay.baseUrl, '/api/crawl', { url: `${siteUrl}/page`, note: 'passes through' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ url: `${siteUrl}/page`, status: 200, title: 'The Test Page', contentType: 'text/html; charset=utf-8', truncated: false });
    expect(res.json.bytes).toBeGreaterThan(50);
  });

  it('reports a page it cannot fetch as a worker error (502)', async () => {
    const res = await postJson(relay.baseUrl, '/api/crawl', { url: 'http://127.0.0.1:1/' });
    expect(res.status).toBe(502);
    expect(res.json.error.code).toBe('WORKER_ERROR');
    expect(res.json.error.message).toMatch(/fetch failed/);
  });

  it('answers a recipe with the analyzer result for exactly that text', async () => {
    const text = '3 eggs, 200 g sugar. Beat 5 min.';
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: text });
    expect(res.status).toBe(200);
    expect(res.json).toEqual(JSON.parse(JSON.stringify(analyzeRecipe(text))));
  });

  it('answers an image analysis', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/image', { s3_url: 's3://bucket/food/pizza.png', description: 'pizza margherita' });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ type: 'image_analysis', format: 'png', labels: expect.arrayContaining(['pizza', 'margherita']) });
  });

  it('makes an async crawl and a ping readable at their Location', async () => {
    for (const [path, body] of [['/api/crawl', { url: `${siteUrl}/page` }], ['/api/crawl/ping', {}]] as const) {
      const accepted = await postJson(relay.baseUrl, path, body, { prefer: 'respond-async' });
      expect(accepted.status).toBe(202);
      const location = accepted.headers.get('location')!;
      let result: any;
      await waitFor(async () => {
        result = await (await fetch(`${relay.baseUrl}${location}`)).json();
        return result.status !== 'pending';
      }, 5_000, `${path} to finish`);
      expect(result.status).toBe('done');
      expect(result.result).toMatchObject(path === '/api/crawl' ? { title: 'The Test Page' } : { type: 'pong' });
    }
  });
});
