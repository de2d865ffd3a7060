import type { InspectionEvent } from 'xstate';
import { isRequestActor } from './request/request.logic.ts';
import { leafState } from './state-name.ts';

/** One change of the broker actor's state, as the live page lists it. */
export interface BrokerTransition {
  readonly at: number;
  readonly state: string;
  readonly reconnects: number;
  readonly reason: string | null;
}

/** A request actor as the live page shows it. */
export interface LiveRequestView {
  readonly correlationId: string;
  readonly kind: string;
  readonly state: string;
  readonly ageMs: number;
}

/** What the live page receives, in order: its history once, then transitions as they happen and a summary per interval. */
export type LiveMessage =
  | { readonly kind: 'history'; readonly transitions: readonly BrokerTransition[] }
  | ({ readonly kind: 'broker' } & BrokerTransition)
  | {
      readonly kind: 'summary';
      readonly at: number;
      readonly intervalMs: number;
      /** Request actors seen alive (those that started before the first subscriber show up on their next step). */
      readonly inFlight: number;
      /** The oldest live requests, at most `sampleSize`. */
      readonly sample: readonly LiveRequestView[];
      /** Outcomes (`ok` or the error code) in this interval, and since `countingSince`. */
      readonly outcomes: Readonly<Record<string, number>>;
      readonly totals: Readonly<Record<string, number>>;
      readonly countingSince: number;
    };

type Listener = (message: LiveMessage) => void;

interface TrackedRequest {
  readonly correlationId: string;
  readonly kind: string;
  readonly startedAt: number;
  state: string;
}

interface MachineSnapshotLike {
  readonly status: string;
  readonly value: unknown;
  readonly output?: { readonly ok?: boolean; readonly code?: string };
  readonly machine?: { readonly id?: string };
  readonly context?: {
    readonly correlationId?: string;
    readonly kind?: string;
    readonly acceptedAt?: number;
    readonly reconnects?: number;
    readonly lastError?: string | null;
  };
}

export interface LiveHubOptions {
  readonly intervalMs?: number;
  readonly sampleSize?: number;
  readonly historySize?: number;
  readonly now?: () => number;
}

/**
 * Feeds the live actor page from XState inspection events, cheaply enough for 1,000 req/s:
 * broker transitions are rare and always kept (a bounded history); request actors are only
 * tracked while somebody watches, and reach the page as one summary per interval (counts by
 * outcome and a bounded sample of live requests), never one message per event.
 */
export class LiveInspectionHub {
  private readonly listeners = new Set<Listener>();
  private readonly history: BrokerTransition[] = [];
  private readonly requests = new Map<string, TrackedRequest>();
  private outcomes: Record<string, number> = {};
  private totals: Record<string, number> = {};
  private countingSince = 0;
  private timer: NodeJS.Timeout | undefined;
  private lastBroker: { state: string; reconnects: number } | undefined;
  private readonly intervalMs: number;
  private readonly sampleSize: number;
  private readonly historySize: number;
  private readonly now: () => number;

  constructor(options: LiveHubOptions = {}) {
    this.intervalMs = options.intervalMs ?? 500;
    this.sampleSize = options.sampleSize ?? 20;
    this.historySize = options.historySize ?? 100;
    this.now = options.now ?? Date.now;
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Request actors currently tracked (0 while nobody watches). */
  get tracked(): number {
    return this.requests.size;
  }

  subscribe(listener: Listener): () => void {
    if (this.listeners.size === 0) {
      this.countingSince = this.now();
      this.totals = {};
      this.outcomes = {};
      this.timer = setInterval(() => this.publishSummary(), this.intervalMs);
      this.timer.unref();
    }
    this.listeners.add(listener);
    listener({ kind: 'history', transitions: [...this.history] });
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      clearInterval(this.timer);
      this.timer = undefined;
      this.requests.clear();
    };
  }

  readonly observe = (e: InspectionEvent): void => {
    if (e.type !== '@xstate.snapshot') return;
    const snapshot = e.snapshot as unknown as MachineSnapshotLike;
    if (snapshot.machine?.id === 'broker') this.observeBroker(snapshot);
    else if (this.listeners.size > 0 && isRequestActor(e.actorRef)) this.observeRequest(e.actorRef.sessionId, snapshot);
  };

  /** The summary the page gets every interval (also sent by the timer). */
  summary(): LiveMessage {
    const now = this.now();
    const sample: LiveRequestView[] = [];
    for (const r of this.requests.values()) {
      if (sample.length >= this.sampleSize) break;
      sample.push({ correlationId: r.correlationId, kind: r.kind, state: r.state, ageMs: Math.max(0, now - r.startedAt) });
    }
    return {
      kind: 'summary',
      at: now,
      intervalMs: this.intervalMs,
      inFlight: this.requests.size,
      sample,
      outcomes: this.outcomes,
      totals: this.totals,
      countingSince: this.countingSince,
    };
  }

  private publishSummary(): void {
    const message = this.summary();
    this.outcomes = {};
    this.emit(message);
  }

  private observeBroker(snapshot: MachineSnapshotLike): void {
    const state = leafState(snapshot.value);
    const reconnects = snapshot.context?.reconnects ?? 0;
    if (this.lastBroker && this.lastBroker.state === state && this.lastBroker.reconnects === reconnects) return;
    this.lastBroker = { state, reconnects };
    const transition: BrokerTransition = { at: this.now(), state, reconnects, reason: snapshot.context?.lastError ?? null };
    this.history.push(transition);
    if (this.history.length > this.historySize) this.history.shift();
    if (this.listeners.size > 0) this.emit({ kind: 'broker', ...transition });
  }

  private observeRequest(sessionId: string, snapshot: MachineSnapshotLike): void {
    if (snapshot.status !== 'active') {
      this.requests.delete(sessionId);
      const outcome = snapshot.status === 'done' ? (snapshot.output?.ok ? 'ok' : (snapshot.output?.code ?? 'unknown')) : snapshot.status;
      this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
      this.totals[outcome] = (this.totals[outcome] ?? 0) + 1;
      return;
    }
    const tracked = this.requests.get(sessionId);
    if (tracked) {
      tracked.state = leafState(snapshot.value);
      return;
    }
    const c = snapshot.context ?? {};
    this.requests.set(sessionId, {
      correlationId: c.correlationId ?? sessionId,
      kind: c.kind ?? '?',
      startedAt: c.acceptedAt ?? this.now(),
      state: leafState(snapshot.value),
    });
  }

  private emit(message: LiveMessage): void {
    for (const listener of this.listeners) listener(message);
  }
}
