import type { AnyActorRef } from 'xstate';
import type { BrokerContext, SessionLink } from './broker.context.ts';
import type { PublishCommand } from './events.ts';
import { ack, isStale } from './delivery.ts';
import type { Delivery } from './messages.ts';
import { notify } from './publishing.ts';
import { decideDelivery } from './routing.ts';

/** The broker machine's effects on what it consumes: replies routed by correlation id, forwards, lookups answered, drops, work. */

export function routeDelivery(context: BrokerContext, session: SessionLink, self: AnyActorRef, delivery: Delivery): void {
  const decision = decideDelivery(delivery, context.replies, context.pending);
  switch (decision.kind) {
    case 'reply':
      context.pending.remove(decision.entry.message.id, 'answered');
      ack(session, delivery);
      notify(decision.entry.notify, { type: 'broker.reply', id: decision.entry.message.id, delivery });
      break;
    case 'forward':
    case 'answer': {
      // Through the mailbox, so that the state decides: published now, or kept in the outbox.
      const forward: PublishCommand = { type: 'broker.publish', message: decision.message, ackOnConfirm: delivery };
      if (!isStale(context, delivery)) self.send(forward);
      break;
    }
    case 'drop':
      context.observer?.replyDropped?.(decision.reason);
      context.logger.debug({ correlationId: delivery.correlationId, reason: decision.reason }, 'reply dropped');
      ack(session, delivery);
      break;
    case 'work':
      if (isStale(context, delivery)) break; // redelivered on the current connection
      if (context.onDelivery) context.onDelivery(delivery, self);
      else ack(session, delivery);
      break;
  }
}
