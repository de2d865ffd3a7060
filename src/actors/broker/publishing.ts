import type { AnyActorRef } from 'xstate';
import type { BrokerContext, SessionLink } from './broker.context.ts';
import { ack, isStale } from './delivery.ts';
import type { BrokerNotice, PublishCommand } from './events.ts';
import type { OutboundMessage } from './messages.ts';

/** The broker machine's effects on what it publishes: the outbox, confirms, nacks and returns. */

export function notify(ref: AnyActorRef | undefined, notice: BrokerNotice): void {
  ref?.send(notice);
}

function toPending(command: PublishCommand) {
  return { message: command.message, notify: command.notify, expectReply: command.expectReply ?? false, ackOnConfirm: command.ackOnConfirm };
}

/** A reply or forward whose delivery is stale is dropped: publishing it would only duplicate the answer to the redelivery. */
function dropsStaleAck(context: BrokerContext, command: PublishCommand): boolean {
  if (!command.ackOnConfirm || !isStale(context, command.ackOnConfirm)) return false;
  context.logger.debug({ id: command.message.id }, 'reply to a delivery of an earlier connection dropped; it is redelivered');
  return true;
}

/** Connected: every command goes to the session at once, in one amqp.publish. */
export function publishNow(context: BrokerContext, session: SessionLink, commands: readonly PublishCommand[]): void {
  const messages: OutboundMessage[] = [];
  for (const command of commands) {
    if (dropsStaleAck(context, command)) continue;
    context.pending.add(toPending(command), 'sent');
    messages.push(command.message);
  }
  if (messages.length > 0) session?.send({ type: 'amqp.publish', messages });
}

/** Not connected: into the outbox (bounded), and the requester is told it is waiting there. */
export function bufferPublish(context: BrokerContext, commands: readonly PublishCommand[]): void {
  for (const command of commands) {
    if (dropsStaleAck(context, command)) continue;
    const id = command.message.id;
    if (context.pending.outbox >= context.maxBuffered) {
      notify(command.notify, { type: 'broker.rejected', id, code: 'BROKER_UNAVAILABLE', message: 'the broker is unreachable and the outbox is full' });
      continue;
    }
    context.pending.add(toPending(command), 'queued');
    notify(command.notify, { type: 'broker.queued', id });
  }
}

export function rejectPublish(commands: readonly PublishCommand[]): void {
  for (const command of commands) {
    notify(command.notify, { type: 'broker.rejected', id: command.message.id, code: 'BROKER_UNAVAILABLE', message: 'the broker connection is closed' });
  }
}

export function flushOutbox(context: BrokerContext, session: SessionLink): void {
  const queued = context.pending.queued();
  if (queued.length === 0) return;
  for (const entry of queued) {
    context.pending.mark(entry, 'sent');
    notify(entry.notify, { type: 'broker.sent', id: entry.message.id });
  }
  session?.send({ type: 'amqp.publish', messages: queued.map((entry) => entry.message) });
}

export function republishChannel(context: BrokerContext, session: SessionLink, channel: string, epoch: number, reason: string): void {
  context.epochs.set(channel, epoch);
  const again = context.pending.channelReset(channel, context.generation, epoch);
  context.logger.warn({ channel, reason, republished: again.length }, 'channel reopened; publishing its unconfirmed messages again');
  if (again.length > 0) session?.send({ type: 'amqp.publish', messages: again.map((entry) => entry.message) });
}

export function settleConfirm(context: BrokerContext, session: SessionLink, id: string): void {
  // Counted even when a reply that beat the confirm has already settled the entry.
  context.observer?.published?.('confirmed');
  const entry = context.pending.get(id);
  if (!entry) return;
  if (entry.ackOnConfirm) ack(session, entry.ackOnConfirm);
  if (entry.expectReply) context.pending.mark(entry, 'confirmed');
  else context.pending.remove(id);
  notify(entry.notify, { type: 'broker.confirmed', id });
}

/** A nack (or a message amqplib cannot encode) fails that one message; a forward's delivery is acknowledged and counted. */
export function settleNack(context: BrokerContext, session: SessionLink, id: string, reason: string): void {
  context.observer?.published?.('nacked');
  const entry = context.pending.remove(id, 'abandoned');
  if (!entry) return;
  if (entry.ackOnConfirm) {
    if (context.replies?.queues.includes(entry.ackOnConfirm.queue)) context.observer?.replyDropped?.('unforwardable');
    context.logger.warn({ id, reason }, 'reply could not be passed on; acknowledged and dropped');
    ack(session, entry.ackOnConfirm);
    return;
  }
  notify(entry.notify, { type: 'broker.rejected', id, code: 'BROKER_UNAVAILABLE', message: reason });
}

export function settleReturn(context: BrokerContext, id: string, replyText: string): void {
  const entry = context.pending.get(id);
  if (!entry) return;
  context.observer?.published?.('returned');
  // A returned forward or worker reply still gets its confirm, which acknowledges the delivery.
  if (entry.ackOnConfirm) {
    // A reply taken from a reply queue and returned is a forward whose owner is gone.
    if (context.replies?.queues.includes(entry.ackOnConfirm.queue)) context.observer?.replyDropped?.('orphaned');
    return;
  }
  context.pending.remove(id, 'abandoned');
  notify(entry.notify, { type: 'broker.rejected', id, code: 'NO_ROUTE', message: `no queue accepted the message (${replyText})` });
}

export function failEverythingPending(context: BrokerContext): void {
  for (const entry of context.pending.all()) {
    context.pending.remove(entry.message.id, 'abandoned');
    notify(entry.notify, { type: 'broker.rejected', id: entry.message.id, code: 'BROKER_UNAVAILABLE', message: 'the relay closed its broker connection' });
  }
}
