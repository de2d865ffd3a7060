import { and, type AnyActorRef, assign, sendTo, setup, stateIn } from 'xstate';
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

interface RequestContext extends RequestInput {
  readonly outcome: RequestOutcome | undefined;
}

/**
 * One request, from publishing to its reply or its deadline. The deadline is absolute: it is
 * armed once on entering `active` and is not reset by the confirm.
 */
export const requestMachine = setup({
  types: {
    context: {} as RequestContext,
    events: {} as BrokerNotice,
    input: {} as RequestInput,
    output: {} as RequestOutcome,
  },
  delays: {
    deadline: ({ context }) => context.deadlineMs,
  },
  guards: {
    replyOptional: ({ context }) => context.replyOptional,
  },
  actions: {
    askBrokerToPublish: sendTo(
      ({ context }) => context.broker,
      ({ context, self }): BrokerCommand => ({ type: 'broker.publish', message: context.message, notify: self, expectReply: true }),
    ),
    forgetAtBroker: sendTo(
      ({ context }) => context.broker,
      ({ context }): BrokerCommand => ({ type: 'broker.cancel', id: context.correlationId }),
    ),
    acceptReply: assign({
      outcome: ({ event }) => (event.type === 'broker.reply' ? decodeReply(event.delivery) : undefined),
    }),
    acceptRejection: assign({
      outcome: ({ event }): RequestOutcome | undefined =>
        event.type === 'broker.rejected' ? { ok: false, code: event.code, message: event.message } : undefined,
    }),
    timeOut: assign({
      outcome: ({ context }): RequestOutcome => ({ ok: false, code: 'TIMEOUT', message: `no reply within ${context.deadlineMs} ms` }),
    }),
    settleWithoutReply: assign({ outcome: (): RequestOutcome => ({ ok: true, reply: null }) }),
    giveUpPublishing: assign({
      outcome: ({ context }): RequestOutcome => ({
        ok: false,
        code: 'BROKER_UNAVAILABLE',
        message: `the request could not be published within ${context.deadlineMs} ms`,
      }),
    }),
  },
}).createMachine({
  id: 'request',
  context: ({ input }) => ({ ...input, outcome: undefined }),
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
        'broker.reply': { target: 'finished', actions: 'acceptReply' },
        'broker.rejected': { target: 'finished', actions: 'acceptRejection' },
      },
      after: {
        deadline: [
          { guard: and([stateIn({ active: 'awaitingReply' }), 'replyOptional']), target: 'finished', actions: ['settleWithoutReply', 'forgetAtBroker'] },
          { guard: stateIn({ active: 'awaitingReply' }), target: 'finished', actions: ['timeOut', 'forgetAtBroker'] },
          { target: 'finished', actions: ['giveUpPublishing', 'forgetAtBroker'] },
        ],
      },
    },
    finished: { type: 'final' },
  },
  output: ({ context }) => context.outcome ?? { ok: false, code: 'TIMEOUT', message: 'the request ended without an outcome' },
});
