import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { loadConfig } from '../../src/config/load-config.ts';
import type { RequestKind } from '../../src/requests/kinds.ts';
import { startRequestActor } from './request-broker-double.ts';

const config = loadConfig({ RELAY_INSTANCE_ID: 'unit' });
const DEADLINE_MS = 1_000;

function startRequest(kind: RequestKind = 'recipe_analysis') {
  const clock = new SimulatedClock();
  // The same clock, counting the timers still armed.
  const armed = new Set<unknown>();
  const trackedClock = {
    now: () => clock.now(),
    setTimeout: (fn: () => void, ms: number) => {
      const id = clock.setTimeout(() => {
        armed.delete(id);
        fn();
      }, ms);
      armed.add(id);
      return id;
    },
    clearTimeout: (id: unknown) => {
      armed.delete(id);
      clock.clearTimeout(id as number);
    },
  };
  const { actor, broker, correlationId } = startRequestActor(config, { kind, deadlineMs: DEADLINE_MS, clock: trackedClock });
  const state = () => actor.getSnapshot().value;
  const output = () => {
    const snapshot = actor.getSnapshot();
    expect(snapshot.status).toBe('done');
    return snapshot.output;
  };
  const cancels = () => broker.commands.filter((c) => c.type === 'broker.cancel');
  return { actor, broker, clock, correlationId, state, output, cancels, timersArmed: () => armed.size };
}

describe('a request actor', () => {
  it('asks the broker to publish its message once, with itself as the one to notify', () => {
    const { actor, broker, correlationId } = startRequest();
    expect(broker.commands).toHaveLength(1);
    const [publish] = broker.commands;
    expect(publish).toMatchObject({ type: 'broker.publish', expectReply: true, message: { id: correlationId } });
    expect(publish?.type === 'broker.publish' && publish.notify).toBe(actor);
  });

  it('is publishing until the broker confirms, then awaits the reply', () => {
    const { broker, state } = startRequest();
    expect(state()).toBe('publishing');
    broker.confirm();
    expect(state()).toBe('awaitingReply');
  });

  it('finishes with the reply when the reply arrives before the confirm', () => {
    const { broker, output, cancels } = startRequest();
    broker.reply('{"answer":42}');
    expect(output()).toEqual({ ok: true, reply: '{"answer":42}' });
    expect(cancels()).toHaveLength(0);
  });

  it("keeps the worker's JSON text as it is: numbers JavaScript cannot hold, spacing, repeated fields", () => {
    const { broker, output } = startRequest();
    const text = '{ "id": 12345678901234567891, "huge": 1e400, "score": 1.0, "a": 1, "a": 2 }\n';
    broker.reply(text);
    expect(output()).toEqual({ ok: true, reply: text });
  });

  it('finishes with the reply after the confirm', () => {
    const { broker, output } = startRequest();
    broker.confirm();
    broker.reply('{"answer":"ok"}');
    expect(output()).toEqual({ ok: true, reply: '{"answer":"ok"}' });
  });

  it('ends with WORKER_ERROR and the worker message when the reply has x-status error', () => {
    const { broker, output } = startRequest();
    broker.confirm();
    broker.reply('{"message":"model overloaded"}', { 'x-status': 'error' });
    expect(output()).toEqual({ ok: false, code: 'WORKER_ERROR', message: 'model overloaded' });
  });

  it('ends with BAD_REPLY when the reply is not JSON', () => {
    const { broker, output } = startRequest();
    broker.confirm();
    broker.reply('<html>oops</html>');
    expect(output()).toMatchObject({ ok: false, code: 'BAD_REPLY' });
  });

  it('ends with BAD_REPLY when the reply is not UTF-8', () => {
    const { broker, output } = startRequest();
    broker.reply(Buffer.from([0x22, 0xff, 0xfe, 0x22]));
    expect(output()).toMatchObject({ ok: false, code: 'BAD_REPLY' });
  });

  it('ends with NO_ROUTE when the broker returns the message as unroutable', () => {
    const { broker, output, cancels } = startRequest();
    broker.reject('NO_ROUTE', 'no queue accepted the message (NO_ROUTE)');
    expect(output()).toEqual({ ok: false, code: 'NO_ROUTE', message: 'no queue accepted the message (NO_ROUTE)' });
    expect(cancels()).toHaveLength(0);
  });

  it('ends with BROKER_UNAVAILABLE and cancels at the broker when the deadline passes while it waits in the outbox', () => {
    const { broker, clock, output, cancels, correlationId } = startRequest();
    broker.queued();
    clock.increment(DEADLINE_MS - 1);
    expect(cancels()).toHaveLength(0);
    clock.increment(1);
    expect(output()).toMatchObject({ ok: false, code: 'BROKER_UNAVAILABLE' });
    expect(cancels()).toEqual([{ type: 'broker.cancel', id: correlationId }]);
  });

  it('ends with TIMEOUT when the deadline passes after it was written but before the confirm: a worker may have it', () => {
    const { clock, output, cancels, correlationId } = startRequest();
    clock.increment(DEADLINE_MS);
    expect(output()).toMatchObject({ ok: false, code: 'TIMEOUT' });
    expect(cancels()).toEqual([{ type: 'broker.cancel', id: correlationId }]);
  });

  it('ends with TIMEOUT when it left the outbox on a reconnect and then reached its deadline', () => {
    const { broker, clock, output } = startRequest();
    broker.queued();
    broker.sent();
    clock.increment(DEADLINE_MS);
    expect(output()).toMatchObject({ ok: false, code: 'TIMEOUT' });
  });

  it('ends with SHUTTING_DOWN and cancels at the broker when the relay abandons it', () => {
    const { actor, output, cancels } = startRequest();
    actor.send({ type: 'request.abort', message: 'the relay is shutting down' });
    expect(output()).toEqual({ ok: false, code: 'SHUTTING_DOWN', message: 'the relay is shutting down' });
    expect(cancels()).toHaveLength(1);
  });

  it('ends with TIMEOUT and cancels at the broker when the deadline passes after the confirm', () => {
    const { broker, clock, output, cancels, correlationId } = startRequest();
    broker.confirm();
    clock.increment(DEADLINE_MS);
    expect(output()).toMatchObject({ ok: false, code: 'TIMEOUT' });
    expect(cancels()).toEqual([{ type: 'broker.cancel', id: correlationId }]);
  });

  it('settles a confirmed ping at its deadline with a null reply', () => {
    const { broker, clock, output, cancels } = startRequest('ping');
    broker.confirm();
    clock.increment(DEADLINE_MS);
    expect(output()).toEqual({ ok: true, reply: 'null' });
    expect(cancels()).toHaveLength(1);
  });

  it('fails a ping still in the outbox at its deadline with BROKER_UNAVAILABLE', () => {
    const { broker, clock, output } = startRequest('ping');
    broker.queued();
    clock.increment(DEADLINE_MS);
    expect(output()).toMatchObject({ ok: false, code: 'BROKER_UNAVAILABLE' });
  });

  it('keeps its deadline from the start: a late confirm does not re-arm it', () => {
    const { broker, clock, output } = startRequest();
    clock.increment(DEADLINE_MS - 100);
    broker.confirm();
    clock.increment(100);
    expect(output()).toMatchObject({ ok: false, code: 'TIMEOUT' });
  });

  it('leaves no timer behind once it has its reply', () => {
    const { broker, clock, output, cancels, timersArmed } = startRequest();
    expect(timersArmed()).toBe(1);
    broker.confirm();
    expect(timersArmed()).toBe(1);
    broker.reply('{}');
    expect(timersArmed()).toBe(0);
    clock.increment(DEADLINE_MS * 2);
    expect(output()).toEqual({ ok: true, reply: '{}' });
    expect(cancels()).toHaveLength(0);
  });

  it('leaves no timer behind when the broker rejects it', () => {
    const { broker, timersArmed } = startRequest();
    broker.reject('BROKER_UNAVAILABLE');
    expect(timersArmed()).toBe(0);
  });
});
