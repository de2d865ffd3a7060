import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson } from '../support/fake-relay.ts';
import { type RunningRelay, postJson, startRelay, uniqueQueues, waitFor } from '../support/relay-harness.ts';

/** Nothing listens on port 1: the relay never connects, and the system broker is not touched. */
const DEAD_BROKER = 'amqp://guest:guest@127.0.0.1:1/';
const DEADLINE_MS = 800;

describe('a relay without a broker', () => {
  let relay: RunningRelay;
  let bounded: RunningRelay;

  beforeAll(async () => {
    relay = await startRelay({ amqpUrl: DEAD_BROKER, waitForBroker: false, env: { ...uniqueQueues('unavailable'), AI_TIMEOUT_MS: String(DEADLINE_MS), CRAWL_TIMEOUT_MS: String(DEADLINE_MS) } });
    bounded = await startRelay({
      amqpUrl: DEAD_BROKER,
      waitForBroker: false,
      env: { ...uniqueQueues('unavailable-bounded'), AI_TIMEOUT_MS: '1500', MAX_BUFFERED_REQUESTS: '1' },
    });
  });
  afterAll(async () => {
    await relay?.stop();
    await bounded?.stop();
  });

  it('keeps a request in the outbox, then answers 503 BROKER_UNAVAILABLE with Retry-After at its deadline', async () => {
    const started = Date.now();
    const pending = postJson(relay.baseUrl, '/api/ai/recipe', { recipe_text: 'waiting' });
    await waitFor(() => relay.relay.outbox === 1, 2_000, 'the request to wait in the outbox');
    const actors = await getJson(relay.baseUrl, `/debug/actors`);
    expect(actors.broker.outbox).toBe(1);
    expect(actors.broker.state).not.toBe('connected');
    expect(actors.requests).toHaveLength(1);
    expect(actors.requests[0]).toMatchObject({ kind: 'recipe_analysis' });

    const res = await pending;
    expect(Date.now() - started).toBeLessThan(DEADLINE_MS + 1_000);
    expect(res.status).toBe(503);
    expect(res.json).toEqual({ error: { code: 'BROKER_UNAVAILABLE', message: expect.any(String), correlationId: res.headers.get('x-correlation-id') } });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(relay.relay.outbox).toBe(0);
    expect(relay.relay.inFlight).toBe(0);
  });

  it('fails an async crawl the same way, readable as a failed result', async () => {
    const accepted = await postJson(relay.baseUrl, '/api/crawl', { url: 'http://example.com/' }, { prefer: 'respond-async' });
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location')!;
    expect((await getJson(relay.baseUrl, `${location}`)).status).toBe('pending');
    let result: any;
    await waitFor(async () => (result = await getJson(relay.baseUrl, `${location}`)).status !== 'pending', 3_000, 'the async crawl to fail');
    expect(result).toEqual({ status: 'failed', error: { code: 'BROKER_UNAVAILABLE', message: expect.any(String) } });
  });

  it('says not ready on /readyz with the broker state', async () => {
    const res = await fetch(`${relay.baseUrl}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not_ready', broker: expect.not.stringMatching(/^connected$/), reason: expect.any(String) });
  });

  it('answers 503 at once when the outbox is full (MAX_BUFFERED_REQUESTS=1)', async () => {
    const first = postJson(bounded.baseUrl, '/api/ai/recipe', { recipe_text: 'first' });
    await waitFor(() => bounded.relay.outbox === 1, 2_000, 'the first request to fill the outbox');
    const second = await postJson(bounded.baseUrl, '/api/ai/recipe', { recipe_text: 'second' });
    expect(second.status).toBe(503);
    expect(second.json.error.code).toBe('BROKER_UNAVAILABLE');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    // The first one was still waiting when the second was refused.
    expect(bounded.relay.outbox).toBe(1);
    const res = await first;
    expect(res.status).toBe(503);
    expect(res.json.error.code).toBe('BROKER_UNAVAILABLE');
  });
});
