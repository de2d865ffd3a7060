import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type HoldingWorker, startHoldingWorker } from '../../bench/holding-worker.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { deleteQueues } from '../support/scripted-worker.ts';

type Answer = Awaited<ReturnType<typeof postJson>>;

/** relay_requests_total{route, outcome} as /metrics shows it (0 when the series is absent). */
async function requestsCounted(relay: RunningRelay, route: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${relay.baseUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith('relay_requests_total{')) continue;
    if (line.includes(`route="${route}"`) && line.includes(`outcome="${outcome}"`)) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

function expectOverloaded(res: Answer): void {
  expect(res.status).toBe(503);
  expect(res.json).toEqual({ error: { code: 'OVERLOADED', message: expect.any(String), correlationId: res.headers.get('x-correlation-id') } });
  expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
}

/** Posts a recipe and, once the holding worker has it, releases it: the answer the relay then gives. */
async function recipeThroughHolder(relay: RunningRelay, worker: HoldingWorker, recipe: string): Promise<Answer> {
  const answer = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: recipe });
  await waitFor(() => worker.held === 1, 5_000, 'the worker to hold the request');
  await worker.release();
  return answer;
}

describe('admission: beyond MAX_IN_FLIGHT_REQUESTS, 503 OVERLOADED at once', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('admission-count');
  let relay: RunningRelay;
  let worker: HoldingWorker;

  beforeAll(async () => {
    worker = await startHoldingWorker(url, queues.AI_QUEUE_NAME!);
    // Deadlines far beyond the test's own timeout: a request that waited for one would fail the test.
    relay = await startRelay({ amqpUrl: url, env: { ...queues, MAX_IN_FLIGHT_REQUESTS: '5', AI_TIMEOUT_MS: '120000', CRAWL_TIMEOUT_MS: '120000' } });
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('refuses the sixth request, an async crawl and a ping while five are held, counts them, and accepts again once they are answered', async () => {
    const before = {
      recipe: await requestsCounted(relay, '/api/ai/recipe', 'OVERLOADED'),
      crawl: await requestsCounted(relay, '/api/crawl', 'OVERLOADED'),
      ping: await requestsCounted(relay, '/api/crawl/ping', 'OVERLOADED'),
    };
    const held = Array.from({ length: 5 }, (_, i) => postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: `held ${i}` }));
    await waitFor(() => worker.held === 5, 10_000, 'the worker to hold five requests');

    expectOverloaded(await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'sixth' }));
    expectOverloaded(await postJson(relay.baseUrl, '/api/crawl', { url: 'https://example.com/' }, { prefer: 'respond-async' }));
    expectOverloaded(await postJson(relay.baseUrl, '/api/crawl/ping', { note: 'refused' }));
    expect(worker.held).toBe(5);
    expect(await requestsCounted(relay, '/api/ai/recipe', 'OVERLOADED')).toBe(before.recipe + 1);
    expect(await requestsCounted(relay, '/api/crawl', 'OVERLOADED')).toBe(before.crawl + 1);
    expect(await requestsCounted(relay, '/api/crawl/ping', 'OVERLOADED')).toBe(before.ping + 1);

    expect(await worker.release()).toBe(5);
    const answers = await Promise.all(held);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.json.recipe_text)).toEqual(['held 0', 'held 1', 'held 2', 'held 3', 'held 4']);

    const after = await recipeThroughHolder(relay, worker, 'after release');
    expect(after.status).toBe(200);
    expect(after.json.recipe_text).toBe('after release');
  });
});

describe('admission: beyond MAX_IN_FLIGHT_BYTES, 503 OVERLOADED at once', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('admission-bytes');
  let relay: RunningRelay;
  let worker: HoldingWorker;

  beforeAll(async () => {
    worker = await startHoldingWorker(url, queues.AI_QUEUE_NAME!);
    relay = await startRelay({ amqpUrl: url, env: { ...queues, MAX_IN_FLIGHT_BYTES: '2000', AI_TIMEOUT_MS: '120000' } });
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('refuses a body that would pass the byte budget, still accepts a small one, and accepts the big one once the budget is free', async () => {
    const before = await requestsCounted(relay, '/api/ai/recipe', 'OVERLOADED');
    const big = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'a'.repeat(1_200) });
    await waitFor(() => worker.held === 1, 5_000, 'the worker to hold the big request');

    expectOverloaded(await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'b'.repeat(1_000) }));
    expect(await requestsCounted(relay, '/api/ai/recipe', 'OVERLOADED')).toBe(before + 1);
    // Only bytes are short: a small request still fits beside the big one.
    const small = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'small' });
    await waitFor(() => worker.held === 2, 5_000, 'the worker to hold the small request too');

    expect(await worker.release()).toBe(2);
    expect((await big).status).toBe(200);
    expect((await small).json.recipe_text).toBe('small');

    const again = await recipeThroughHolder(relay, worker, 'b'.repeat(1_000));
    expect(again.status).toBe(200);
    expect(again.json.recipe_text).toBe('b'.repeat(1_000));
  });
});
