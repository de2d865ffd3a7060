import { pino } from 'pino';
import { type AnyActorRef, createActor, fromCallback, SimulatedClock } from 'xstate';
import type { SessionCommand, SessionEvent, SessionInput } from '../../src/actors/broker/session-events.ts';
import { type BrokerInput, brokerMachine, brokerStateOf } from '../../src/actors/broker/broker.machine.ts';
import type { BrokerNotice } from '../../src/actors/broker/events.ts';
import type { Delivery, OutboundMessage } from '../../src/actors/broker/messages.ts';

/** One invocation of the fake amqpSession: what it was given, what it was told, and a way to answer. */
export interface FakeSession {
  readonly input: SessionInput;
  readonly commands: SessionCommand[];
  stopped: boolean;
  emit(event: SessionEvent): void;
  /** Ids of the messages this session was asked to publish, in order. */
  published(): string[];
}

export function fakeBroker(overrides: Partial<BrokerInput> = {}) {
  const sessions: FakeSession[] = [];
  const amqpSession = fromCallback<SessionCommand, SessionInput, SessionEvent>(({ input, sendBack, receive }) => {
    const session: FakeSession = {
      input,
      commands: [],
      stopped: false,
      emit: sendBack,
      published: () => session.commands.flatMap((c) => (c.type === 'amqp.publish' ? c.messages.map((m) => m.id) : [])),
    };
    sessions.push(session);
    receive((command) => void session.commands.push(command));
    return () => {
      session.stopped = true;
    };
  });
  const clock = new SimulatedClock();
  const input: BrokerInput = {
    urls: ['amqp://a:5672', 'amqp://b:5672'],
    heartbeatSeconds: 10,
    topology: { channels: [] },
    reconnect: { baseMs: 100, maxMs: 1_000 },
    maxBuffered: 100,
    connectionName: 'test',
    logger: pino({ level: 'silent' }),
    ...overrides,
  };
  const actor = createActor(brokerMachine.provide({ actors: { amqpSession } }), { input, clock }).start();
  const current = () => sessions.at(-1)!;
  return {
    actor,
    clock,
    sessions,
    current,
    state: () => brokerStateOf(actor.getSnapshot()),
    pending: () => actor.getSnapshot().context.pending,
    /** The current session says the connection is up. */
    connect: () => current().emit({ type: 'amqp.ready', host: 'a:5672', urlIndex: 0, generation: current().input.generation }),
    /** The current session says the connection dropped. */
    drop: (reason = 'CONNECTION_FORCED') => current().emit({ type: 'amqp.closed', reason, generation: current().input.generation }),
    /** Waits out the longest possible backoff. */
    waitBackoff: () => clock.increment(input.reconnect.maxMs + 1),
  };
}

/** An actor that records every notice the broker sends it. */
export function noticeInbox(): { ref: AnyActorRef; notices: BrokerNotice[] } {
  const notices: BrokerNotice[] = [];
  const ref = createActor(fromCallback<BrokerNotice>(({ receive }) => receive((n) => void notices.push(n)))).start();
  return { ref, notices };
}

export function message(id: string, channel = 'ai'): OutboundMessage {
  return {
    id,
    channel,
    exchange: '',
    routingKey: 'requests',
    content: Buffer.from('{}'),
    mandatory: true,
    properties: { correlationId: id, messageId: id, replyTo: 'amqp-relay.reply.me' },
  };
}

export function delivery(overrides: Partial<Delivery> = {}): Delivery {
  return {
    channel: 'ai',
    channelEpoch: 0,
    queue: 'amqp-relay.reply.me',
    generation: 1,
    deliveryTag: 1,
    redelivered: false,
    content: Buffer.from('{"ok":true}'),
    correlationId: 'me.1',
    replyTo: undefined,
    messageId: undefined,
    type: undefined,
    headers: {},
    expiration: undefined,
    timestamp: undefined,
    ...overrides,
  };
}
