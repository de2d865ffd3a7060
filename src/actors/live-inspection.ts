import type { InspectionEvent } from 'xstate';
import { type SecondFigures, SecondAggregate } from './live-second.ts';
import { leafState, statePath } from './state-name.ts';
import type { StatechartDescription } from './live-statechart.ts';

/** One change of the broker actor's state. `path` is the full state (`online.connected`), `state` its leaf. */
export interface BrokerTransition {
  readonly at: number;
  readonly state: string;
  readonly path: string;
  readonly reconnects: number;
  readonly reason: string | null;
}

/** One step of a tracked request actor: the state it entered and when. */
export interface RequestStep {
  readonly state: string;
  readonly at: number;
}

/** A tracked request in flight, with its path so far. */
export interface LiveRequestView {
  readonly correlationId: string;
  readonly kind: string;
  readonly state: string;
  readonly ageMs: number;
  readonly path: readonly RequestStep[];
}

/** One second of the relay, as the live page charts it. */
export interface LiveSecond extends SecondFigures {
  readonly at: number;
  /** Request actors alive and messages waiting for a connection at the end of the second (null: not wired). */
  readonly inFlight: number | null;
  readonly outbox: number | null;
}

/** What the live page receives: its history once, then broker transitions as they happen and one aggregate per second. */
export type LiveMessage =
  | { readonly kind: 'history'; readonly transitions: readonly BrokerTransition[]; readonly seconds: readonly LiveSecond[] }
  | ({ readonly kind: 'broker' } & BrokerTransition)
  | ({ readonly kind: 'second'; readonly requests: readonly LiveRequestView[] } & LiveSecond);

type Listener = (message: LiveMessage) => void;

/** What the hub needs to know of a request actor's snapshot. */
export interface RequestSnapshotView {
  readonly correlationId: string;
  readonly kind: string;
  /** The leaf state (`publishing`, `awaitingReply`, or the final state's name). */
  readonly state: string;
  /** When the relay accepted the request (epoch ms), when known. */
  readonly acceptedAt: number | undefined;
  readonly deadlineAt: number | undefined;
  /** `ok` or the error code once the actor has ended; null while it is active. */
  readonly outcome: string | null;
}

interface SnapshotLike {
  readonly status?: string;
  readonly value?: unknown;
  readonly output?: { readonly ok?: boolean; readonly code?: string };
  readonly machine?: { readonly id?: string };
  readonly context?: null | {
    readonly correlationId?: unknown;
    readonly kind?: unknown;
    readonly acceptedAt?: number;
    readonly deadlineAt?: number;
    readonly reconnects?: number;
    readonly lastError?: string | null;
  };
}

/**
 * Is this snapshot a request actor's, and what of it does the live page show? The one place that
 * knows the request actor's shape (src/actors/request/request.logic.ts): no machine, and a context
 * with a correlation id, a kind, and when it was accepted and is due.
 */
export function requestView(snapshot: unknown): RequestSnapshotView | undefined {
  const s = snapshot as SnapshotLike;
  const c = s.context;
  if (c === undefined || c === null || s.machine !== undefined) return undefined;
  if (typeof c.correlationId !== 'string' || typeof c.kind !== 'string') return undefined;
  const { acceptedAt, deadlineAt } = c;
  const outcome = s.status === 'active' ? null : s.status === 'done' ? (s.output?.ok ? 'ok' : (s.output?.code ?? 'unknown')) : String(s.status);
  return { correlationId: c.correlationId, kind: c.kind, state: leafState(s.value), acceptedAt, deadlineAt, outcome };
}

export interface LiveHubOptions {
  readonly intervalMs?: number;
  /** Requests followed step by step at once (the page's "in flight" list and its details). */
  readonly trackLimit?: number;
  readonly pathLimit?: number;
  readonly historySize?: number;
  /** Seconds of aggregates kept for a page that opens later (5 minutes). */
  readonly secondsKept?: number;
  readonly now?: () => number;
  /** The broker machine's statechart, for the page to draw. */
  readonly statechart?: StatechartDescription;
}

interface Tracked {
  readonly correlationId: string;
  readonly kind: string;
  readonly startedAt: number;
  readonly expiresAt: number;
  readonly path: RequestStep[];
}

const FORGET_AFTER_DEADLINE_MS = 10_000;

/**
 * Feeds the live page from XState inspection events, cheaply enough for 1,000 req/s. Broker
 * transitions are rare and always kept (a bounded history). Requests count only while somebody
 * watches, and only into one aggregate per second (outcomes, latency histogram); a few of them
 * (`trackLimit`) are followed step by step. Nothing is sent per request.
 */
export class LiveInspectionHub {
  private readonly listeners = new Set<Listener>();
  private readonly history: BrokerTransition[] = [];
  private readonly seconds: LiveSecond[] = [];
  private readonly tracked = new Map<string, Tracked>();
  private readonly current = new SecondAggregate();
  private timer: NodeJS.Timeout | undefined;
  private lastBroker: { path: string; reconnects: number } | undefined;
  private gauges: () => { inFlight: number; outbox: number } | null = () => null;
  private readonly intervalMs: number;
  private readonly trackLimit: number;
  private readonly pathLimit: number;
  private readonly historySize: number;
  private readonly secondsKept: number;
  private readonly now: () => number;
  readonly statechart: StatechartDescription | undefined;

  constructor(options: LiveHubOptions = {}) {
    this.statechart = options.statechart;
    this.intervalMs = options.intervalMs ?? 1_000;
    this.trackLimit = options.trackLimit ?? 20;
    this.pathLimit = options.pathLimit ?? 16;
    this.historySize = options.historySize ?? 200;
    this.secondsKept = options.secondsKept ?? 300;
    this.now = options.now ?? Date.now;
  }

  /** Where the per-second figures read requests in flight and the outbox from (wired once the relay exists). */
  readGauges(read: () => { inFlight: number; outbox: number }): void {
    this.gauges = read;
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** Requests followed step by step (0 while nobody watches). */
  get trackedCount(): number {
    return this.tracked.size;
  }

  subscribe(listener: Listener): () => void {
    if (this.listeners.size === 0) {
      this.current.take();
      this.timer = setInterval(() => this.emit(this.closeSecond()), this.intervalMs);
      this.timer.unref();
    }
    this.listeners.add(listener);
    listener({ kind: 'history', transitions: [...this.history], seconds: [...this.seconds] });
    return () => {
      if (!this.listeners.delete(listener) || this.listeners.size > 0) return;
      clearInterval(this.timer);
      this.timer = undefined;
      this.tracked.clear();
      this.seconds.length = 0;
    };
  }

  readonly observe = (e: InspectionEvent): void => {
    if (e.type !== '@xstate.snapshot') return;
    const snapshot = e.snapshot as SnapshotLike;
    if (snapshot.machine?.id === 'broker') return this.observeBroker(snapshot);
    if (this.listeners.size === 0) return;
    const view = requestView(snapshot);
    if (view) this.observeRequest(e.actorRef.sessionId, view);
  };

  /** Ends the current second: its figures (also kept for pages that open later) and the tracked requests. */
  closeSecond(): LiveMessage {
    const now = this.now();
    const gauges = this.gauges();
    const second: LiveSecond = { at: now, ...this.current.take(), inFlight: gauges?.inFlight ?? null, outbox: gauges?.outbox ?? null };
    this.seconds.push(second);
    if (this.seconds.length > this.secondsKept) this.seconds.shift();
    const requests: LiveRequestView[] = [];
    for (const [id, r] of this.tracked) {
      if (now > r.expiresAt) {
        this.tracked.delete(id);
        continue;
      }
      requests.push({ correlationId: r.correlationId, kind: r.kind, state: r.path.at(-1)!.state, ageMs: Math.max(0, now - r.startedAt), path: r.path });
    }
    return { kind: 'second', ...second, requests };
  }

  private observeBroker(snapshot: SnapshotLike): void {
    const path = statePath(snapshot.value);
    const reconnects = snapshot.context?.reconnects ?? 0;
    if (this.lastBroker && this.lastBroker.path === path && this.lastBroker.reconnects === reconnects) return;
    this.lastBroker = { path, reconnects };
    const state = path.slice(path.lastIndexOf('.') + 1);
    const transition: BrokerTransition = { at: this.now(), state, path, reconnects, reason: snapshot.context?.lastError ?? null };
    this.history.push(transition);
    if (this.history.length > this.historySize) this.history.shift();
    if (this.listeners.size > 0) this.emit({ kind: 'broker', ...transition });
  }

  private observeRequest(sessionId: string, view: RequestSnapshotView): void {
    const tracked = this.tracked.get(sessionId);
    if (view.outcome !== null) {
      const now = this.now();
      this.current.add(view.outcome, view.acceptedAt === undefined ? undefined : now - view.acceptedAt);
      if (tracked) this.tracked.delete(sessionId);
      return;
    }
    if (tracked) {
      if (tracked.path.at(-1)!.state !== view.state && tracked.path.length < this.pathLimit) tracked.path.push({ state: view.state, at: this.now() });
      return;
    }
    if (this.tracked.size >= this.trackLimit) return;
    const now = this.now();
    this.tracked.set(sessionId, {
      correlationId: view.correlationId,
      kind: view.kind,
      startedAt: view.acceptedAt ?? now,
      expiresAt: (view.deadlineAt ?? now + 600_000) + FORGET_AFTER_DEADLINE_MS,
      path: view.acceptedAt !== undefined && view.acceptedAt < now ? [{ state: 'accepted', at: view.acceptedAt }, { state: view.state, at: now }] : [{ state: view.state, at: now }],
    });
  }

  private emit(message: LiveMessage): void {
    for (const listener of this.listeners) listener(message);
  }
}
