import { and, type AnyActorRef, setup, stateIn } from 'xstate';
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

/**
 * One request, from publishing to its reply or its deadline. Lean on purpose (it runs once per
 * HTTP request): the context is the input as given (never copied), one delayed transition armed
 * once on entering `active` (the confirm moves between its children and does not re-arm it), and
 * every outcome is a final state whose output is computed from the event that ended it.
 */
export const requestMachine = setup({
  types: {
    context: {} as RequestInput,
    events: {} as BrokerNotice,
    input: {} as RequestInput,
    output: {} as RequestOutcome,
  },
  delays: {
    deadline: ({ context }) => context.deadlineMs,
  },
  guards: {
    confirmed: stateIn({ active: 'awaitingReply' }),
    replyOptional: ({ context }) => context.replyOptional,
  },
  actions: {
    askBrokerToPublish: ({ context, self }) => {
      const command: BrokerCommand = { type: 'broker.publish', message: context.message, notify: self, expectReply: true };
      context.broker.send(command);
    },
    forgetAtBroker: ({ context }) => {
      const command: BrokerCommand = { type: 'broker.cancel', id: context.correlationId };
      context.broker.send(command);
    },
  },
}).createMachine({
  id: 'request',
  context: ({ input }) => input,
  initial: 'active',
  states: {
    active: {
      entry: 'askBrokerToPublish',
      initial: 'publishing',
      states: {
        publishing: { on: { 'broker.confirmed': 'awaitingReply' } },
        awaitingReply: {},
      },
      on: {
        'broker.reply': 'replied',
        'broker.rejected': 'rejected',
      },
      after: {
        deadline: [
          { guard: and(['confirmed', 'replyOptional']), target: 'settledWithoutReply', actions: 'forgetAtBroker' },
          { guard: 'confirmed', target: 'timedOut', actions: 'forgetAtBroker' },
          { target: 'unpublished', actions: 'forgetAtBroker' },
        ],
      },
    },
    replied: {
      type: 'final',
      output: ({ event }): RequestOutcome =>
        event.type === 'broker.reply' ? decodeReply(event.delivery) : { ok: false, code: 'BAD_REPLY', message: 'no reply to decode' },
    },
    rejected: {
      type: 'final',
      output: ({ event }): RequestOutcome =>
        event.type === 'broker.rejected'
          ? { ok: false, code: event.code, message: event.message }
          : { ok: false, code: 'BROKER_UNAVAILABLE', message: 'the broker refused the request' },
    },
    unpublished: {
      type: 'final',
      output: ({ context }): RequestOutcome => ({
        ok: false,
        code: 'BROKER_UNAVAILABLE',
        message: `the request could not be published within ${context.deadlineMs} ms`,
      }),
    },
    timedOut: {
      type: 'final',
      output: ({ context }): RequestOutcome => ({ ok: false, code: 'TIMEOUT', message: `no reply within ${context.deadlineMs} ms` }),
    },
    settledWithoutReply: {
      type: 'final',
      output: (): RequestOutcome => ({ ok: true, reply: null }),
    },
  },
  output: ({ event }) => (event as unknown as { output: RequestOutcome }).output,
});
