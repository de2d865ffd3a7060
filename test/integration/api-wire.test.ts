import type { ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker } from '../support/scripted-worker.ts';

const AI_DEADLINE_MS = 4_000;
const CRAWL_DEADLINE_MS = 3_000;

describe('the AMQP messages a worker receives', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('wire');
  let relay: RunningRelay;
  const workers: Record<string, ScriptedWorker> = {};

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: String(AI_DEADLINE_MS), CRAWL_TIMEOUT_MS: String(CRAWL_DEADLINE_MS) } });
    workers.recipe = await startScriptedWorker(url, queues.AI_QUEUE_NAME!);
    workers.image = await startScriptedWorker(url, queues.AI_IMAGE_QUEUE_NAME!);
    workers.crawl = await startScriptedWorker(url, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!);
  });
  afterAll(async () => {
    for (const worker of Object.values(workers)) await worker.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  async function received(worker: ScriptedWorker, correlationId: string): Promise<ConsumeMessage> {
    await waitFor(() => worker.received.some((m) => m.properties.correlationId === correlationId), 5_000, `the worker to get ${correlationId}`);
    return worker.received.find((m) => m.properties.correlationId === correlationId)!;
  }

  function expectCommonProperties(message: ConsumeMessage, correlationId: string, type: string, deadlineMs: number, sentAt: number) {
    const p = message.properties;
    expect(p.correlationId).toBe(correlationId);
    expect(p.correlationId.startsWith(`${relay.config.instanceId}.`)).toBe(true);
    expect(p.contentType).toBe('application/json');
    expect(p.messageId).toEqual(expect.any(String));
    expect(p.appId).toEqual(expect.any(String));
    expect(p.type).toBe(type);
    expect(p.deliveryMode).toBe(2);
    expect(Math.abs(p.timestamp - sentAt / 1000)).toBeLessThanOrEqual(5);
    const expiration = Number(p.expiration);
    expect(Number.isInteger(expiration)).toBe(true);
    expect(expiration).toBeGreaterThan(0);
    expect(expiration).toBeLessThanOrEqual(deadlineMs);
    expect(message.fields.exchange).toBe('');
  }

  it('recipe: to the AI queue, reply to this instance, body with its type', async () => {
    const sentAt = Date.now();
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'flour, water', ignored: true });
    expect(res.status).toBe(200);
    const message = await received(workers.recipe!, res.headers.get('x-correlation-id')!);
    expectCommonProperties(message, res.headers.get('x-correlation-id')!, 'recipe_analysis', AI_DEADLINE_MS, sentAt);
    expect(message.fields.routingKey).toBe(queues.AI_QUEUE_NAME);
    expect(message.properties.replyTo).toBe(`amqp-relay.reply.${relay.config.instanceId}`);
    expect(JSON.parse(message.content.toString('utf8'))).toEqual({ type: 'recipe_analysis', recipe_text: 'flour, water' });
  });

  it('image: to the image queue, with the description only when given', async () => {
    const sentAt = Date.now();
    const withDescription = await postJson(relay.baseUrl, '/api/ai/image', { s3_url: 's3://bucket/a.png', description: 'a tart' });
    const without = await postJson(relay.baseUrl, '/api/ai/image', { s3_url: 'https://cdn.example.com/b.jpg' });
    const a = await received(workers.image!, withDescription.headers.get('x-correlation-id')!);
    const b = await received(workers.image!, without.headers.get('x-correlation-id')!);
    expectCommonProperties(a, withDescription.headers.get('x-correlation-id')!, 'image_analysis', AI_DEADLINE_MS, sentAt);
    expect(a.fields.routingKey).toBe(queues.AI_IMAGE_QUEUE_NAME);
    expect(a.properties.replyTo).toBe(`amqp-relay.reply.${relay.config.instanceId}`);
    expect(JSON.parse(a.content.toString())).toEqual({ type: 'image_analysis', s3_url: 's3://bucket/a.png', description: 'a tart' });
    expect(JSON.parse(b.content.toString())).toEqual({ type: 'image_analysis', s3_url: 'https://cdn.example.com/b.jpg' });
  });

  it('crawl: to the crawling request queue, reply to the crawling response queue, the client object as is', async () => {
    const sentAt = Date.now();
    const body = { url: 'https://example.com/page', depth: 2, options: { js: false }, tags: ['a', 'ü'] };
    const res = await postJson(relay.baseUrl, '/api/crawl', body, { 'x-timeout-ms': '2500' });
    expect(res.status).toBe(200);
    const message = await received(workers.crawl!, res.headers.get('x-correlation-id')!);
    expectCommonProperties(message, res.headers.get('x-correlation-id')!, 'crawl', 2_500, sentAt);
    expect(message.fields.routingKey).toBe(queues.RABBITMQ_CRAWLING_REQUEST_QUEUE);
    expect(message.properties.replyTo).toBe(queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE);
    expect(JSON.parse(message.content.toString('utf8'))).toEqual(body);
    expect(res.json).toEqual({ echo: body, type: 'crawl' });
  });

  it('ping: type ping with the client fields', async () => {
    const sentAt = Date.now();
    const res = await postJson(relay.baseUrl, '/api/crawl/ping', { from: 'test' });
    expect(res.status).toBe(202);
    const message = await received(workers.crawl!, res.json.correlationId);
    expectCommonProperties(message, res.json.correlationId, 'ping', CRAWL_DEADLINE_MS, sentAt);
    expect(message.properties.replyTo).toBe(queues.RABBITMQ_CRAWLING_RESPONSE_QUEUE);
    expect(JSON.parse(message.content.toString())).toEqual({ type: 'ping', from: 'test' });
  });

  it('gives every request its own correlation and message id', () => {
    const all = Object.values(workers).flatMap((w) => w.received);
    expect(new Set(all.map((m) => m.properties.correlationId)).size).toBe(all.length);
    expect(new Set(all.map((m) => m.properties.messageId)).size).toBe(all.length);
  });
});
