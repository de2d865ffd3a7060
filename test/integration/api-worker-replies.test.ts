import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { publishConfirmed } from '../support/fake-relay.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues, type Script, type ScriptedWorker, startScriptedWorker, withChannel } from '../support/scripted-worker.ts';

async function dropped(relay: RunningRelay, reason: string): Promise<number> {
  const metric = await relay.metrics.repliesDropped.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

/** The worker's answer is named by the request: recipe_text (AI) or url's path (crawl). */
function byRequest({ body }: { body: any }): Script {
  const what = String(body?.recipe_text ?? new URL(body?.url ?? 'http://x/ok').pathname.slice(1));
  switch (what) {
    case 'error':
      return { kind: 'error', message: 'the oven is broken' };
    case 'error-without-message':
      return { kind: 'raw', content: Buffer.from('{"detail":1}'), headers: { 'x-status': 'error' } };
    case 'not-json':
      return { kind: 'raw', content: Buffer.from('<html>oops</html>') };
    case 'not-utf8':
      return { kind: 'raw', content: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) };
    case 'duplicate':
      return { kind: 'duplicate', first: { answer: 'first' }, second: { answer: 'second' } };
    default:
      return { kind: 'reply', body: { ok: what } };
  }
}

describe('what a worker replies becomes the answer', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('replies');
  let relay: RunningRelay;
  const workers: ScriptedWorker[] = [];

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: '3000', CRAWL_TIMEOUT_MS: '3000' } });
    workers.push(await startScriptedWorker(url, queues.AI_QUEUE_NAME!, byRequest));
    workers.push(await startScriptedWorker(url, queues.RABBITMQ_CRAWLING_REQUEST_QUEUE!, byRequest));
  });
  afterAll(async () => {
    for (const worker of workers) await worker.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  const expectError = (res: Awaited<ReturnType<typeof postJson>>, status: number, code: string) => {
    expect(res.status).toBe(status);
    expect(res.json).toEqual({ error: { code, message: expect.any(String), correlationId: res.headers.get('x-correlation-id') } });
  };

  it('answers 502 WORKER_ERROR with the worker message when the reply has x-status: error', async () => {
    const ai = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'error' });
    expectError(ai, 502, 'WORKER_ERROR');
    expect(ai.json.error.message).toBe('the oven is broken');
    const crawl = await postJson(relay.baseUrl, '/api/crawl', { url: 'http://example.com/error' });
    expectError(crawl, 502, 'WORKER_ERROR');
    expect(crawl.json.error.message).toBe('the oven is broken');
    expectError(await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'error-without-message' }), 502, 'WORKER_ERROR');
  });

  it('answers 502 BAD_REPLY for a reply that is not JSON or not UTF-8', async () => {
    expectError(await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'not-json' }), 502, 'BAD_REPLY');
    expectError(await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'not-utf8' }), 502, 'BAD_REPLY');
    expectError(await postJson(relay.baseUrl, '/api/crawl', { url: 'http://example.com/not-json' }), 502, 'BAD_REPLY');
  });

  it('takes the first of two replies and counts the second as a duplicate', async () => {
    const before = await dropped(relay, 'duplicate');
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'duplicate' });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ answer: 'first' });
    await waitFor(async () => (await dropped(relay, 'duplicate')) === before + 1, 5_000, 'the duplicate to be counted');
  });

  it('acknowledges, counts and drops a reply with an unknown correlation id, and one with none as unforwardable', async () => {
    const before = await dropped(relay, 'unknown');
    const unforwardableBefore = await dropped(relay, 'unforwardable');
    const reply = relay.config.queues.reply;
    await publishConfirmed(url, reply, '{"nobody":"asked"}', { correlationId: `${relay.config.instanceId}.no-such-request` });
    await publishConfirmed(url, reply, '{"no":"id"}');
    await waitFor(async () => (await dropped(relay, 'unknown')) === before + 1, 5_000, 'the unknown reply to be counted');
    await waitFor(async () => (await dropped(relay, 'unforwardable')) === unforwardableBefore + 1, 5_000, 'the reply without an id to be counted');
    await waitFor(
      () => withChannel(url, async (channel) => (await channel.checkQueue(reply)).messageCount === 0),
      5_000,
      'the reply queue to be empty',
    );
    // And the relay still answers.
    expect((await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'still-here' })).json).toEqual({ ok: 'still-here' });
  });
});
