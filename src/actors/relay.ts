import { type Actor, type AnyActorLogic, createActor, fromTransition, type InspectionEvent, type Observer, toPromise } from 'xstate';
import type { Config } from '../config/load-config.ts';
import { RelayError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RelayMetrics } from '../metrics.ts';
import type { ClientBody } from '../requests/client-body.ts';
import { addressableOwnerOf, newCorrelationId } from '../requests/correlation-id.ts';
import { type ActorKind, REQUEST_KINDS, type RequestKind } from '../requests/kinds.ts';
import { type AsyncResult, LOOKUP_DEADLINE_MS } from '../requests/lookup.ts';
import { type BrokerActorRef, brokerMachine, brokerStateOf } from './broker/broker.machine.ts';
import { PublishBatcher } from './broker/publish-batcher.ts';
import { type DeadlineClock, InFlightRequests, systemClock } from './in-flight.ts';
import { type LookupResult, lookupMessage, lookupResultOf } from './request/lookup.ts';
import { requestMessage, type TraceHeaders } from './request/messages.ts';
import type { RequestOutcome } from './request/outcome.ts';
import { type RequestInput, requestLogic } from './request/request.logic.ts';
import { skipSessionRegistry } from './session-registry.ts';
import { relayReplyRouting, relayTopology } from './topology.ts';

export interface RequestSpec {
  readonly kind: RequestKind;
  readonly body: ClientBody;
  /** Minted once, at the HTTP edge. */
  readonly correlationId: string;
  /** When the HTTP request was accepted (epoch ms): the deadline counts from here. */
  readonly acceptedAt: number;
  /** A client's shorter deadline (X-Timeout-Ms); capped at the kind's own. */
  readonly timeoutMs?: number;
  readonly trace?: TraceHeaders;
}

export interface Readiness {
  readonly ready: boolean;
  readonly broker: string;
  readonly reason?: string;
}

export interface ActorsSnapshot {
  readonly broker: { readonly state: string; readonly reconnects: number; readonly outbox: number; readonly unconfirmed: number; readonly awaitingReply: number; readonly connectedTo: string | null; readonly lastError: string | null };
  readonly requests: ReadonlyArray<{ readonly id: string; readonly correlationId: string; readonly kind: ActorKind; readonly state: string; readonly ageMs: number }>;
}

/** What the HTTP layer needs from the actor system, and nothing about AMQP. */
export interface RelayPort {
  /**
   * Runs one request to its outcome; the promise never rejects. Throws RelayError OVERLOADED at
   * once, before anything is created, when admission control refuses it.
   */
  submit(spec: RequestSpec): Promise<RequestOutcome>;
  /**
   * Asks the instance that owns `correlationId` (its prefix) for its async result, through the
   * broker; within LOOKUP_DEADLINE_MS of `acceptedAt`; never rejects. Only for ids of other instances.
   */
  lookup(correlationId: string, acceptedAt: number): Promise<LookupResult>;
  readiness(): Readiness;
  actors(): ActorsSnapshot;
  readonly inFlight: number;
}

export interface RelayDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: RelayMetrics;
  readonly inspect?: Observer<InspectionEvent> | ((e: InspectionEvent) => void);
  readonly clock?: DeadlineClock;
  /** The async results this instance owns, for other instances' lookups (an in-memory read). */
  readonly answerLookup?: (correlationId: string) => AsyncResult | undefined;
}

/** The root of the relay's actor system: it only holds the system together (events to it change nothing). */
const relayRoot = fromTransition((state: null) => state, null);

/**
 * The actor system: a root, one BrokerActor, and one RequestActor per request, all in one system
 * (so one inspection observer sees them all). Request actors are created with the root as parent,
 * never spawned into a machine (spawn and stop are O(children) there), and their deadlines are
 * plain timers (see InFlightRequests): a request costs the same whatever else is in flight.
 */
export class Relay implements RelayPort {
  readonly root: Actor<AnyActorLogic>;
  readonly broker: BrokerActorRef;
  readonly requests: InFlightRequests;
  private readonly batcher: PublishBatcher;

  constructor(private readonly deps: RelayDeps) {
    const { config, logger, metrics, inspect } = deps;
    this.root = createActor(relayRoot, { id: 'relay', ...(inspect ? { inspect } : {}) });
    skipSessionRegistry(this.root.system);
    this.broker = createActor(brokerMachine, {
      parent: this.root,
      id: 'broker',
      input: {
        urls: config.amqp.urls,
        heartbeatSeconds: config.amqp.heartbeatSeconds,
        topology: relayTopology(config),
        reconnect: config.amqp.reconnect,
        maxBuffered: config.amqp.maxBufferedRequests,
        connectionName: `amqp-relay ${config.instanceId}`,
        ...(config.amqp.tls ? { tls: config.amqp.tls } : {}),
        logger: logger.child({ component: 'broker' }),
        replies: relayReplyRouting(config, deps.answerLookup),
        ...(metrics ? { observer: metrics.brokerObserver() } : {}),
      },
    });
    this.broker.subscribe({ error: (err) => logger.fatal({ err }, 'broker actor failed') });
    this.batcher = new PublishBatcher(this.broker);
    this.requests = new InFlightRequests(deps.clock ?? systemClock);
  }

  start(): this {
    this.root.start();
    this.broker.start();
    return this;
  }

  get outbox(): number {
    return this.broker.getSnapshot().context.pending.outbox;
  }

  get inFlight(): number {
    return this.requests.size;
  }

  submit(spec: RequestSpec): Promise<RequestOutcome> {
    const { config } = this.deps;
    const { kind, correlationId, acceptedAt } = spec;
    const kindDeadline = REQUEST_KINDS[kind].deadlineMs(config.timeouts);
    const deadlineAt = acceptedAt + Math.min(spec.timeoutMs ?? kindDeadline, kindDeadline);
    const message = requestMessage(config, kind, correlationId, spec.body, deadlineAt, spec.trace);
    return this.run({ correlationId, kind, message, acceptedAt, deadlineAt, replyOptional: REQUEST_KINDS[kind].replyOptional });
  }

  lookup(correlationId: string, acceptedAt: number): Promise<LookupResult> {
    return this.askOwner(correlationId, acceptedAt).then((result) => {
      this.deps.metrics?.lookups.inc({ outcome: result.kind === 'found' ? 'found' : result.kind === 'notFound' ? result.reason : result.code });
      return result;
    });
  }

  private askOwner(correlationId: string, acceptedAt: number): Promise<LookupResult> {
    const { config, logger } = this.deps;
    const owner = addressableOwnerOf(correlationId);
    if (owner === undefined) return Promise.resolve({ kind: 'notFound', reason: 'notAnInstance' });
    if (owner === config.instanceId) return Promise.resolve({ kind: 'notFound', reason: 'ownId' });
    // Without a connection the lookup would only wait in the outbox until its deadline.
    if (brokerStateOf(this.broker.getSnapshot()) !== 'connected') {
      return Promise.resolve({ kind: 'failed', code: 'BROKER_UNAVAILABLE', message: 'the broker is unreachable: the owner of this request cannot be asked' });
    }
    const lookupId = newCorrelationId(config.instanceId);
    const deadlineAt = acceptedAt + LOOKUP_DEADLINE_MS;
    const message = lookupMessage(config, lookupId, owner, correlationId, deadlineAt);
    return this.run({ correlationId: lookupId, kind: 'lookup', message, acceptedAt, deadlineAt, replyOptional: false }).then((outcome) =>
      lookupResultOf(outcome, logger.child({ correlationId: lookupId })),
    );
  }

  /** One request actor, from admission to its outcome, registered in flight with its deadline. */
  private run(input: Omit<RequestInput, 'broker'>): Promise<RequestOutcome> {
    const { logger } = this.deps;
    const { correlationId, kind, message, acceptedAt, deadlineAt, replyOptional } = input;
    this.admit(message.content.length);
    // Field by field: V8 (Node 20) gives an object spread and then extended a new hidden class each time.
    const requestInput: RequestInput = { correlationId, kind, message, broker: this.batcher, acceptedAt, deadlineAt, replyOptional };
    const actor = createActor(requestLogic, { parent: this.root, input: requestInput });
    this.requests.add({ actor, correlationId, kind, acceptedAt, deadlineAt, bytes: message.content.length });
    const outcome = toPromise(actor).then(
      (output) => {
        this.requests.remove(correlationId);
        return output;
      },
      (err: unknown): RequestOutcome => {
        this.requests.remove(correlationId);
        logger.error({ err, correlationId }, 'request actor failed');
        return { ok: false, code: 'INTERNAL', message: 'the request failed inside the relay' };
      },
    );
    actor.start();
    return outcome;
  }

  /** Throws OVERLOADED when one more request would pass MAX_IN_FLIGHT_REQUESTS or MAX_IN_FLIGHT_BYTES. */
  private admit(bytes: number): void {
    const { maxInFlightRequests, maxInFlightBytes } = this.deps.config.admission;
    if (this.requests.size >= maxInFlightRequests) {
      throw new RelayError('OVERLOADED', `${maxInFlightRequests} requests are in flight already; try again later`);
    }
    if (this.requests.bytes + bytes > maxInFlightBytes) {
      throw new RelayError('OVERLOADED', `the requests in flight hold ${maxInFlightBytes} bytes already; try again later`);
    }
  }

  readiness(): Readiness {
    const snapshot = this.broker.getSnapshot();
    const state = brokerStateOf(snapshot);
    const { pending, lastError } = snapshot.context;
    if (state !== 'connected') return { ready: false, broker: state, reason: lastError ?? `broker is ${state}` };
    if (pending.outbox >= this.deps.config.amqp.maxBufferedRequests) return { ready: false, broker: state, reason: 'outbox is full' };
    return { ready: true, broker: state };
  }

  actors(): ActorsSnapshot {
    const snapshot = this.broker.getSnapshot();
    const { pending, reconnects, connectedTo, lastError } = snapshot.context;
    const now = Date.now();
    return {
      broker: {
        state: brokerStateOf(snapshot),
        reconnects,
        outbox: pending.outbox,
        unconfirmed: pending.unconfirmed,
        awaitingReply: pending.size - pending.unconfirmed,
        connectedTo,
        lastError,
      },
      requests: this.requests.oldest().map((r) => ({
        id: r.actor.sessionId,
        correlationId: r.correlationId,
        kind: r.kind,
        state: r.actor.getSnapshot().value,
        ageMs: now - r.acceptedAt,
      })),
    };
  }

  /** Resolves true when no request is in flight, or false after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean> {
    return this.requests.whenEmpty(timeoutMs);
  }

  /** Ends every request still in flight with SHUTTING_DOWN (the end of a shutdown's drain); returns how many. */
  failUnfinished(message: string): number {
    const unfinished = this.requests.oldest();
    for (const request of unfinished) request.actor.send({ type: 'request.abort', message });
    return unfinished.length;
  }

  /** Closes channels and connection once outstanding confirms are in. */
  async stop(): Promise<void> {
    this.batcher.flush();
    const done = new Promise<void>((resolve) => {
      this.broker.subscribe({ complete: () => resolve(), error: () => resolve() });
      if (this.broker.getSnapshot().status !== 'active') resolve();
    });
    this.broker.send({ type: 'broker.close' });
    await done;
    this.root.stop();
  }
}
