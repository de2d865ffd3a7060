/**
 * Items that arrive one at a time during a stretch of work (the callbacks of one socket read, one
 * event-loop turn), handed over together: the first item schedules the hand-over (`schedule`: a
 * microtask, the check phase…), which takes everything added until it runs. `flush` hands over at
 * once (to keep an order with something sent directly).
 */
export class Batch<T> {
  private items: T[] = [];

  constructor(
    private readonly schedule: (handOver: () => void) => unknown,
    private readonly handOver: (items: T[]) => void,
  ) {}

  add(item: T): void {
    if (this.items.push(item) === 1) this.schedule(this.flush);
  }

  readonly flush = (): void => {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.handOver(items);
  };
}
