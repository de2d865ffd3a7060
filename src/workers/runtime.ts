import { randomUUID } from 'node:crypto';
import { type AnyActorRef, createActor, type Snapshot } from 'xstate';
import { type BrokerActorRef, brokerMachine } from '../actors/broker/broker.machine.ts';
import type { TlsMaterial } from '../actors/broker/tls.ts';
import type { Delivery, QueueSpec } from '../actors/broker/messages.ts';
import type { Logger } from '../log.ts';

/** What a handler returns: a JSON reply, or a failure the relay reports as WORKER_ERROR. */
export type WorkResult = { readonly reply: unknown } | { readonly error: string };

export interface WorkRequest {
  readonly body: unknown;
  readonly type: string | undefined;
  readonly correlationId: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
}

export type Handler = (request: WorkRequest) => Promise<WorkResult>;

export interface WorkerOptions {
  readonly name: string;
  readonly urls: readonly string[];
  readonly queues: readonly QueueSpec[];
  readonly handle: Handler;
  readonly logger: Logger;
  readonly prefetch?: number;
  readonly heartbeatSeconds?: number;
  readonly reconnect?: { readonly baseMs: number; readonly maxMs: number };
  /** CA, client certificate and key for amqps:// URLs (the relay's RABBITMQ_*_FILE settings). */
  readonly tls?: TlsMaterial;
}

const WORK_CHANNEL = 'work';

function parse(content: Buffer): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * A worker on the same BrokerActor as the relay (so it reconnects the same way). Each request is
 * acknowledged only once its reply is confirmed: a connection drop before that redelivers it.
 */
export function startWorker(options: WorkerOptions): { broker: BrokerActorRef; stop(): Promise<void> } {
  const log = options.logger.child({ component: options.name });
  const onDelivery = (delivery: Delivery, broker: AnyActorRef) => {
    const request: WorkRequest = { body: parse(delivery.content), type: delivery.type, correlationId: delivery.correlationId, headers: delivery.headers };
    const started = performance.now();
    options
      .handle(request)
      .catch((err: unknown): WorkResult => ({ error: err instanceof Error ? err.message : String(err) }))
      .then((result) => {
        log.info({ correlationId: delivery.correlationId, type: delivery.type, ok: 'reply' in result, ms: Math.round(performance.now() - started) }, 'request handled');
        // Stopped meanwhile: the unacknowledged request goes back to the queue for another worker.
        if ((broker.getSnapshot() as Snapshot<unknown>).status !== 'active') return;
        if (!delivery.replyTo) {
          broker.send({ type: 'broker.ack', delivery });
          return;
        }
        const isError = 'error' in result;
        broker.send({
          type: 'broker.publish',
          ackOnConfirm: delivery,
          message: {
            id: `reply.${randomUUID()}`,
            channel: WORK_CHANNEL,
            exchange: '',
            routingKey: delivery.replyTo,
            content: Buffer.from(JSON.stringify(isError ? { message: result.error } : result.reply)),
            mandatory: false,
            properties: {
              correlationId: delivery.correlationId,
              contentType: 'application/json',
              type: delivery.type,
              appId: options.name,
              deliveryMode: 2,
              headers: { ...(isError ? { 'x-status': 'error' } : {}), ...(delivery.headers.traceparent ? { traceparent: delivery.headers.traceparent } : {}) },
            },
          },
        });
      })
      .catch((err: unknown) => log.error({ err, correlationId: delivery.correlationId }, 'reply not sent'));
  };
  const broker = createActor(brokerMachine, {
    input: {
      urls: options.urls,
      heartbeatSeconds: options.heartbeatSeconds ?? 10,
      topology: {
        channels: [{ name: WORK_CHANNEL, prefetch: options.prefetch ?? 32, queues: options.queues, consume: options.queues.map((q) => q.name) }],
      },
      reconnect: options.reconnect ?? { baseMs: 100, maxMs: 5_000 },
      maxBuffered: 10_000,
      connectionName: options.name,
      logger: log,
      ...(options.tls ? { tls: options.tls } : {}),
      onDelivery,
    },
  });
  broker.subscribe({ error: (err) => log.fatal({ err }, 'worker broker actor failed') });
  broker.start();
  return {
    broker,
    stop: () =>
      new Promise<void>((resolve) => {
        if (broker.getSnapshot().status !== 'active') return resolve();
        broker.subscribe({ complete: () => resolve(), error: () => resolve() });
        broker.send({ type: 'broker.close' });
      }),
  };
}
