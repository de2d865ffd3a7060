import { type AnyActorRef, createActor, type InspectionEvent } from 'xstate';
import type { BrokerCommand, PublishCommand } from '../../src/actors/broker/events.ts';
import type { Delivery } from '../../src/actors/broker/messages.ts';
import { type DeadlineClock, InFlightRequests, type RequestActor, systemClock } from '../../src/actors/in-flight.ts';
import { requestMessage } from '../../src/actors/request/messages.ts';
import { type BrokerPort, requestLogic } from '../../src/actors/request/request.logic.ts';
import type { Config } from '../../src/config/load-config.ts';
import { REQUEST_KINDS, type RequestKind } from '../../src/requests/kinds.ts';
import { bodyOfFields, type ClientBody } from '../../src/requests/client-body.ts';

export interface BrokerDouble {
  /** Pass as the request's `broker`. */
  readonly port: BrokerPort;
  /** Every command the broker received, in order. */
  readonly commands: BrokerCommand[];
  confirm(): void;
  queued(): void;
  sent(): void;
  reply(content: Buffer | string, headers?: Record<string, unknown>): void;
  reject(code: 'NO_ROUTE' | 'BROKER_UNAVAILABLE', message?: string): void;
}

/** A stand-in for the BrokerActor: it records what it is asked and answers the last published message as the real broker does. */
export function brokerDouble(): BrokerDouble {
  const commands: BrokerCommand[] = [];
  const port: BrokerPort = {
    publish: (message, notify) => void commands.push({ type: 'broker.publish', message, notify, expectReply: true }),
    cancel: (id) => void commands.push({ type: 'broker.cancel', id }),
  };
  const lastPublish = (): PublishCommand & { notify: AnyActorRef } => {
    const publish = commands.findLast((c): c is PublishCommand => c.type === 'broker.publish');
    if (!publish?.notify) throw new Error('nothing was published with a notify ref');
    return publish as PublishCommand & { notify: AnyActorRef };
  };
  return {
    port,
    commands,
    confirm: () => {
      const { message, notify } = lastPublish();
      notify.send({ type: 'broker.confirmed', id: message.id });
    },
    queued: () => {
      const { message, notify } = lastPublish();
      notify.send({ type: 'broker.queued', id: message.id });
    },
    sent: () => {
      const { message, notify } = lastPublish();
      notify.send({ type: 'broker.sent', id: message.id });
    },
    reply: (content, headers = {}) => {
      const { message, notify } = lastPublish();
      notify.send({ type: 'broker.reply', id: message.id, delivery: deliveryOf(message.id, content, headers) });
    },
    reject: (code, text = 'refused') => {
      const { message, notify } = lastPublish();
      notify.send({ type: 'broker.rejected', id: message.id, code, message: text });
    },
  };
}

export interface StartedRequest {
  readonly actor: RequestActor;
  readonly broker: BrokerDouble;
  readonly correlationId: string;
  readonly requests: InFlightRequests;
}

/**
 * A request actor as the relay starts one (registered in flight, its deadline armed on `clock`,
 * removed when it ends), on a broker double.
 */
export function startRequestActor(
  config: Config,
  options: { correlationId?: string; acceptedAt?: number; kind?: RequestKind; body?: ClientBody; deadlineMs?: number; clock?: DeadlineClock; inspect?: (e: InspectionEvent) => void; traceparent?: string } = {},
): StartedRequest {
  const kind = options.kind ?? 'recipe_analysis';
  const broker = brokerDouble();
  const requests = new InFlightRequests(options.clock);
  const correlationId = options.correlationId ?? `unit.${Math.random().toString(36).slice(2)}`;
  const acceptedAt = options.acceptedAt ?? (options.clock ?? systemClock).now();
  const deadlineAt = acceptedAt + (options.deadlineMs ?? 5_000);
  const trace = options.traceparent ? { traceparent: options.traceparent } : undefined;
  const message = requestMessage(config, kind, correlationId, options.body ?? bodyOfFields({ recipe_text: 'eggs', url: 'https://example.com' }), deadlineAt, trace);
  const actor = createActor(requestLogic, {
    input: { correlationId, kind, message, broker: broker.port, acceptedAt, deadlineAt, replyOptional: REQUEST_KINDS[kind].replyOptional },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  requests.add({ actor, correlationId, kind, acceptedAt, deadlineAt, bytes: message.content.length });
  actor.subscribe({ complete: () => requests.remove(correlationId) });
  actor.start();
  return { actor, broker, correlationId, requests };
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
