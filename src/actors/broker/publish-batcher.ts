import type { AnyActorRef } from 'xstate';
import { Batch } from '../../batch.ts';
import type { BrokerPort } from '../request/request.logic.ts';
import type { PublishCommand } from './events.ts';
import type { OutboundMessage } from './messages.ts';

/**
 * The request actors' way to the BrokerActor: every publish of one event-loop turn reaches it as a
 * single `broker.publishBatch` event (one machine step instead of one per request), sent before
 * the next turn does any I/O. A cancel first sends what is waiting, so that order is kept; so does
 * the relay before it closes the broker.
 */
export class PublishBatcher implements BrokerPort {
  private readonly commands: Batch<PublishCommand>;

  constructor(private readonly broker: AnyActorRef) {
    this.commands = new Batch(setImmediate, (commands) =>
      broker.send(commands.length === 1 ? commands[0]! : { type: 'broker.publishBatch', commands }),
    );
  }

  publish(message: OutboundMessage, notify: AnyActorRef): void {
    this.commands.add({ type: 'broker.publish', message, notify, expectReply: true });
  }

  cancel(id: string): void {
    this.flush();
    this.broker.send({ type: 'broker.cancel', id });
  }

  /** Sends what is waiting now. */
  flush(): void {
    this.commands.flush();
  }
}
