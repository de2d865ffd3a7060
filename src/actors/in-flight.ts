import type { Actor } from 'xstate';
import { ReleasingMap } from '../releasing-map.ts';
import type { ActorKind } from '../requests/kinds.ts';
import { type DeadlineClock, type DeadlineNode, Deadlines, systemClock } from './deadlines.ts';
import type { requestLogic } from './request/request.logic.ts';

export { type DeadlineClock, systemClock } from './deadlines.ts';

export type RequestActor = Actor<typeof requestLogic>;

export interface RequestEntry {
  readonly actor: RequestActor;
  readonly correlationId: string;
  readonly kind: ActorKind;
  readonly acceptedAt: number;
  readonly deadlineAt: number;
  /** The size of its message body, counted against MAX_IN_FLIGHT_BYTES. */
  readonly bytes: number;
}

/** A request in flight; it is its own node in the deadline lists. */
export interface InFlightRequest extends RequestEntry, DeadlineNode {}

const DEADLINE = { type: 'request.deadline' } as const;

/**
 * The one registry of request actors in flight, in acceptance order: admission counts it, the
 * debug endpoint and the live page read it, and it arms each request's deadline (Deadlines: O(1),
 * never a delayed event in XState's scheduler, whose cancel scans every scheduled event).
 */
export class InFlightRequests {
  private readonly requests = new ReleasingMap<string, InFlightRequest>();
  private totalBytes = 0;
  private emptied: (() => void) | undefined;

  private readonly deadlines: Deadlines<InFlightRequest>;

  constructor(clock: DeadlineClock = systemClock) {
    this.deadlines = new Deadlines<InFlightRequest>(clock, (request) => request.actor.send(DEADLINE));
  }

  get size(): number {
    return this.requests.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  add(entry: RequestEntry): void {
    // The caller's object becomes the entry and the deadline list's node: no copy per request.
    const request: InFlightRequest = Object.assign(entry, { dueAt: 0, prev: undefined, next: undefined, list: undefined });
    this.deadlines.arm(request, request.deadlineAt - request.acceptedAt, request.deadlineAt);
    this.requests.set(request.correlationId, request);
    this.totalBytes += request.bytes;
  }

  remove(correlationId: string): void {
    const request = this.requests.get(correlationId);
    if (!request) return;
    this.deadlines.disarm(request);
    this.requests.delete(correlationId);
    this.totalBytes -= request.bytes;
    if (this.requests.size === 0) this.emptied?.();
  }

  get(correlationId: string): InFlightRequest | undefined {
    return this.requests.get(correlationId);
  }

  /** The oldest `limit` requests in flight. */
  oldest(limit = Infinity): InFlightRequest[] {
    const out: InFlightRequest[] = [];
    for (const request of this.requests.values()) {
      if (out.length >= limit) break;
      out.push(request);
    }
    return out;
  }

  /** Resolves true when nothing is in flight, or false after `timeoutMs`. */
  async whenEmpty(timeoutMs: number): Promise<boolean> {
    if (this.requests.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const empty = new Promise<boolean>((resolve) => (this.emptied = () => resolve(true)));
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const result = await Promise.race([empty, late]);
    clearTimeout(timer);
    this.emptied = undefined;
    return result;
  }
}
