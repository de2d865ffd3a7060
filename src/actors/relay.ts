import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import type { Config } from '../config/index.ts';
import type { RequestErrorCode } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { RelayMetrics } from '../metrics.ts';
import { type BrokerActorRef, brokerMachine, brokerStateOf } from './broker/broker.machine.ts';
import { newCorrelationId, requestMessage, type TraceHeaders } from './request/messages.ts';
import type { RequestKind, RequestOutcome } from './request/outcome.ts';
import { requestMachine } from './request/request.machine.ts';
import { relayReplyRouting, relayTopology } from './topology.ts';

export interface RequestSpec {
  readonly kind: RequestKind;
  readonly body: Readonly<Record<string, unknown>>;
  /** From newCorrelationId(), when the caller needs the id before submitting. */
  readonly correlationId?: string;
  /** A client's shorter deadline (X-Timeout-Ms); capped at the kind's own. */
  readonly timeoutMs?: number;
  readonly trace?: TraceHeaders;
}

export interface SubmittedRequest {
  readonly correlationId: string;
  readonly outcome: Promise<RequestOutcome>;
}

export interface Readiness {
  readonly ready: boolean;
  readonly broker: string;
  readonly reason?: string;
}

export interface ActorsSnapshot {
  readonly broker: { readonly state: string; readonly reconnects: number; readonly outbox: number; readonly unconfirmed: number; readonly awaitingReply: number; readonly connectedTo: string | null; readonly lastError: string | null };
  readonly requests: ReadonlyArray<{ readonly id: string; readonly correlationId: string; readonly kind: RequestKind; readonly state: string; readonly ageMs: number }>;
}

/** What the HTTP layer needs from the actor system, and nothing about AMQP. */
export interface RelayPort {
  newCorrelationId(): string;
  submit(spec: RequestSpec): SubmittedRequest;
  deadlineOf(kind: RequestKind): number;
  readiness(): Readiness;
  actors(): ActorsSnapshot;
  readonly inFlight: number;
}

type RequestActor = Actor<typeof requestMachine>;

interface LiveRequest {
  readonly actor: RequestActor;
  readonly kind: RequestKind;
  readonly startedAt: number;
  /** Ends the request's outcome now, whatever its actor does later. */
  readonly settle: (outcome: RequestOutcome) => void;
}

export interface RelayDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics?: RelayMetrics;
  readonly inspect?: Observer<InspectionEvent> | ((e: InspectionEvent) => void);
}

/**
 * The actor system: one BrokerActor for the process, one independent RequestActor per request.
 * Request actors are not children of the broker: spawning and stopping children is O(children)
 * in XState, while an independent actor costs the same whatever else is in flight.
 */
export class Relay implements RelayPort {
  readonly broker: BrokerActorRef;
  private readonly live = new Map<string, LiveRequest>();
  private drained: (() => void) | undefined;

  constructor(private readonly deps: RelayDeps) {
    const { config, logger, metrics, inspect } = deps;
    this.broker = createActor(brokerMachine, {
      input: {
        urls: config.amqp.urls,
        heartbeatSeconds: config.amqp.heartbeatSeconds,
        topology: relayTopology(config),
        reconnect: config.amqp.reconnect,
        maxBuffered: config.amqp.maxBufferedRequests,
        connectionName: `amqp-relay ${config.instanceId}`,
        logger: logger.child({ component: 'broker' }),
        replies: relayReplyRouting(config),
        ...(metrics ? { observer: metrics.brokerObserver() } : {}),
      },
      ...(inspect ? { inspect } : {}),
    });
    this.broker.subscribe({ error: (err) => logger.fatal({ err }, 'broker actor failed') });
  }

  start(): this {
    this.broker.start();
    return this;
  }

  get outbox(): number {
    return this.broker.getSnapshot().context.pending.outbox;
  }

  get inFlight(): number {
    return this.live.size;
  }

  newCorrelationId(): string {
    return newCorrelationId(this.deps.config.instanceId);
  }

  deadlineOf(kind: RequestKind): number {
    return kind === 'recipe_analysis' || kind === 'image_analysis' ? this.deps.config.timeouts.aiMs : this.deps.config.timeouts.crawlMs;
  }

  submit(spec: RequestSpec): SubmittedRequest {
    const { config, metrics, inspect } = this.deps;
    const correlationId = spec.correlationId ?? this.newCorrelationId();
    const deadlineMs = Math.min(spec.timeoutMs ?? Infinity, this.deadlineOf(spec.kind));
    const message = requestMessage(config, spec.kind, correlationId, spec.body, Date.now() + deadlineMs, spec.trace);
    const actor = createActor(requestMachine, {
      id: correlationId,
      input: { correlationId, kind: spec.kind, message, broker: this.broker, deadlineMs, replyOptional: spec.kind === 'ping' },
      ...(inspect ? { inspect } : {}),
    });
    metrics?.inFlight.inc();
    // One promise and one observer per request: this runs for every HTTP request.
    const outcome = new Promise<RequestOutcome>((resolve) => {
      const settle = (o: RequestOutcome) => {
        this.finished(correlationId);
        resolve(o);
      };
      this.live.set(correlationId, { actor, kind: spec.kind, startedAt: Date.now(), settle });
      actor.subscribe({
        complete: () => {
          this.finished(correlationId);
          resolve(actor.getSnapshot().output!);
        },
        error: (err) => {
          this.finished(correlationId);
          this.deps.logger.error({ err, correlationId }, 'request actor failed');
          resolve({ ok: false, code: 'BROKER_UNAVAILABLE', message: 'the request failed inside the relay' });
        },
      });
    });
    actor.start();
    return { correlationId, outcome };
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
      requests: [...this.live].map(([id, r]) => ({
        id: r.actor.sessionId,
        correlationId: id,
        kind: r.kind,
        state: stateName(r.actor.getSnapshot().value),
        ageMs: now - r.startedAt,
      })),
    };
  }

  /** Resolves when no request is in flight, or after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.live.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const empty = new Promise<boolean>((resolve) => (this.drained = () => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([empty, late]);
    clearTimeout(timer);
    return result;
  }

  /** Closes channels and connection once outstanding confirms are in. */
  async stop(): Promise<void> {
    const done = new Promise<void>((resolve) => {
      this.broker.subscribe({ complete: () => resolve(), error: () => resolve() });
      if (this.broker.getSnapshot().status !== 'active') resolve();
    });
    this.broker.send({ type: 'broker.close' });
    await done;
  }

  /** Ends every unfinished request with this error (the end of a shutdown's drain); returns how many. */
  failUnfinished(code: RequestErrorCode, message: string): number {
    const unfinished = [...this.live.values()];
    for (const request of unfinished) request.settle({ ok: false, code, message });
    return unfinished.length;
  }

  private finished(correlationId: string): void {
    if (!this.live.delete(correlationId)) return;
    this.deps.metrics?.inFlight.dec();
    if (this.live.size === 0) this.drained?.();
  }
}

function stateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const active = (value as { active?: string }).active;
  return active ?? JSON.stringify(value);
}
