import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues } from '../support/relay-harness.ts';

describe('a recipe request end to end', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('smoke');
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: queues });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('answers 200 with the worker reply and the correlation id it published with', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'two eggs' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ echo: { type: 'recipe_analysis', recipe_text: 'two eggs' }, type: 'recipe_analysis' });
    const published = worker.received.at(-1)!;
    expect(res.headers.get('x-correlation-id')).toBe(published.properties.correlationId);
    expect(published.properties.replyTo).toBe(relay.config.queues.reply);
    expect(published.properties.deliveryMode).toBe(2);
  });
});
