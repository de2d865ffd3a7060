import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { loadConfig } from '../../src/config/index.ts';
import { requestMessage } from '../../src/actors/request/messages.ts';
import type { RequestKind } from '../../src/actors/request/outcome.ts';
import { requestMachine } from '../../src/actors/request/request.machine.ts';
import { brokerDouble } from './request-broker-double.ts';

const config = loadConfig({ RELAY_INSTANCE_ID: 'unit' });
const DEADLINE_MS = 1_000;

function startRequest(kind: RequestKind = 'recipe_analysis') {
  const broker = brokerDouble();
  const clock = new SimulatedClock();
  // The same clock, counting the timers still armed.
  const armed = new Set<number>();
  const trackedClock = {
    setTimeout: (fn: () => void, ms: number) => {
      const id = clock.setTimeout(() => {
        armed.delete(id);
        fn();
      }, ms);
      armed.add(id);
      return id;
    },
    clearTimeout: (id: number) => {
      armed.delete(id);
      clock.clearTimeout(id);
    },
  };
  const correlationId = `unit.${Math.random().toString(36).slice(2)}`;
  const message = requestMessage(config, kind, correlationId, { recipe_text: 'eggs' }, DEADLINE_MS, undefined);
  const actor = createActor(requestMachine, {
    clock: trackedClock,
    input: { correlationId, kind, message, broker: broker.ref, deadlineMs: DEADLINE_MS, replyOptional: kind === 'ping' },
  }).start();
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
    expect(state()).toEqual({ active: 'publishing' });
    broker.confirm();
    expect(state()).toEqual({ active: 'awaitingReply' });
  });

  it('finishes with the reply when the reply arrives before the confirm', () => {
    const { broker, output, cancels } = startRequest();
    broker.reply('{"answer":42}');
    expect(output()).toEqual({ ok: true, reply: { answer: 42 } });
    expect(cancels()).toHaveLength(0);
  });

  it('finishes with the reply after the confirm', () => {
    const { broker, output } = startRequest();
    broker.confirm();
    broker.reply('{"answer":"ok"}');
    expect(output()).toEqual({ ok: true, reply: { answer: 'ok' } });
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

  it('ends with BROKER_UNAVAILABLE and cancels at the broker when the deadline passes before the confirm', () => {
    const { clock, output, cancels, correlationId } = startRequest();
    clock.increment(DEADLINE_MS - 1);
    expect(cancels()).toHaveLength(0);
    clock.increment(1);
    expect(output()).toMatchObject({ ok: false, code: 'BROKER_UNAVAILABLE' });
    expect(cancels()).toEqual([{ type: 'broker.cancel', id: correlationId }]);
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
    expect(output()).toEqual({ ok: true, reply: null });
    expect(cancels()).toHaveLength(1);
  });

  it('fails an unconfirmed ping at its deadline with BROKER_UNAVAILABLE', () => {
    const { clock, output } = startRequest('ping');
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
    expect(output()).toEqual({ ok: true, reply: {} });
    expect(cancels()).toHaveLength(0);
  });

  it('leaves no timer behind when the broker rejects it', () => {
    const { broker, timersArmed } = startRequest();
    broker.reject('BROKER_UNAVAILABLE');
    expect(timersArmed()).toBe(0);
  });
});
