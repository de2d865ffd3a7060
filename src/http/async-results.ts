import type { RequestOutcome } from '../actors/request/outcome.ts';
import type { AsyncResult } from '../requests/lookup.ts';

export type { AsyncResult } from '../requests/lookup.ts';

/** Told once of each asynchronous request's final outcome (`ok` or the error code), by route template. */
export type AsyncOutcomeObserver = (route: string, outcome: string) => void;

/**
 * Outcomes of asynchronous requests, readable for `ttlMs` after they are known. At most
 * `maxFinished` finished results are kept: beyond that the oldest finished one is forgotten first.
 * A pending one is never forgotten (admission control bounds how many there are).
 */
export class ResultStore {
  private readonly results = new Map<string, AsyncResult>();
  /** Ids of finished results, oldest first (a Set keeps insertion order). */
  private readonly finished = new Set<string>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxFinished: number = Number.POSITIVE_INFINITY,
    private readonly observeOutcome: AsyncOutcomeObserver = () => {},
  ) {}

  get size(): number {
    return this.results.size;
  }

  accept(correlationId: string, outcome: Promise<RequestOutcome>, route: string): void {
    this.results.set(correlationId, { status: 'pending' });
    void outcome.then((o) => {
      this.settle(correlationId, o);
      this.observeOutcome(route, o.ok ? 'ok' : o.code);
    });
  }

  get(correlationId: string): AsyncResult | undefined {
    return this.results.get(correlationId);
  }

  private settle(correlationId: string, outcome: RequestOutcome): void {
    this.results.set(
      correlationId,
      outcome.ok ? { status: 'done', result: outcome.reply } : { status: 'failed', error: { code: outcome.code, message: outcome.message } },
    );
    this.finished.add(correlationId);
    if (this.finished.size > this.maxFinished) this.forget(this.finished.values().next().value!);
    setTimeout(() => this.forget(correlationId), this.ttlMs).unref();
  }

  private forget(correlationId: string): void {
    if (this.finished.delete(correlationId)) this.results.delete(correlationId);
  }
}
