import type { ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';
import { getJson, publishConfirmed } from '../support/fake-relay.ts';
import { deleteQueues, type ScriptedWorker, startScriptedWorker, withChannel } from '../support/scripted-worker.ts';

const AI_DEADLINE_MS = 1_000;

async function dropped(relay: RunningRelay, reason: string): Promise<number> {
  const metric = await relay.metrics.repliesDropped.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe('a worker that never replies', () => {
  const url = inject('amqpUrl');
  const queues = uniqueQueues('timeout');
  let relay: RunningRelay;
  let worker: ScriptedWorker;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: url, env: { ...queues, AI_TIMEOUT_MS: String(AI_DEADLINE_MS) } });
    worker = await startScriptedWorker(url, queues.AI_QUEUE_NAME!, () => ({ kind: 'silent' }));
  });
  afterAll(async () => {
    await worker?.stop();
    await relay?.stop();
    await deleteQueues(url, [...Object.values(queues), relay.config.queues.reply]);
  });

  /** The message a request went out as. A 504 comes from the relay's own timer: the broker may deliver the message to the worker after it. */
  const publishedAs = async (res: Awaited<ReturnType<typeof postJson>>): Promise<ConsumeMessage> => {
    const correlationId = res.headers.get('x-correlation-id');
    let found: ConsumeMessage | undefined;
    await waitFor(() => (found = worker.received.find((m) => m.properties.correlationId === correlationId)) !== undefined, 5_000, `the worker to get ${correlationId}`);
    return found!;
  };

  it('answers 504 TIMEOUT within the deadline plus one second and leaves no request actor behind', async () => {
    const started = Date.now();
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'nobody answers' });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(504);
    expect(res.json).toEqual({ error: { code: 'TIMEOUT', message: expect.any(String), correlationId: res.headers.get('x-correlation-id') } });
    expect(elapsed).toBeLessThan(AI_DEADLINE_MS + 1_000);
    expect(relay.relay.inFlight).toBe(0);
    const actors = await getJson(relay.baseUrl, `/debug/actors`);
    expect(actors.requests).toEqual([]);
    expect(actors.broker.awaitingReply).toBe(0);
    const metrics = await (await fetch(`${relay.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/relay_requests_total\{route="\/api\/ai\/recipe",outcome="TIMEOUT"\} [1-9]/);
    expect(metrics).toMatch(/relay_request_duration_seconds_count\{route="\/api\/ai\/recipe",outcome="TIMEOUT"\} [1-9]/);
    expect(metrics).toMatch(/relay_requests_in_flight 0/);
  });

  it('shortens the deadline with X-Timeout-Ms, and caps a longer one at the route deadline', async () => {
    const short = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'short' }, { 'x-timeout-ms': '200' });
    expect(short.status).toBe(504);
    const shortMessage = await publishedAs(short);
    expect(Number(shortMessage.properties.expiration)).toBeLessThanOrEqual(200);

    const capped = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'capped' }, { 'x-timeout-ms': '999999' });
    expect(capped.status).toBe(504);
    const cappedMessage = await publishedAs(capped);
    expect(Number(cappedMessage.properties.expiration)).toBeLessThanOrEqual(AI_DEADLINE_MS);
    expect(Number(cappedMessage.properties.expiration)).toBeGreaterThan(200);
  });

  it('acknowledges and counts a reply that comes after the timeout as late', async () => {
    const res = await postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'too slow' }, { 'x-timeout-ms': '150' });
    expect(res.status).toBe(504);
    const message = await publishedAs(res);
    const lateBefore = await dropped(relay, 'late');
    await publishConfirmed(url, message.properties.replyTo, '{"too":"late"}', { correlationId: message.properties.correlationId });
    await waitFor(async () => (await dropped(relay, 'late')) > lateBefore, 5_000, 'the late reply to be counted');
    await waitFor(
      () => withChannel(url, async (channel) => (await channel.checkQueue(relay.config.queues.reply)).messageCount === 0),
      5_000,
      'the reply queue to be empty',
    );
    expect(relay.relay.inFlight).toBe(0);
  });
});
