import { describe, expect, it } from 'vitest';
import { RelayMetrics } from '../../src/metrics.ts';

/** The value of one sample line of the Prometheus text, or undefined when it is absent. */
async function sample(metrics: RelayMetrics, line: string): Promise<number | undefined> {
  const text = await metrics.registry.metrics();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('relay metrics', () => {
  it('counts a reconnect only when a connection that was up comes back', async () => {
    const metrics = new RelayMetrics({ collectDefault: false });
    const broker = metrics.brokerObserver();
    for (const state of ['connecting', 'reconnecting', 'connecting', 'connected'] as const) broker.stateChanged!(state);
    expect(await sample(metrics, 'relay_broker_reconnects_total')).toBe(0);
    expect(await sample(metrics, 'relay_broker_connected')).toBe(1);
    for (const state of ['reconnecting', 'connecting', 'connected', 'blocked', 'connected'] as const) broker.stateChanged!(state);
    expect(await sample(metrics, 'relay_broker_reconnects_total')).toBe(1);
  });

  it('shows the broker state as one gauge per state, 1 for the current one', async () => {
    const metrics = new RelayMetrics({ collectDefault: false });
    const broker = metrics.brokerObserver();
    broker.stateChanged!('connecting');
    broker.stateChanged!('connected');
    broker.stateChanged!('reconnecting');
    expect(await sample(metrics, 'relay_broker_state{state="connected"}')).toBe(0);
    expect(await sample(metrics, 'relay_broker_state{state="reconnecting"}')).toBe(1);
    expect(await sample(metrics, 'relay_broker_connected')).toBe(0);
  });

  it('exports every drop reason and publish outcome from the start, then counts them', async () => {
    const metrics = new RelayMetrics({ collectDefault: false });
    for (const reason of ['unknown', 'late', 'duplicate', 'orphaned']) {
      expect(await sample(metrics, `relay_replies_dropped_total{reason="${reason}"}`)).toBe(0);
    }
    const broker = metrics.brokerObserver();
    broker.replyDropped!('duplicate');
    broker.published!('confirmed');
    broker.published!('confirmed');
    broker.published!('returned');
    expect(await sample(metrics, 'relay_replies_dropped_total{reason="duplicate"}')).toBe(1);
    expect(await sample(metrics, 'relay_publishes_total{outcome="confirmed"}')).toBe(2);
    expect(await sample(metrics, 'relay_publishes_total{outcome="returned"}')).toBe(1);
    expect(await sample(metrics, 'relay_publishes_total{outcome="nacked"}')).toBe(0);
  });

  it('labels requests by route template and outcome, a timeout among them', async () => {
    const metrics = new RelayMetrics({ collectDefault: false });
    metrics.observeRequest('/api/ai/recipe', 'ok', 0.004);
    metrics.observeRequest('/api/ai/recipe', 'TIMEOUT', 2);
    expect(await sample(metrics, 'relay_requests_total{route="/api/ai/recipe",outcome="ok"}')).toBe(1);
    expect(await sample(metrics, 'relay_request_duration_seconds_bucket{le="0.005",route="/api/ai/recipe",outcome="ok"}')).toBe(1);
    expect(await sample(metrics, 'relay_request_duration_seconds_count{route="/api/ai/recipe",outcome="TIMEOUT"}')).toBe(1);
    expect(await sample(metrics, 'relay_requests_total{route="/api/ai/recipe",outcome="TIMEOUT"}')).toBe(1);
  });

  it('counts the final outcomes of asynchronous requests apart from their HTTP answers', async () => {
    const metrics = new RelayMetrics({ collectDefault: false });
    metrics.observeAsyncResult('/api/crawl/ping', 'ok');
    metrics.observeAsyncResult('/api/crawl/ping', 'TIMEOUT');
    metrics.observeAsyncResult('/api/crawl/ping', 'TIMEOUT');
    expect(await sample(metrics, 'relay_async_results_total{route="/api/crawl/ping",outcome="ok"}')).toBe(1);
    expect(await sample(metrics, 'relay_async_results_total{route="/api/crawl/ping",outcome="TIMEOUT"}')).toBe(2);
    expect(await sample(metrics, 'relay_requests_total{route="/api/crawl/ping",outcome="TIMEOUT"}')).toBeUndefined();
  });

  it('reads the outbox size when scraped, and includes the default process metrics', async () => {
    const metrics = new RelayMetrics();
    metrics.outboxSize = () => 7;
    expect(await sample(metrics, 'relay_outbox_size')).toBe(7);
    expect(await sample(metrics, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
  });
});
