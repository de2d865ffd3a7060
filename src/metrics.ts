import client from 'prom-client';
import type { BrokerObserver, BrokerStateName } from './actors/broker/broker.machine.ts';
import { DROP_REASONS } from './actors/broker/pending.ts';

/** Every Prometheus metric of the relay, in one registry. */
export class RelayMetrics {
  readonly registry = new client.Registry();

  readonly requests = new client.Counter({
    name: 'relay_requests_total',
    help: 'HTTP API requests by route template and outcome (ok or the error code)',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly duration = new client.Histogram({
    name: 'relay_request_duration_seconds',
    help: 'Time from receiving an API request to answering it',
    labelNames: ['route', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 100],
    registers: [this.registry],
  });
  /** Read when /metrics is scraped: nothing is counted per request. */
  inFlightCount: () => number = () => 0;
  inFlightBytes: () => number = () => 0;
  outboxSize: () => number = () => 0;
  readonly inFlight = this.gaugeReadAtScrape('relay_requests_in_flight', 'Request actors alive (published or waiting to be)', () => this.inFlightCount());
  readonly inFlightBytesGauge = this.gaugeReadAtScrape(
    'relay_in_flight_bytes',
    'Bytes of message bodies held by requests in flight (bounded by MAX_IN_FLIGHT_BYTES)',
    () => this.inFlightBytes(),
  );
  readonly outbox = this.gaugeReadAtScrape('relay_outbox_size', 'Requests waiting for a broker connection to be published', () => this.outboxSize());
  readonly connected = new client.Gauge({
    name: 'relay_broker_connected',
    help: '1 while the broker connection is up and consuming',
    registers: [this.registry],
  });
  readonly reconnects = new client.Counter({
    name: 'relay_broker_reconnects_total',
    help: 'Broker connections lost and re-established',
    registers: [this.registry],
  });
  readonly brokerState = new client.Gauge({
    name: 'relay_broker_state',
    help: '1 for the broker actor state it is in',
    labelNames: ['state'] as const,
    registers: [this.registry],
  });
  readonly repliesDropped = new client.Counter({
    name: 'relay_replies_dropped_total',
    help: 'Replies acknowledged and dropped: unknown, late, duplicate, orphaned (forward whose owner is gone) or unforwardable',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly publishes = new client.Counter({
    name: 'relay_publishes_total',
    help: 'Publishes settled by the broker: confirmed, nacked or returned (unroutable)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly lookups = new client.Counter({
    name: 'relay_lookups_total',
    help: 'Async results asked of their owning instance through the broker, by outcome: found, unknown, ownerGone, noAnswer, badAnswer, notAnInstance, ownId, or the error code',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  /**
   * relay_requests_total counts each request once, by its HTTP answer; an asynchronous request's
   * answer is its 202, so its final outcome is counted here, once, and in no other series.
   */
  readonly asyncResults = new client.Counter({
    name: 'relay_async_results_total',
    help: 'Final outcomes of requests answered 202 (ok or the error code, e.g. TIMEOUT), by route template',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(options: { collectDefault?: boolean } = {}) {
    if (options.collectDefault ?? true) client.collectDefaultMetrics({ register: this.registry });
    for (const reason of DROP_REASONS) this.repliesDropped.inc({ reason }, 0);
    for (const outcome of ['confirmed', 'nacked', 'returned']) this.publishes.inc({ outcome }, 0);
  }

  private gaugeReadAtScrape(name: string, help: string, read: () => number): client.Gauge {
    const gauge: client.Gauge = new client.Gauge({ name, help, registers: [this.registry], collect: () => gauge.set(read()) });
    return gauge;
  }

  brokerObserver(): BrokerObserver {
    let last: BrokerStateName | undefined;
    let everConnected = false;
    return {
      stateChanged: (state) => {
        if (last) this.brokerState.set({ state: last }, 0);
        this.brokerState.set({ state }, 1);
        this.connected.set(state === 'connected' ? 1 : 0);
        if (state === 'connected') {
          if (everConnected && last === 'connecting') this.reconnects.inc();
          everConnected = true;
        }
        last = state;
      },
      replyDropped: (reason) => this.repliesDropped.inc({ reason }),
      published: (outcome) => this.publishes.inc({ outcome }),
    };
  }

  /** The labelled children of one (route, outcome), looked up once: prom-client hashes the labels on every call otherwise. */
  private readonly byRouteOutcome = new Map<string, { readonly count: client.Counter.Internal; readonly duration: client.Histogram.Internal<string> }>();

  observeRequest(route: string, outcome: string, seconds: number): void {
    const key = `${route} ${outcome}`;
    let children = this.byRouteOutcome.get(key);
    if (!children) {
      children = {
        count: this.requests.labels({ route, outcome }),
        duration: this.duration.labels({ route, outcome }),
      };
      this.byRouteOutcome.set(key, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }

  observeAsyncResult(route: string, outcome: string): void {
    this.asyncResults.inc({ route, outcome });
  }
}
