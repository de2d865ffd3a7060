import type { Actor } from 'xstate';
import type { RequestKind } from '../requests/kinds.ts';
import type { requestLogic } from './request/request.logic.ts';

export type RequestActor = Actor<typeof requestLogic>;

/** The timers the deadlines use: Node's by default, XState's SimulatedClock in tests. */
export interface DeadlineClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: DeadlineClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface InFlightRequest {
  readonly actor: RequestActor;
  readonly correlationId: string;
  readonly kind: RequestKind;
  readonly acceptedAt: number;
  readonly deadlineAt: number;
  /** The size of its message body, counted against MAX_IN_FLIGHT_BYTES. */
  readonly bytes: number;
  readonly deadline: unknown;
}

const DEADLINE = { type: 'request.deadline' } as const;

/**
 * The one registry of request actors in flight, in acceptance order: admission counts it, the
 * debug endpoint and the live page read it, and it arms each request's deadline. A deadline is one
 * timer per request (Node keeps timers of one duration in one list: arming and clearing are O(1)),
 * never a delayed event in XState's scheduler, whose cancel scans every scheduled event.
 */
export class InFlightRequests {
  private readonly requests = new Map<string, InFlightRequest>();
  private totalBytes = 0;
  private emptied: (() => void) | undefined;

  constructor(private readonly clock: DeadlineClock = systemClock) {}

  get size(): number {
    return this.requests.size;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  add(request: Omit<InFlightRequest, 'deadline'>, now: number): void {
    const { actor } = request;
    const deadline = this.clock.setTimeout(() => actor.send(DEADLINE), Math.max(0, request.deadlineAt - now));
    this.requests.set(request.correlationId, { ...request, deadline });
    this.totalBytes += request.bytes;
  }

  remove(correlationId: string): void {
    const request = this.requests.get(correlationId);
    if (!request) return;
    this.clock.clearTimeout(request.deadline);
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
