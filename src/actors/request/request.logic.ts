import type { ActorLogic, ActorScope, AnyActorRef } from 'xstate';
import type { RequestErrorCode } from '../../errors.ts';
import { JSON_NULL } from '../../requests/json-text.ts';
import type { ActorKind } from '../../requests/kinds.ts';
import type { BrokerNotice } from '../broker/events.ts';
import type { OutboundMessage } from '../broker/messages.ts';
import { decodeReply, type RequestOutcome } from './outcome.ts';

/** What a request actor asks of the broker (the BrokerActor, or a batcher in front of it). */
export interface BrokerPort {
  publish(message: OutboundMessage, notify: AnyActorRef): void;
  cancel(id: string): void;
}

export interface RequestInput {
  readonly correlationId: string;
  readonly kind: ActorKind;
  readonly message: OutboundMessage;
  readonly broker: BrokerPort;
  /** When the HTTP request was accepted, and its absolute deadline (epoch ms). */
  readonly acceptedAt: number;
  readonly deadlineAt: number;
  readonly replyOptional: boolean;
}

/** Sent by the relay: the deadline has come, or the relay is shutting down and cannot wait any more. */
type RequestCommand = { readonly type: 'request.deadline' } | { readonly type: 'request.abort'; readonly message: string };

export type RequestEvent = BrokerNotice | RequestCommand;

type RequestState =
  | 'publishing'
  | 'awaitingReply'
  | 'replied'
  | 'rejected'
  | 'unpublished'
  | 'timedOut'
  | 'settledWithoutReply'
  | 'abandoned';

/** The input as given (never copied: it runs once per HTTP request), and what the broker said of the outbox. */
interface RequestContext extends RequestInput {
  /** In the broker's outbox, never written to a connection: at the deadline that is 503, not 504. */
  readonly inOutbox?: boolean;
}

export type RequestSnapshot =
  | { readonly status: 'active'; readonly value: 'publishing' | 'awaitingReply'; readonly context: RequestContext; readonly output: undefined; readonly error: undefined }
  | { readonly status: 'done'; readonly value: RequestState; readonly context: RequestContext; readonly output: RequestOutcome; readonly error: undefined }
  | { readonly status: 'error'; readonly value: RequestState; readonly context: RequestContext; readonly output: undefined; readonly error: unknown }
  | { readonly status: 'stopped'; readonly value: RequestState; readonly context: RequestContext; readonly output: undefined; readonly error: undefined };

type Scope = ActorScope<RequestSnapshot, RequestEvent>;

function active(context: RequestContext, value: 'publishing' | 'awaitingReply'): RequestSnapshot {
  return { status: 'active', value, context, output: undefined, error: undefined };
}

function done(context: RequestContext, value: RequestState, output: RequestOutcome): RequestSnapshot {
  return { status: 'done', value, context, output, error: undefined };
}

function failed(code: RequestErrorCode, message: string): RequestOutcome {
  return { ok: false, code, message };
}

/** Where the deadline leaves a request that has not been answered. */
function atDeadline(snapshot: RequestSnapshot & { status: 'active' }, scope: Scope): RequestSnapshot {
  const { context } = snapshot;
  scope.defer(() => context.broker.cancel(context.correlationId));
  const ms = context.deadlineAt - context.acceptedAt;
  if (snapshot.value === 'awaitingReply' && context.replyOptional) return done(context, 'settledWithoutReply', { ok: true, reply: JSON_NULL });
  if (context.inOutbox) return done(context, 'unpublished', failed('BROKER_UNAVAILABLE', `the request could not be published within ${ms} ms`));
  return done(context, 'timedOut', failed('TIMEOUT', `no reply within ${ms} ms`));
}

/**
 * One request, from publishing to its reply or its deadline, as a small hand-written actor logic:
 * it runs once per HTTP request, and a full state machine cost five times as much. Its states:
 *
 *   publishing ──broker.confirmed──► awaitingReply
 *   (either) ──broker.reply──► replied · ──broker.rejected──► rejected · ──request.abort──► abandoned
 *   (either) ──request.deadline──► timedOut (504: it was written to the broker)
 *                                 · unpublished (503: it never left the outbox)
 *                                 · settledWithoutReply (a confirmed ping)
 *
 * Every state after the first two is final, with the outcome as the actor's output. The deadline
 * itself is armed by whoever creates the actor (one timer per request outside XState's scheduler,
 * whose cancel is O(scheduled events) per stopped actor), and arrives as `request.deadline`.
 */
export const requestLogic: ActorLogic<RequestSnapshot, RequestEvent, RequestInput> = {
  getInitialSnapshot: (_scope, input) => active(input, 'publishing'),
  start: (snapshot, scope) => {
    snapshot.context.broker.publish(snapshot.context.message, scope.self);
  },
  transition: (snapshot, event, scope) => {
    if (snapshot.status !== 'active') return snapshot;
    const { context } = snapshot;
    switch (event.type) {
      case 'broker.confirmed':
        return snapshot.value === 'publishing' ? active(context, 'awaitingReply') : snapshot;
      case 'broker.queued':
        return active({ ...context, inOutbox: true }, snapshot.value);
      case 'broker.sent':
        return active({ ...context, inOutbox: false }, snapshot.value);
      case 'broker.reply':
        return done(context, 'replied', decodeReply(event.delivery));
      case 'broker.rejected':
        return done(context, 'rejected', failed(event.code, event.message));
      case 'request.deadline':
        return atDeadline(snapshot, scope);
      case 'request.abort':
        scope.defer(() => context.broker.cancel(context.correlationId));
        return done(context, 'abandoned', failed('SHUTTING_DOWN', event.message));
    }
  },
  getPersistedSnapshot: (snapshot) => snapshot,
};

/** True for a request actor (inspection observers tell request actors from the broker by this). */
export function isRequestActor(ref: unknown): boolean {
  return (ref as { logic?: unknown } | null)?.logic === requestLogic;
}
