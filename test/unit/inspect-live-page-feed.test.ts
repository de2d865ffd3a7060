import { pino } from 'pino';
import { createActor, fromCallback } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerMachine } from '../../src/actors/broker/broker.machine.ts';
import type { SessionEvent } from '../../src/actors/broker/session-events.ts';
import { type LiveMessage, LiveInspectionHub, requestView } from '../../src/actors/live-inspection.ts';
import { loadConfig } from '../../src/config/load-config.ts';
import { startRequestActor } from './request-broker-double.ts';
import { bodyOfFields } from '../../src/requests/client-body.ts';

const config = loadConfig({ RELAY_INSTANCE_ID: 'unit' });
let unsubscribers: (() => void)[] = [];
afterEach(() => {
  unsubscribers.forEach((u) => u());
  unsubscribers = [];
});

function watch(hub: LiveInspectionHub): LiveMessage[] {
  const messages: LiveMessage[] = [];
  unsubscribers.push(hub.subscribe((m) => messages.push(m)));
  return messages;
}

function startRequest(hub: LiveInspectionHub, id: string, acceptedAt = Date.now()) {
  return startRequestActor(config, { correlationId: `unit.${id}`, acceptedAt, kind: 'crawl', body: bodyOfFields({ url: 'https://example.com' }), inspect: hub.observe });
}

/** The broker actor on a scripted session: it connects at once; `drop()` closes the current connection. */
function startBroker(hub: LiveInspectionHub) {
  const sessions: { sendBack: (e: SessionEvent) => void; generation: number }[] = [];
  const machine = brokerMachine.provide({
    actors: {
      amqpSession: fromCallback(({ sendBack, input }: { sendBack: (e: SessionEvent) => void; input: { generation: number } }) => {
        sessions.push({ sendBack, generation: input.generation });
        sendBack({ type: 'amqp.ready', host: 'fake', urlIndex: 0, generation: input.generation });
        return () => {};
      }) as never,
    },
  });
  const broker = createActor(machine, {
    input: {
      urls: ['amqp://fake'],
      heartbeatSeconds: 10,
      topology: { channels: [] },
      reconnect: { baseMs: 1, maxMs: 2 },
      maxBuffered: 10,
      connectionName: 'unit',
      logger: pino({ level: 'silent' }),
    },
    inspect: hub.observe,
  }).start();
  const drop = (reason: string) => {
    const current = sessions.at(-1)!;
    current.sendBack({ type: 'amqp.closed', reason, generation: current.generation });
  };
  return { broker, drop, sessions };
}

const seconds = (messages: LiveMessage[]) => messages.flatMap((m) => (m.kind === 'second' ? [m] : []));
const second = (hub: LiveInspectionHub) => {
  const m = hub.closeSecond();
  if (m.kind !== 'second') throw new Error('not a second');
  return m;
};

describe('the live page feed', () => {
  it('tracks no request while nobody watches, but keeps the broker history for the first watcher', () => {
    const hub = new LiveInspectionHub();
    const { broker } = startBroker(hub);
    const request = startRequest(hub, 'unwatched');
    request.broker.confirm();
    expect(hub.trackedCount).toBe(0);

    const messages = watch(hub);
    expect(messages).toHaveLength(1);
    const history = messages[0]!;
    expect(history.kind === 'history' && history.transitions.map((t) => [t.state, t.path])).toEqual([
      ['connecting', 'online.connecting'],
      ['connected', 'online.connected'],
    ]);
    broker.stop();
  });

  it('sends broker transitions as they happen, with the full state path, the reconnect count and the reason', async () => {
    const hub = new LiveInspectionHub();
    const { broker, drop, sessions } = startBroker(hub);
    const messages = watch(hub);
    drop('CONNECTION_FORCED by the test');
    const deadline = Date.now() + 2_000;
    while (sessions.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const transitions = messages.flatMap((m) => (m.kind === 'broker' ? [m] : []));
    expect(transitions.map((t) => [t.path, t.reconnects])).toEqual([
      ['reconnecting', 1],
      ['online.connecting', 1],
      ['online.connected', 1],
    ]);
    expect(transitions[0]!.reason).toBe('CONNECTION_FORCED by the test');
    broker.stop();
  });

  it('follows a bounded number of requests in flight, each with its path so far', () => {
    let now = 1_000_000;
    const hub = new LiveInspectionHub({ trackLimit: 2, now: () => now });
    watch(hub);
    const requests = ['a', 'b', 'c'].map((id) => startRequest(hub, id, now - 40));
    now += 25;
    requests[0]!.broker.confirm();
    const { requests: shown } = second(hub);
    expect(shown.map((r) => [r.correlationId, r.kind, r.state, r.ageMs])).toEqual([
      ['unit.a', 'crawl', 'awaitingReply', 65],
      ['unit.b', 'crawl', 'publishing', 65],
    ]);
    expect(shown[0]!.path).toEqual([
      { state: 'accepted', at: 1_000_000 - 40 },
      { state: 'publishing', at: 1_000_000 },
      { state: 'awaitingReply', at: 1_000_025 },
    ]);
    requests[0]!.broker.reply('{}');
    expect(second(hub).requests.map((r) => r.correlationId)).toEqual(['unit.b']);
    expect(hub.trackedCount).toBe(1);
  });

  it('aggregates outcomes and latency per second instead of sending one message per request', () => {
    let now = 2_000_000;
    const hub = new LiveInspectionHub({ now: () => now });
    const messages = watch(hub);
    for (let i = 0; i < 300; i++) {
      const r = startRequest(hub, `ok${i}`, now - (i < 150 ? 10 : 200));
      r.broker.confirm();
      r.broker.reply('{}');
    }
    startRequest(hub, 'refused', now).broker.reject('NO_ROUTE');
    expect(messages.map((m) => m.kind)).toEqual(['history']);
    const figures = second(hub);
    expect(figures.outcomes).toEqual({ ok: 300, NO_ROUTE: 1 });
    // Quarter-octave buckets: each percentile within 20 % above the true value.
    expect(figures.p50Ms).toBeGreaterThanOrEqual(10);
    expect(figures.p50Ms).toBeLessThan(12);
    expect(figures.p99Ms).toBeGreaterThanOrEqual(200);
    expect(figures.p99Ms).toBeLessThan(240);
    now += 1_000;
    expect(second(hub)).toMatchObject({ outcomes: {}, p50Ms: null, p99Ms: null });
  });

  it('reads requests in flight and the outbox from the gauges it is given', () => {
    const hub = new LiveInspectionHub();
    watch(hub);
    expect(second(hub)).toMatchObject({ inFlight: null, outbox: null });
    hub.readGauges(() => ({ inFlight: 7, outbox: 3 }));
    expect(second(hub)).toMatchObject({ inFlight: 7, outbox: 3 });
  });

  it('publishes one aggregate per interval, replays the kept seconds to a late page, and forgets all when the last page leaves', async () => {
    const hub = new LiveInspectionHub({ intervalMs: 20 });
    const messages = watch(hub);
    startRequest(hub, 'x');
    const deadline = Date.now() + 2_000;
    while (seconds(messages).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(seconds(messages)[0]).toMatchObject({ requests: [{ correlationId: 'unit.x', state: 'publishing' }] });
    const late = watch(hub);
    expect(late[0]!.kind === 'history' && late[0]!.seconds.length).toBeGreaterThanOrEqual(2);
    unsubscribers.forEach((u) => u());
    unsubscribers = [];
    expect(hub.subscribers).toBe(0);
    expect(hub.trackedCount).toBe(0);
    expect(watch(hub)[0]).toMatchObject({ kind: 'history', seconds: [] });
  });
});

describe('requestView: the one place that knows a request actor\'s snapshot', () => {
  it('reads a request actor', () => {
    const hub = new LiveInspectionHub();
    const { actor } = startRequest(hub, 'm', 5_000);
    expect(requestView(actor.getSnapshot())).toEqual({
      correlationId: 'unit.m', kind: 'crawl', state: 'publishing', acceptedAt: 5_000, deadlineAt: 10_000, outcome: null,
    });
  });

  it('reads a lighter request actor without a machine, its latency from acceptedAt', () => {
    const context = { correlationId: 'c1', kind: 'recipe_analysis', acceptedAt: 100, deadlineAt: 30_100 };
    expect(requestView({ status: 'active', value: 'awaitingReply', context })).toMatchObject({ state: 'awaitingReply', acceptedAt: 100, outcome: null });
    expect(requestView({ status: 'done', value: 'timedOut', context, output: { ok: false, code: 'TIMEOUT' } })).toMatchObject({ state: 'timedOut', outcome: 'TIMEOUT' });
    expect(requestView({ status: 'done', value: 'replied', context, output: { ok: true } })).toMatchObject({ outcome: 'ok' });
  });

  it('ignores the broker and actors without a request context', () => {
    expect(requestView({ status: 'active', value: 'x', machine: { id: 'broker' }, context: { correlationId: 'c', kind: 'k' } })).toBeUndefined();
    expect(requestView({ status: 'active', value: undefined })).toBeUndefined();
    // The relay's root actor: a context of null.
    expect(requestView({ status: 'active', value: undefined, context: null })).toBeUndefined();
  });
});
