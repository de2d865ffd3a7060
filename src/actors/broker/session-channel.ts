import type { ChannelModel, ConfirmChannel, Message } from 'amqplib';
import type { Logger } from '../../log.ts';
import { describeError } from './broker-url.ts';
import { publishWithConfirm } from './confirm-publish.ts';
import { declareQueues } from './declare-queues.ts';
import { toDelivery } from './delivery.ts';
import type { ChannelSpec, Delivery, OutboundMessage } from './messages.ts';
import type { SessionEvent } from './session-events.ts';

const REOPEN_DELAY_MS = 100;

/** A returned message carries the broker's reason among its fields (amqplib's types leave it out). */
function replyTextOf(msg: Message): string {
  const text: unknown = Reflect.get(msg.fields, 'replyText');
  return typeof text === 'string' ? text : 'unroutable';
}
/**
 * RabbitMQ 3.10: a channel that published to a quorum queue while the queue had no leader (its
 * node just died) goes on nacking every later publish to that queue, while a new channel is acked.
 * A nack fails only its own message; with quorum queues (RABBITMQ_QUEUE_TYPE=quorum), this many
 * nacks in a row to one destination, with no confirm for it between them, reopen the channel (what
 * it had not confirmed is then published again). With classic queues a nack means the queue refused
 * the message (a full `reject-publish` queue): the channel, its consumers and everything else it
 * carries stay as they are.
 * Counted per destination: publishes to the channel's other queues are still confirmed, and would
 * otherwise reset the count for ever (seen in the cluster test: every image request nacked after a
 * failover while the recipe requests on the same channel were confirmed).
 */
const NACKS_IN_A_ROW_TO_REOPEN = 10;

const destinationOf = (message: OutboundMessage) => `${message.exchange}\u0000${message.routingKey}`;

export interface ChannelHost {
  readonly generation: number;
  readonly log: Logger;
  sendBack(event: SessionEvent): void;
  /** A confirm: gathered with the others of the same burst into one amqp.confirmed. */
  confirmed(id: string): void;
  /** A delivery: gathered with the others of the same burst into one amqp.deliveries. */
  delivered(delivery: Delivery): void;
  /** True once the session is closing or finished: nothing is reopened any more. */
  isOver(): boolean;
  /** The channel could not be reopened: the connection is given up. */
  giveUp(): void;
}

/**
 * One named confirm channel of a session: opened (declaring its queues and consuming), reopened on
 * the same connection when the broker closes it, publishing with backpressure, acknowledging.
 */
export class SessionChannel {
  /** undefined while the channel is being (re)opened: publishes are dropped, the machine sends them again on channelReset. */
  private current: ConfirmChannel | undefined;
  /** The same channel, from the moment its consumers may deliver: acknowledgements go here. */
  private acking: ConfirmChannel | undefined;
  /** Which opening of this channel `current` is (0 = the first); delivery tags are only valid within one. */
  private epoch = 0;
  private opened = 0;
  /** The reason the broker gave when it closed the channel, for the log and the channelReset event. */
  private lastError: string | undefined;
  /**
   * Set when channel.publish returned false: later publishes wait here, in order, for 'drain'.
   * Bounded without a limit of its own: each message in it is an admitted request (at most
   * MAX_IN_FLIGHT_REQUESTS and MAX_IN_FLIGHT_BYTES) or a reply/forward of an unacknowledged
   * delivery (at most the channel's prefetch).
   */
  private held: OutboundMessage[] | undefined;
  /** Nacks in a row per destination (exchange and routing key): a confirm for it clears its count. */
  private readonly nacksInARow = new Map<string, number>();

  constructor(
    readonly spec: ChannelSpec,
    private readonly model: ChannelModel,
    private readonly host: ChannelHost,
  ) {}

  /** The channel as it is now, for waiting on its confirms before closing. */
  get open(): ConfirmChannel | undefined {
    return this.acking;
  }

  async openOnce(): Promise<number> {
    const { spec, model, host } = this;
    const ch = await model.createConfirmChannel();
    const epoch = this.opened++;
    ch.on('error', (err: unknown) => {
      this.lastError = describeError(err);
      host.log.warn({ channel: spec.name, reason: this.lastError }, 'channel error');
    });
    ch.on('return', (msg: Message) => {
      const id = msg.properties.messageId as string | undefined;
      if (id) host.sendBack({ type: 'amqp.returned', id, replyText: replyTextOf(msg) });
    });
    ch.on('close', () => this.closedByBroker(ch));
    await ch.prefetch(spec.prefetch);
    await declareQueues(model, spec.queues, spec.consume, host.log);
    // Ackable before consuming: a delivery may be acknowledged before `consume` resolves. Publishing
    // only once consuming: what the machine sends meanwhile it sends again on channelReset.
    this.acking = ch;
    this.epoch = epoch;
    for (const queue of spec.consume) {
      await ch.consume(queue, (msg) => {
        if (msg) {
          host.delivered(toDelivery(spec.name, epoch, queue, host.generation, msg));
          return;
        }
        // The broker cancelled the consumer (queue deleted, its node gone): reopen the channel, which declares and consumes again.
        this.lastError = `the broker cancelled the consumer of ${queue}`;
        host.log.warn({ channel: spec.name, queue }, 'consumer cancelled by the broker');
        ch.close().catch(() => {});
      });
    }
    this.current = ch;
    this.nacksInARow.clear();
    return epoch;
  }

  publish(message: OutboundMessage): void {
    const ch = this.current;
    if (!ch) return;
    if (this.held) this.held.push(message);
    else this.send(ch, message);
  }

  ack(deliveryTag: number, channelEpoch: number): void {
    // A tag of an earlier opening of the channel is meaningless here (and would close the channel): that delivery is redelivered anyway.
    if (!this.acking || channelEpoch !== this.epoch) return;
    try {
      this.acking.ack({ fields: { deliveryTag } } as Message);
    } catch {
      // closing channel: the delivery is redelivered
    }
  }

  private send(ch: ConfirmChannel, message: OutboundMessage): void {
    let expiration: string | undefined;
    if (message.deadlineAt !== undefined) {
      const left = message.deadlineAt - Date.now();
      if (left <= 0) return; // nobody waits for it any more; the requester times out on its own
      expiration = String(left);
    }
    const { host } = this;
    let accepted: boolean;
    try {
      accepted = publishWithConfirm(ch, message, expiration, (err: unknown) => {
        if (!err) {
          if (this.nacksInARow.size > 0) this.nacksInARow.delete(destinationOf(message));
          host.confirmed(message.id);
        } else if (describeError(err) === 'message nacked') {
          host.sendBack({ type: 'amqp.nacked', id: message.id, reason: 'the broker refused the message' });
          this.countNack(ch, destinationOf(message));
        }
        // 'channel closed': still unconfirmed; the machine publishes it again after the reset or reconnect.
      });
    } catch (err) {
      if (err instanceof Error && err.name === 'IllegalOperationError') {
        // The channel closed under us: it is published again once the channel is back.
        host.log.debug({ channel: this.spec.name, reason: describeError(err) }, 'publish on a closing channel');
      } else {
        // amqplib could not encode it (a name over 255 bytes, a header it cannot represent): it never will.
        host.sendBack({ type: 'amqp.nacked', id: message.id, reason: `the message cannot be published (${describeError(err)})` });
      }
      return;
    }
    if (!accepted && !this.held) {
      this.held = [];
      ch.once('drain', () => {
        const held = this.held ?? [];
        this.held = undefined;
        if (this.current !== ch) return;
        for (const m of held) this.publish(m);
      });
    }
  }

  private countNack(ch: ConfirmChannel, destination: string): void {
    if (!this.spec.reopenAfterNacks) return;
    const nacks = (this.nacksInARow.get(destination) ?? 0) + 1;
    this.nacksInARow.set(destination, nacks);
    if (nacks < NACKS_IN_A_ROW_TO_REOPEN || this.acking !== ch) return;
    this.lastError = `the broker nacked ${nacks} publishes in a row to one queue`;
    this.nacksInARow.clear();
    ch.close().catch(() => {});
  }

  private closedByBroker(ch: ConfirmChannel): void {
    const { host, spec } = this;
    if (host.isOver() || this.acking !== ch) return;
    this.current = undefined;
    this.acking = undefined;
    this.held = undefined;
    const reason = this.lastError ?? 'channel closed by the broker';
    this.lastError = undefined;
    host.log.warn({ channel: spec.name, reason }, 'channel closed; reopening it on the same connection');
    setTimeout(() => {
      if (host.isOver()) return;
      this.openOnce().then(
        (epoch) => host.sendBack({ type: 'amqp.channelReset', channel: spec.name, reason, generation: host.generation, epoch }),
        (err: unknown) => {
          host.log.error({ channel: spec.name, reason: describeError(err) }, 'channel could not be reopened; dropping the connection');
          host.giveUp();
        },
      );
    }, REOPEN_DELAY_MS).unref();
  }
}
