/** The timers deadlines use: Node's by default, XState's SimulatedClock in tests. */
export interface DeadlineClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: DeadlineClock = {
  now: Date.now,
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

const IDLE_LISTS_KEPT = 16;

/** What a deadline is kept in: the caller's own object, so that arming one allocates nothing. */
export interface DeadlineNode {
  dueAt: number;
  prev: DeadlineNode | undefined;
  next: DeadlineNode | undefined;
  list: DeadlineList | undefined;
}

interface DeadlineList {
  readonly durationMs: number;
  head: DeadlineNode | undefined;
  tail: DeadlineNode | undefined;
  timer: unknown;
  timerAt: number;
}

/**
 * Deadlines kept in one list per duration (a request kind's deadline, or a client's X-Timeout-Ms),
 * each list in due order with one timer for its head. Arming appends (or walks back the few
 * nodes accepted out of order), disarming unlinks: both O(1) whatever is in flight, and no timer
 * object per request. A disarmed head does not re-arm the timer: when it fires early, it is set
 * again for the new head.
 */
export class Deadlines<N extends DeadlineNode> {
  private readonly lists = new Map<number, DeadlineList>();

  constructor(
    private readonly clock: DeadlineClock,
    private readonly onDue: (node: N) => void,
  ) {}

  arm(node: N, durationMs: number, dueAt: number): void {
    let list = this.lists.get(durationMs);
    if (!list) {
      list = { durationMs, head: undefined, tail: undefined, timer: undefined, timerAt: 0 };
      this.lists.set(durationMs, list);
    }
    node.dueAt = dueAt;
    node.list = list;
    let after = list.tail;
    while (after && after.dueAt > dueAt) after = after.prev;
    node.prev = after;
    node.next = after ? after.next : list.head;
    if (node.next) node.next.prev = node;
    else list.tail = node;
    if (after) after.next = node;
    else list.head = node;
    if (list.timer === undefined || dueAt < list.timerAt) this.schedule(list, dueAt);
  }

  disarm(node: N): void {
    const list = node.list;
    if (!list) return;
    if (node.prev) node.prev.next = node.next;
    else list.head = node.next;
    if (node.next) node.next.prev = node.prev;
    else list.tail = node.prev;
    node.prev = node.next = node.list = undefined;
    if (!list.head) this.drop(list);
  }

  private schedule(list: DeadlineList, at: number): void {
    if (list.timer !== undefined) this.clock.clearTimeout(list.timer);
    list.timerAt = at;
    list.timer = this.clock.setTimeout(() => this.fire(list), Math.max(0, at - this.clock.now()));
  }

  private fire(list: DeadlineList): void {
    list.timer = undefined;
    const now = this.clock.now();
    while (list.head && list.head.dueAt <= now) {
      const due = list.head as N;
      this.disarm(due);
      this.onDue(due);
    }
    if (list.head) this.schedule(list, list.head.dueAt);
    else this.drop(list);
  }

  /**
   * An empty list lets go of its timer but stays, for the next deadline of its duration: when the
   * relay is nearly idle every request would otherwise add a list and delete it, and a long-lived
   * Map that empties gets a new hash table (in the old generation) each time. Beyond
   * IDLE_LISTS_KEPT durations (clients choose theirs) an empty list goes.
   */
  private drop(list: DeadlineList): void {
    if (list.timer !== undefined) this.clock.clearTimeout(list.timer);
    list.timer = undefined;
    if (this.lists.size > IDLE_LISTS_KEPT && this.lists.get(list.durationMs) === list) this.lists.delete(list.durationMs);
  }
}
