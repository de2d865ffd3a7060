import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getJson } from '../support/fake-relay.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const REQUESTS = 500;

function requestNumber(i: number): { path: string; body: Record<string, unknown>; type: string } {
  switch (i % 3) {
    case 0:
      return { path: '/api/ai/recipe', body: { recipe_text: `recipe #${i}` }, type: 'recipe_analysis' };
    case 1:
      return { path: '/api/ai/image', body: { s3_url: `s3://bucket/${i}.png`, description: `image #${i}` }, type: 'image_analysis' };
    default:
      return { path: '/api/crawl', body: { url: `https://example.com/${i}`, n: i }, type: 'crawl' };
  }
}

describe('correlation under load', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('load');
  let relay: RunningRelay;
  const workers: ScriptedWorker[] = [];

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: '30000', CRAWL_TIMEOUT_MS: '30000' } });
    for (const queue of [queues.AI_QUEUE_NAME!, queues.AI_IMAGE_QUEUE_NAME!, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!]) {
      workers.push(await startScriptedWorker(url, queue));
    }
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it(`answers ${REQUESTS} concurrent mixed requests each with its own reply`, async () => {
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, async (_, i) => {
        const request = requestNumber(i);
        return { i, request, res: await postJson(relay.baseUrl, request.path, request.body) };
      }),
    );
    const seconds = (performance.now() - started) / 1000;

    const published = new Map(workers.flatMap((w) => w.received).map((m) => [m.properties.correlationId as string, m]));
    for (const { request, res } of answers) {
      expect(res.status).toBe(200);
      const expectedEcho = request.type === 'crawl' ? request.body : { type: request.type, ...request.body };
      expect(res.json).toEqual({ echo: expectedEcho, type: request.type });
      // The reply came for the message published under this response's correlation id.
      const message = published.get(res.headers.get('x-correlation-id')!);
      expect(message).toBeDefined();
      expect(JSON.parse(message!.content.toString())).toEqual(expectedEcho);
    }
    expect(new Set(answers.map((a) => a.res.headers.get('x-correlation-id'))).size).toBe(REQUESTS);
    expect(relay.relay.inFlight).toBe(0);
    expect((await getJson(relay.baseUrl, '/debug/actors')).requests).toEqual([]);
    // A figure for the record, not a threshold.
    console.info(`load: ${REQUESTS} concurrent mixed requests in ${seconds.toFixed(2)} s (${Math.round(REQUESTS / seconds)} req/s)`);
  }, 60_000);
});
