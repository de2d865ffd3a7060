import { type ActorRefFrom, assign, setup } from 'xstate';
import { amqpSession } from './amqp-session.ts';
import { fullJitterDelay } from './backoff.ts';
import {
  ack,
  type BrokerContext,
  type BrokerInput,
  type BrokerStateName,
  dropsStaleAck,
  isStale,
  notify,
  publishNow,
  toPending,
  toSession,
} from './broker.context.ts';
import type { BrokerEvent } from './events.ts';
import { PendingMessages } from './pending.ts';
import { decideDelivery } from './routing.ts';

export type { BrokerInput, BrokerObserver, BrokerStateName } from './broker.context.ts';

/**
 * The BrokerActor: one connection's lifecycle (online{connecting, connected, blocked, closing},
 * reconnecting with backoff, closed), the outbox and everything unconfirmed (PendingMessages), and
 * the routing of what is consumed. Live handles stay in the amqpSession actor it invokes.
 */

export const brokerMachine = setup({
  types: {
    context: {} as BrokerContext,
    events: {} as BrokerEvent,
    input: {} as BrokerInput,
  },
  actors: { amqpSession },
  guards: {
    fromCurrentSession: ({ context, event }) => !('generation' in event) || event.generation === context.generation,
  },
  delays: {
    reconnectDelay: ({ context }) => fullJitterDelay(context.attempt, context.reconnect.baseMs, context.reconnect.maxMs),
  },
  actions: {
    publishNow: ({ context, event, self }) => {
      if (event.type === 'broker.publish') publishNow(context, self, event);
    },
    bufferPublish: ({ context, event }) => {
      if (event.type !== 'broker.publish' || dropsStaleAck(context, event)) return;
      if (context.pending.outbox >= context.maxBuffered) {
        notify(event.notify, { type: 'broker.rejected', id: event.message.id, code: 'BROKER_UNAVAILABLE', message: 'the broker is unreachable and the outbox is full' });
        return;
      }
      context.pending.add(toPending(event), 'queued');
    },
    rejectPublish: ({ event }) => {
      if (event.type !== 'broker.publish') return;
      notify(event.notify, { type: 'broker.rejected', id: event.message.id, code: 'BROKER_UNAVAILABLE', message: 'the broker connection is closed' });
    },
    flushOutbox: ({ context, self }) => {
      for (const entry of context.pending.queued()) {
        context.pending.mark(entry, 'sent');
        toSession(self, { type: 'amqp.publish', message: entry.message });
      }
    },
    republishChannel: ({ context, event, self }) => {
      if (event.type !== 'amqp.channelReset') return;
      context.epochs.set(event.channel, event.epoch);
      const again = context.pending.channelReset(event.channel, context.generation, event.epoch);
      context.logger.warn({ channel: event.channel, reason: event.reason, republished: again.length }, 'channel reopened; publishing its unconfirmed messages again');
      for (const entry of again) toSession(self, { type: 'amqp.publish', message: entry.message });
    },
    settleConfirm: ({ context, event, self }) => {
      if (event.type !== 'amqp.confirmed') return;
      // Counted even when a reply that beat the confirm has already settled the entry.
      context.observer?.published?.('confirmed');
      const entry = context.pending.get(event.id);
      if (!entry) return;
      if (entry.ackOnConfirm) ack(self, entry.ackOnConfirm);
      if (entry.expectReply) context.pending.mark(entry, 'confirmed');
      else context.pending.remove(event.id);
      notify(entry.notify, { type: 'broker.confirmed', id: event.id });
    },
    settleNack: ({ context, event }) => {
      if (event.type !== 'amqp.nacked') return;
      const entry = context.pending.remove(event.id, 'abandoned');
      context.observer?.published?.('nacked');
      notify(entry?.notify, { type: 'broker.rejected', id: event.id, code: 'BROKER_UNAVAILABLE', message: 'the broker refused the message' });
    },
    settleReturn: ({ context, event }) => {
      if (event.type !== 'amqp.returned') return;
      const entry = context.pending.get(event.id);
      if (!entry) return;
      context.observer?.published?.('returned');
      // A returned forward or worker reply still gets its confirm, which acknowledges the delivery.
      if (entry.ackOnConfirm) {
        // A reply taken from a reply queue and returned is a forward whose owner is gone.
        if (context.replies?.queues.includes(entry.ackOnConfirm.queue)) context.observer?.replyDropped?.('orphaned');
        return;
      }
      context.pending.remove(event.id, 'abandoned');
      notify(entry.notify, { type: 'broker.rejected', id: event.id, code: 'NO_ROUTE', message: `no queue accepted the message (${event.replyText})` });
    },
    routeDelivery: ({ context, event, self }) => {
      if (event.type !== 'amqp.delivery') return;
      const decision = decideDelivery(event.delivery, context.replies, context.pending);
      switch (decision.kind) {
        case 'reply':
          context.pending.remove(decision.entry.message.id, 'answered');
          ack(self, event.delivery);
          notify(decision.entry.notify, { type: 'broker.reply', id: decision.entry.message.id, delivery: event.delivery });
          break;
        case 'forward':
          // Through the mailbox, so that the state decides: published now, or kept in the outbox.
          if (!isStale(context, event.delivery)) self.send({ type: 'broker.publish', message: decision.message, ackOnConfirm: event.delivery });
          break;
        case 'drop':
          context.observer?.replyDropped?.(decision.reason);
          context.logger.debug({ correlationId: event.delivery.correlationId, reason: decision.reason }, 'reply dropped');
          ack(self, event.delivery);
          break;
        case 'work':
          if (isStale(context, event.delivery)) break; // redelivered on the current connection
          if (context.onDelivery) context.onDelivery(event.delivery, self);
          else ack(self, event.delivery);
          break;
      }
    },
    ackDelivery: ({ event, self }) => {
      if (event.type === 'broker.ack') ack(self, event.delivery);
    },
    cancelPending: ({ context, event }) => {
      if (event.type === 'broker.cancel') context.pending.remove(event.id, 'abandoned');
    },
    closeSession: ({ self }) => toSession(self, { type: 'amqp.close' }),
    recordConnected: assign(({ event, context }) => {
      if (event.type !== 'amqp.ready') return {};
      context.logger.info({ host: event.host, generation: context.generation }, 'broker connected');
      return { attempt: 0, connectedTo: event.host, firstUrl: event.urlIndex, lastError: null };
    }),
    recordConnectionLost: assign(({ event, context }) => {
      const reason = event.type === 'amqp.closed' || event.type === 'amqp.failed' ? (event.reason ?? 'closed') : 'unknown';
      context.pending.connectionLost();
      const wasConnected = context.connectedTo !== null;
      // Log the first failure of a series, not every retry.
      if (wasConnected || context.attempt === 0) context.logger.warn({ reason, attempt: context.attempt }, 'broker connection lost; reconnecting');
      else context.logger.debug({ reason, attempt: context.attempt }, 'broker connection attempt failed');
      context.epochs.clear();
      return {
        // Events still on their way from the lost session are recognised as stale from here on.
        generation: context.generation + 1,
        attempt: context.attempt + 1,
        // A node that dropped us goes to the back of the list.
        firstUrl: wasConnected ? (context.firstUrl + 1) % context.urls.length : context.firstUrl,
        connectedTo: null,
        lastError: reason,
        reconnects: context.reconnects + (wasConnected ? 1 : 0),
      };
    }),
    failEverythingPending: ({ context }) => {
      for (const entry of context.pending.all()) {
        context.pending.remove(entry.message.id, 'abandoned');
        notify(entry.notify, { type: 'broker.rejected', id: entry.message.id, code: 'BROKER_UNAVAILABLE', message: 'the relay closed its broker connection' });
      }
    },
    reportState: ({ context }, params: { state: BrokerStateName }) => context.observer?.stateChanged?.(params.state),
    recordBlocked: assign(({ context, event }) => {
      const reason = event.type === 'amqp.blocked' ? event.reason : 'unknown';
      context.logger.warn({ reason }, 'broker blocked publishing; new requests wait in the outbox');
      return { lastError: `the broker blocked publishing (${reason})` };
    }),
    recordUnblocked: assign(({ context }) => {
      context.logger.info('broker unblocked publishing');
      return { lastError: null };
    }),
    logClosed: ({ context }) => context.logger.info('broker connection closed'),
  },
}).createMachine({
  id: 'broker',
  context: ({ input }) => ({
    ...input,
    pending: new PendingMessages(),
    generation: 1,
    attempt: 0,
    firstUrl: 0,
    reconnects: 0,
    connectedTo: null,
    lastError: null,
    epochs: new Map(),
  }),
  initial: 'online',
  on: {
    'broker.publish': { actions: 'bufferPublish' },
    'broker.cancel': { actions: 'cancelPending' },
    'broker.ack': { actions: 'ackDelivery' },
    'amqp.confirmed': { actions: 'settleConfirm' },
    'amqp.nacked': { actions: 'settleNack' },
    'amqp.returned': { actions: 'settleReturn' },
    'amqp.delivery': { actions: 'routeDelivery' },
    'amqp.channelReset': { guard: 'fromCurrentSession', actions: 'republishChannel' },
  },
  states: {
    online: {
      invoke: {
        id: 'session',
        src: 'amqpSession',
        input: ({ context }) => ({
          urls: context.urls,
          firstUrl: context.firstUrl,
          heartbeatSeconds: context.heartbeatSeconds,
          connectTimeoutMs: context.connectTimeoutMs ?? 5_000,
          topology: context.topology,
          generation: context.generation,
          connectionName: context.connectionName,
          logger: context.logger,
          ...(context.tls ? { tls: context.tls } : {}),
        }),
      },
      initial: 'connecting',
      on: {
        'amqp.closed': { guard: 'fromCurrentSession', target: 'reconnecting', actions: 'recordConnectionLost' },
        'amqp.failed': { guard: 'fromCurrentSession', target: 'reconnecting', actions: 'recordConnectionLost' },
        'broker.close': '.closing',
      },
      states: {
        connecting: {
          entry: { type: 'reportState', params: { state: 'connecting' } },
          on: { 'amqp.ready': { guard: 'fromCurrentSession', target: 'connected', actions: 'recordConnected' } },
        },
        connected: {
          entry: ['flushOutbox', { type: 'reportState', params: { state: 'connected' } }],
          on: {
            'broker.publish': { actions: 'publishNow' },
            'amqp.blocked': { guard: 'fromCurrentSession', target: 'blocked' },
          },
        },
        blocked: {
          entry: ['recordBlocked', { type: 'reportState', params: { state: 'blocked' } }],
          on: { 'amqp.unblocked': { guard: 'fromCurrentSession', target: 'connected', actions: 'recordUnblocked' } },
        },
        closing: {
          entry: ['closeSession', { type: 'reportState', params: { state: 'closing' } }],
          on: {
            'broker.close': {},
            'broker.publish': { actions: 'rejectPublish' },
            'amqp.closed': { guard: 'fromCurrentSession', target: '#broker.closed' },
            'amqp.failed': { guard: 'fromCurrentSession', target: '#broker.closed' },
          },
        },
      },
    },
    reconnecting: {
      entry: { type: 'reportState', params: { state: 'reconnecting' } },
      after: { reconnectDelay: 'online' },
      on: { 'broker.close': 'closed' },
    },
    closed: {
      type: 'final',
      entry: ['failEverythingPending', { type: 'reportState', params: { state: 'closed' } }, 'logClosed'],
    },
  },
});

export type BrokerActorRef = ActorRefFrom<typeof brokerMachine>;

/** The leaf state's name, as /readyz and /debug/actors show it. */
export function brokerStateOf(snapshot: { value: unknown }): BrokerStateName {
  const value = snapshot.value;
  if (typeof value === 'string') return value as BrokerStateName;
  const online = (value as { online?: string }).online;
  return (online ?? 'connecting') as BrokerStateName;
}
