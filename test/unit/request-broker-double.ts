import { type AnyActorRef, createActor, fromCallback } from 'xstate';
import type { BrokerCommand } from '../../src/actors/broker/events.ts';
import type { Delivery } from '../../src/actors/broker/types.ts';

type PublishCommand = Extract<BrokerCommand, { type: 'broker.publish' }>;

export interface BrokerDouble {
  /** Pass as the request's `broker`. */
  readonly ref: AnyActorRef;
  /** Every command the broker received, in order. */
  readonly commands: BrokerCommand[];
  confirm(): void;
  reply(content: Buffer | string, headers?: Record<string, unknown>): void;
  reject(code: 'NO_ROUTE' | 'BROKER_UNAVAILABLE', message?: string): void;
}

/**
 * A stand-in for the BrokerActor: a tiny actor that records the commands it receives and answers
 * the last published message through its `notify` ref, as the real broker does.
 */
export function brokerDouble(): BrokerDouble {
  const commands: BrokerCommand[] = [];
  const ref = createActor(fromCallback<BrokerCommand>(({ receive }) => receive((command) => void commands.push(command)))).start();
  const lastPublish = (): PublishCommand => {
    const publish = commands.findLast((c): c is PublishCommand => c.type === 'broker.publish');
    if (!publish?.notify) throw new Error('nothing was published with a notify ref');
    return publish;
  };
  return {
    ref,
    commands,
    confirm: () => {
      const { message, notify } = lastPublish();
      notify!.send({ type: 'broker.confirmed', id: message.id });
    },
    reply: (content, headers = {}) => {
      const { message, notify } = lastPublish();
      notify!.send({ type: 'broker.reply', id: message.id, delivery: deliveryOf(message.id, content, headers) });
    },
    reject: (code, text = 'refused') => {
      const { message, notify } = lastPublish();
      notify!.send({ type: 'broker.rejected', id: message.id, code, message: text });
    },
  };
}

function deliveryOf(correlationId: string, content: Buffer | string, headers: Record<string, unknown>): Delivery {
  return {
    channel: 'ai',
    queue: 'reply',
    generation: 1,
    channelEpoch: 0,
    deliveryTag: 1,
    redelivered: false,
    content: typeof content === 'string' ? Buffer.from(content) : content,
    correlationId,
    replyTo: undefined,
    messageId: undefined,
    type: undefined,
    headers,
    expiration: undefined,
    timestamp: undefined,
  };
}
