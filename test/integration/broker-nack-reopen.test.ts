import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker, withChannel } from '../support/scripted-worker.ts';

/**
 * With quorum queues, a channel that keeps nacking the publishes to one of its queues is reopened,
 * even while the publishes to its other queues are confirmed in between (RabbitMQ 3.10 keeps nacking
 * a channel that published to a quorum queue without a leader; a full `reject-publish` queue stands
 * in for it). With classic queues it is never reopened for nacks: test/integration/api-nack.test.ts.
 */
describe('a channel nacked for one queue while another queue is confirmed', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('nack-reopen');
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    await withChannel(url, async (channel) => {
      // Every publish to the recipe queue is refused; the image queue takes everything.
      await channel.assertQueue(queues.AI_QUEUE_NAME, { durable: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
      for (const name of [queues.AI_IMAGE_QUEUE_NAME!, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE!]) {
        await channel.assertQueue(name, { durable: true });
      }
    });
    worker = await startScriptedWorker(url, queues.AI_IMAGE_QUEUE_NAME!);
    relay = await startRelay({ amqpUrl: url, env: { ...queues, RABBITMQ_DECLARE_QUEUES: 'false', RABBITMQ_QUEUE_TYPE: 'quorum' } });
  });

  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('reopens the channel after ten nacks in a row to one queue, and keeps answering the other queue', async () => {
    const recipe: number[] = [];
    const image: number[] = [];
    for (let i = 0; i < 12; i++) {
      recipe.push((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: `refused ${i}` })).status);
      image.push((await postJson(relay.baseUrl, '/api/ai/image', { s3_url: `s3://bucket/${i}.png` })).status);
    }
    expect(recipe).toEqual(recipe.map(() => 503));
    expect(image).toEqual(image.map(() => 200));
    await waitFor(() => (relay.relay.broker.getSnapshot().context.epochs.get('ai') ?? 0) >= 1, 5_000, 'the AI channel to be reopened');
    expect((await postJson(relay.baseUrl, '/api/ai/image', { s3_url: 's3://bucket/after.png' })).status).toBe(200);
  });
});
