import { newCorrelationId } from '../../src/requests/correlation-id.ts';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type HoldingWorker, startHoldingWorker } from '../../bench/holding-worker.ts';
import type { RequestOutcome } from '../../src/actors/request/outcome.ts';
import { deleteQueues } from '../support/scripted-worker.ts';
import { postJson, type RunningRelay, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { bodyOfFields } from '../../src/requests/client-body.ts';

/** Resolves with the promise's value, or rejects naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)));
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

describe('many requests in flight at once', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('inflight');
  let relay: RunningRelay;
  let worker: HoldingWorker;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: queues });
    worker = await startHoldingWorker(url, queues.AI_QUEUE_NAME!);
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  it('completes 2,000 held requests, each with its own reply', async () => {
    const count = 2_000;
    const outcomes: Promise<RequestOutcome>[] = [];
    for (let i = 0; i < count; i++) outcomes.push(relay.relay.submit({ kind: 'recipe_analysis', body: bodyOfFields({ recipe_text: `recipe ${i}` }), correlationId: newCorrelationId(relay.config.instanceId), acceptedAt: Date.now() }));

    // All of them reach the worker before any is answered: they are all in flight together.
    await waitFor(() => worker.held === count, 30_000, `${count} requests held by the worker`);
    expect(relay.relay.inFlight).toBe(count);

    expect(await worker.release()).toBe(count);
    const results = await within(Promise.all(outcomes), 30_000, `${count} outcomes`);
    const wrong = results.filter((outcome, i) => !outcome.ok || (JSON.parse(outcome.reply) as { recipe_text?: unknown }).recipe_text !== `recipe ${i}`);
    expect(wrong).toEqual([]);
    expect(relay.relay.inFlight).toBe(0);
  });

  it('answers 300 concurrent HTTP clients, each with its own reply, once the worker lets them go', async () => {
    const count = 300;
    const responses = Array.from({ length: count }, (_, i) => postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: `http ${i}` }));
    await waitFor(() => worker.held === count, 30_000, `${count} HTTP requests held by the worker`);
    await worker.release();
    const answers = await within(Promise.all(responses), 30_000, `${count} HTTP answers`);
    const wrong = answers.filter((res, i) => res.status !== 200 || res.json?.recipe_text !== `http ${i}`);
    expect(wrong).toEqual([]);
    await waitFor(() => relay.relay.inFlight === 0, 5_000, 'no request in flight');
  });
});
