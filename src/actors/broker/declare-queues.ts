import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '../../log.ts';
import { describeError } from './broker-url.ts';
import type { QueueSpec } from './messages.ts';

const PRECONDITION_FAILED = 406;
const NOT_FOUND = 404;

function replyCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Declares the queues (or, with declare=false, checks that they exist) on a channel of its own:
 * a refusal closes the channel it happens on, and that must never be one that publishes or
 * consumes. What a refusal means:
 * - PRECONDITION_FAILED on a declare: the queue exists with other settings; it works as it is → warn, carry on;
 * - NOT_FOUND on a check of a queue only published to → warn, carry on (publishing there is returned: NO_ROUTE);
 * - NOT_FOUND on a check of a queue to consume → throw: the caller is not ready, with this reason.
 */
export async function declareQueues(model: ChannelModel, queues: readonly QueueSpec[], consumed: readonly string[], log: Logger): Promise<void> {
  let channel: Channel | undefined;
  try {
    for (const q of queues) {
      try {
        channel ??= await model.createChannel();
        channel.on('error', () => {}); // reported by the rejected operation below
        if (q.declare) {
          await channel.assertQueue(q.name, { durable: q.durable, exclusive: q.exclusive ?? false, autoDelete: q.autoDelete ?? false, arguments: q.arguments });
        } else {
          await channel.checkQueue(q.name);
        }
      } catch (err) {
        channel = undefined; // the broker closed it
        const code = replyCode(err);
        if (code === PRECONDITION_FAILED && q.declare) {
          log.warn({ queue: q.name, reason: describeError(err) }, 'queue exists with other settings; using it as it is');
        } else if (code === NOT_FOUND && !q.declare && !consumed.includes(q.name)) {
          log.warn({ queue: q.name, reason: describeError(err) }, 'request queue not found (RABBITMQ_DECLARE_QUEUES=false); requests to it are answered NO_ROUTE');
        } else {
          throw err;
        }
      }
    }
  } finally {
    await channel?.close().catch(() => {});
  }
}
