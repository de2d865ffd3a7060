import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningRelay, postJson, startRelay, uniqueQueues } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker, withChannel } from '../support/scripted-worker.ts';

describe('a request queue that does not exist (RABBITMQ_DECLARE_QUEUES=false)', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('no-route');
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    // Everything exists except the recipe request queue.
    await withChannel(url, async (channel) => {
      for (const queue of [queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE!, queues.AI_IMAGE_QUEUE_NAME!]) {
        await channel.assertQueue(queue, { durable: true });
      }
    });
    relay = await startRelay({ amqpUrl: url, env: { ...queues, RABBITMQ_DECLARE_QUEUES: 'false', AI_TIMEOUT_MS: '5000' } });
    worker = await startScriptedWorker(url, queues.AI_IMAGE_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay?.config.queues.reply ?? '']);
  });

  it('answers 503 NO_ROUTE with Retry-After at once, not a timeout', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'nowhere to go' });
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ error: { code: 'NO_ROUTE', message: expect.any(String), correlationId: res.headers.get('x-correlation-id') } });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(relay.relay.inFlight).toBe(0);
  });

  it('still serves the queues that exist, without declaring the missing one', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/image', { s3_url: 's3://bucket/cake.png' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ echo: { type: 'image_analysis', s3_url: 's3://bucket/cake.png' }, type: 'image_analysis' });
    const exists = await withChannel(url, (channel) => {
      // A passive declare of a missing queue closes the channel with 404: expected here.
      channel.on('error', () => {});
      return channel.checkQueue(queues.AI_QUEUE_NAME!).then(() => true, () => false);
    });
    expect(exists).toBe(false);
  });
});
