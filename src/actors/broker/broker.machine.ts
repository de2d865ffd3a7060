import { type ActorRefFrom, assign, setup, type SnapshotFrom } from 'xstate';
import { leafState } from '../state-name.ts';
import { amqpSession } from './amqp-session.ts';
import { releaseEventsAfterActions } from './release-event.ts';
import { fullJitterDelay } from './backoff.ts';
import type { BrokerContext, BrokerInput, BrokerStateName } from './broker.context.ts';
import { routeDelivery } from './consuming.ts';
import { ack } from './delivery.ts';
import type { BrokerEvent, PublishCommand } from './events.ts';
import { PendingMessages } from './pending.ts';
import * as publishing from './publishing.ts';

export type { BrokerInput, BrokerObserver, BrokerStateName } from './broker.context.ts';

/** The publish commands an event carries: one, or a turn's worth. */
function publishesOf(event: BrokerEvent): readonly PublishCommand[] {
  if (event.type === 'broker.publish') return [event];
  if (event.type === 'broker.publishBatch') return event.commands;
  return [];
}

/**
 * The BrokerActor: one connection's lifecycle (online{connecting, connected, blocked, closing},
 * reconnecting with backoff, closed), the outbox and everything unconfirmed (PendingMessages), and
 * the routing of what is consumed. Live handles stay in the amqpSession actor it invokes; the
 * effects on publishing and consuming are in publishing.ts and consuming.ts.
 */
const brokerDefinition = setup({
  types: {
    context: {} as BrokerContext,
    events: {} as BrokerEvent,
    input: {} as BrokerInput,
    children: {} as { session: 'amqpSession' },
  },
  actors: { amqpSession },
  guards: {
    fromCurrentSession: ({ context, event }) => !('generation' in event) || event.generation === context.generation,
  },
  delays: {
    reconnectDelay: ({ context }) => fullJitterDelay(context.attempt, context.reconnect.baseMs, context.reconnect.maxMs),
  },
  actions: {
    publishNow: ({ context, event, self }) => publishing.publishNow(context, self.getSnapshot().children.session, publishesOf(event)),
    bufferPublish: ({ context, event }) => publishing.bufferPublish(context, publishesOf(event)),
    rejectPublish: ({ event }) => publishing.rejectPublish(publishesOf(event)),
    flushOutbox: ({ context, self }) => publishing.flushOutbox(context, self.getSnapshot().children.session),
    republishChannel: ({ context, event, self }) => {
      if (event.type === 'amqp.channelReset') publishing.republishChannel(context, self.getSnapshot().children.session, event.channel, event.epoch, event.reason);
    },
    settleConfirm: ({ context, event, self }) => {
      if (event.type !== 'amqp.confirmed') return;
      const session = self.getSnapshot().children.session;
      for (const id of event.ids) publishing.settleConfirm(context, session, id);
    },
    settleNack: ({ context, event, self }) => {
      if (event.type === 'amqp.nacked') publishing.settleNack(context, self.getSnapshot().children.session, event.id, event.reason);
    },
    settleReturn: ({ context, event }) => {
      if (event.type === 'amqp.returned') publishing.settleReturn(context, event.id, event.replyText);
    },
    routeDelivery: ({ context, event, self }) => {
      if (event.type !== 'amqp.deliveries') return;
      const session = self.getSnapshot().children.session;
      for (const delivery of event.deliveries) routeDelivery(context, session, self, delivery);
    },
    ackDelivery: ({ event, self }) => {
      if (event.type === 'broker.ack') ack(self.getSnapshot().children.session, event.delivery);
    },
    cancelPending: ({ context, event }) => {
      if (event.type === 'broker.cancel') context.pending.remove(event.id, 'abandoned');
    },
    failEverythingPending: ({ context }) => publishing.failEverythingPending(context),
    closeSession: ({ self }) => self.getSnapshot().children.session?.send({ type: 'amqp.close' }),
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
    'broker.publishBatch': { actions: 'bufferPublish' },
    'broker.cancel': { actions: 'cancelPending' },
    'broker.ack': { actions: 'ackDelivery' },
    'amqp.confirmed': { actions: 'settleConfirm' },
    'amqp.nacked': { actions: 'settleNack' },
    'amqp.returned': { actions: 'settleReturn' },
    'amqp.deliveries': { actions: 'routeDelivery' },
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
            'broker.publishBatch': { actions: 'publishNow' },
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
            'broker.publishBatch': { actions: 'rejectPublish' },
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

/** The broker machine as it runs: its actions let go of their events (see release-event.ts). */
export const brokerMachine = releaseEventsAfterActions(brokerDefinition);

export type BrokerActorRef = ActorRefFrom<typeof brokerMachine>;
export type BrokerSnapshot = SnapshotFrom<typeof brokerMachine>;

/** The leaf state's name, as /readyz and /debug/actors show it. */
export function brokerStateOf(snapshot: BrokerSnapshot): BrokerStateName {
  return leafState(snapshot.value) as BrokerStateName;
}
