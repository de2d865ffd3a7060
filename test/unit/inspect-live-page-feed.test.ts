import { pino } from 'pino';
import { createActor, fromCallback } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerMachine } from '../../src/actors/broker/broker.machine.ts';
import type { SessionEvent } from '../../src/actors/broker/session-events.ts';
import { type LiveMessage, LiveInspectionHub } from '../../src/actors/live-inspection.ts';
import { loadConfig } from '../../src/config/index.ts';
import { startRequestActor } from './request-broker-double.ts';

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

function startRequest(hub: LiveInspectionHub, id: string) {
  return startRequestActor(config, { correlationId: `unit.${id}`, kind: 'crawl', body: { url: 'https://example.com' }, inspect: hub.observe });
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

const summaries = (messages: LiveMessage[]) => messages.filter((m) => m.kind === 'summary');

describe('the live page feed', () => {
  it('tracks no request while nobody watches, but keeps the broker history for the first watcher', () => {
    const hub = new LiveInspectionHub();
    const { broker } = startBroker(hub);
    const request = startRequest(hub, 'unwatched');
    request.broker.confirm();
    expect(hub.tracked).toBe(0);

    const messages = watch(hub);
    expect(messages).toHaveLength(1);
    const history = messages[0]!;
    expect(history.kind).toBe('history');
    expect(history.kind === 'history' && history.transitions.map((t) => t.state)).toEqual(['connecting', 'connected']);
    broker.stop();
  });

  it('sends broker transitions as they happen, with the reconnect count and the reason', async () => {
    const hub = new LiveInspectionHub();
    const { broker, drop, sessions } = startBroker(hub);
    const messages = watch(hub);
    drop('CONNECTION_FORCED by the test');
    const deadline = Date.now() + 2_000;
    while (sessions.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const transitions = messages.flatMap((m) => (m.kind === 'broker' ? [m] : []));
    expect(transitions.map((t) => [t.state, t.reconnects])).toEqual([
      ['reconnecting', 1],
      ['connecting', 1],
      ['connected', 1],
    ]);
    expect(transitions[0]!.reason).toBe('CONNECTION_FORCED by the test');
    broker.stop();
  });

  it('shows live requests as a bounded sample, oldest first, with their state', () => {
    const hub = new LiveInspectionHub({ sampleSize: 2 });
    watch(hub);
    const requests = ['a', 'b', 'c'].map((id) => startRequest(hub, id));
    requests[0]!.broker.confirm();
    const summary = hub.summary();
    expect(summary.kind === 'summary' && summary.inFlight).toBe(3);
    expect(summary.kind === 'summary' && summary.sample.map((r) => [r.correlationId, r.kind, r.state])).toEqual([
      ['unit.a', 'crawl', 'awaitingReply'],
      ['unit.b', 'crawl', 'publishing'],
    ]);
  });

  it('aggregates outcomes instead of sending one message per request event', () => {
    const hub = new LiveInspectionHub();
    const messages = watch(hub);
    for (let i = 0; i < 300; i++) {
      const r = startRequest(hub, `ok${i}`);
      r.broker.confirm();
      r.broker.reply('{}');
    }
    startRequest(hub, 'refused').broker.reject('NO_ROUTE');
    expect(messages.map((m) => m.kind)).toEqual(['history']);
    const summary = hub.summary();
    expect(summary.kind === 'summary' && summary.totals).toEqual({ ok: 300, NO_ROUTE: 1 });
    expect(summary.kind === 'summary' && summary.inFlight).toBe(0);
  });

  it('publishes a summary per interval and stops tracking when the last watcher leaves', async () => {
    const hub = new LiveInspectionHub({ intervalMs: 20 });
    const messages = watch(hub);
    startRequest(hub, 'x');
    const deadline = Date.now() + 2_000;
    while (summaries(messages).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(summaries(messages)[0]).toMatchObject({ inFlight: 1, sample: [{ correlationId: 'unit.x', state: 'publishing' }] });
    unsubscribers.pop()!();
    expect(hub.subscribers).toBe(0);
    expect(hub.tracked).toBe(0);
  });
});
