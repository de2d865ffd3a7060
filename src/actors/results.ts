import type { RequestOutcome } from './request/outcome.ts';

export type AsyncResult =
  | { readonly status: 'pending' }
  | { readonly status: 'done'; readonly result: unknown }
  | { readonly status: 'failed'; readonly error: { readonly code: string; readonly message: string } };

/** Outcomes of asynchronous requests, readable for `ttlMs` after they are known. */
export class ResultStore {
  private readonly results = new Map<string, AsyncResult>();

  constructor(private readonly ttlMs: number) {}

  get size(): number {
    return this.results.size;
  }

  accept(correlationId: string, outcome: Promise<RequestOutcome>): void {
    this.results.set(correlationId, { status: 'pending' });
    void outcome.then((o) => this.settle(correlationId, o));
  }

  get(correlationId: string): AsyncResult | undefined {
    return this.results.get(correlationId);
  }

  private settle(correlationId: string, outcome: RequestOutcome): void {
    this.results.set(
      correlationId,
      outcome.ok ? { status: 'done', result: outcome.reply } : { status: 'failed', error: { code: outcome.code, message: outcome.message } },
    );
    setTimeout(() => this.results.delete(correlationId), this.ttlMs).unref();
  }
}
