import type { AnyActorRef } from 'xstate';
import type { BrokerPort } from '../request/request.logic.ts';
import type { PublishCommand } from './events.ts';
import type { OutboundMessage } from './messages.ts';

/**
 * The request actors' way to the BrokerActor: every publish of one event-loop turn reaches it as a
 * single `broker.publishBatch` event (one machine step instead of one per request), sent before
 * the next turn does any I/O. A cancel first sends what is waiting, so that order is kept.
 */
export class PublishBatcher implements BrokerPort {
  private waiting: PublishCommand[] = [];
  private scheduled = false;

  constructor(private readonly broker: AnyActorRef) {}

  publish(message: OutboundMessage, notify: AnyActorRef): void {
    this.waiting.push({ type: 'broker.publish', message, notify, expectReply: true });
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flush);
  }

  cancel(id: string): void {
    this.flush();
    this.broker.send({ type: 'broker.cancel', id });
  }

  readonly flush = (): void => {
    this.scheduled = false;
    if (this.waiting.length === 0) return;
    const commands = this.waiting;
    this.waiting = [];
    this.broker.send(commands.length === 1 ? commands[0]! : { type: 'broker.publishBatch', commands });
  };
}
