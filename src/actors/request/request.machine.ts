import { type ActorSystem, type AnyActorRef, setup } from 'xstate';

type AnyActorSystem = ActorSystem<any>;
import type { BrokerCommand, BrokerNotice } from '../broker/events.ts';
import type { OutboundMessage } from '../broker/types.ts';
import { decodeReply, type RequestKind, type RequestOutcome } from './outcome.ts';

export interface RequestInput {
  readonly correlationId: string;
  readonly kind: RequestKind;
  readonly message: OutboundMessage;
  readonly broker: AnyActorRef;
  /** Time from start to the deadline, in ms. */
  readonly deadlineMs: number;
  /** A ping needs no reply: once the broker has confirmed it, reaching the deadline is a success. */
  readonly replyOptional: boolean;
}

/** Sent once, `deadlineMs` after start: the deadline is absolute and the confirm does not re-arm it. */
type DeadlineEvent = { readonly type: 'request.deadline' };

/**
 * Deadline timers of live request actors. One plain timer on the actor system's clock (so
 * SimulatedClock drives it in tests): XState's own delayed events cost about a third of the
 * actor's life in CPU, for bookkeeping this one-shot timer does not need.
 */
const deadlines = new Map<AnyActorRef, unknown>();

function armDeadline(self: AnyActorRef, system: AnyActorSystem, ms: number): void {
  const timer = system._clock.setTimeout(() => {
    deadlines.delete(self);
    self.send({ type: 'request.deadline' });
  }, ms);
  deadlines.set(self, timer);
}

function disarmDeadline(self: AnyActorRef, system: AnyActorSystem): void {
  const timer = deadlines.get(self);
  if (timer === undefined) return;
  deadlines.delete(self);
  system._clock.clearTimeout(timer);
}

/**
 * One request, from publishing to its reply or its deadline. Lean on purpose (it runs once per
 * HTTP request): the context is the input as given (never copied), one timer for the whole life (cleared on finishing),
 * and every outcome is a final state whose output is computed from the event that ended it.
 */
export const requestMachine = setup({
  types: {
    context: {} as RequestInput,
    events: {} as BrokerNotice | DeadlineEvent,
    input: {} as RequestInput,
    output: {} as RequestOutcome,
  },
  guards: {
    replyOptional: ({ context }) => context.replyOptional,
  },
  actions: {
    askBrokerToPublish: ({ context, self }) => {
      const command: BrokerCommand = { type: 'broker.publish', message: context.message, notify: self, expectReply: true };
      context.broker.send(command);
    },
    armDeadline: ({ context, self, system }) => armDeadline(self, system, context.deadlineMs),
    disarmDeadline: ({ self, system }) => disarmDeadline(self, system),
    forgetAtBroker: ({ context }) => {
      const command: BrokerCommand = { type: 'broker.cancel', id: context.correlationId };
      context.broker.send(command);
    },
  },
}).createMachine({
  id: 'request',
  context: ({ input }) => input,
  entry: ['askBrokerToPublish', 'armDeadline'],
  initial: 'publishing',
  states: {
    publishing: {
      on: {
        'broker.confirmed': 'awaitingReply',
        'broker.reply': 'replied',
        'broker.rejected': 'rejected',
        'request.deadline': { target: 'unpublished', actions: 'forgetAtBroker' },
      },
    },
    awaitingReply: {
      on: {
        'broker.reply': 'replied',
        'broker.rejected': 'rejected',
        'request.deadline': [
          { guard: 'replyOptional', target: 'settledWithoutReply', actions: 'forgetAtBroker' },
          { target: 'timedOut', actions: 'forgetAtBroker' },
        ],
      },
    },
    replied: {
      type: 'final',
      entry: 'disarmDeadline',
      output: ({ event }): RequestOutcome =>
        event.type === 'broker.reply' ? decodeReply(event.delivery) : { ok: false, code: 'BAD_REPLY', message: 'no reply to decode' },
    },
    rejected: {
      type: 'final',
      entry: 'disarmDeadline',
      output: ({ event }): RequestOutcome =>
        event.type === 'broker.rejected'
          ? { ok: false, code: event.code, message: event.message }
          : { ok: false, code: 'BROKER_UNAVAILABLE', message: 'the broker refused the request' },
    },
    unpublished: {
      type: 'final',
      entry: 'disarmDeadline',
      output: ({ context }): RequestOutcome => ({
        ok: false,
        code: 'BROKER_UNAVAILABLE',
        message: `the request could not be published within ${context.deadlineMs} ms`,
      }),
    },
    timedOut: {
      type: 'final',
      entry: 'disarmDeadline',
      output: ({ context }): RequestOutcome => ({ ok: false, code: 'TIMEOUT', message: `no reply within ${context.deadlineMs} ms` }),
    },
    settledWithoutReply: {
      type: 'final',
      entry: 'disarmDeadline',
      output: (): RequestOutcome => ({ ok: true, reply: null }),
    },
  },
  output: ({ event }) => (event as unknown as { output: RequestOutcome }).output,
});
