export type SettledOutcome = 'answered' | 'abandoned';

const OUTCOMES: readonly (SettledOutcome | undefined)[] = [undefined, 'answered', 'abandoned'];
const TWO_TO_32 = 0x1_0000_0000;

/**
 * A 52-bit fingerprint of `id` (never 0, which marks an empty slot): two 32-bit FNV-1a hashes with
 * different offsets, the first whole, 20 bits of the second above it. Two ids share one with odds
 * of 1 in 2^52 per pair.
 */
function fingerprint(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (b >>> 12) * TWO_TO_32 + (a >>> 0) || 1;
}

/**
 * The last `capacity` ids settled, each with its outcome, forgotten oldest first. Kept as
 * fingerprints in typed arrays, an open-addressing table (linear probing, at most half full) and
 * the ring of settling order, so that 50,000 ids take ≈ 1.6 MB outside the JavaScript heap: no
 * string or Map entry per id for the garbage collector to promote, trace and copy. A reply
 * is told late or duplicate by this; an id mistaken for another (a shared fingerprint) would
 * only name the wrong reason for dropping its reply.
 */
export class SettledIds {
  private readonly slots: Float64Array;
  private readonly outcomes: Uint8Array;
  private readonly order: Float64Array;
  private readonly mask: number;
  private next = 0;

  constructor(capacity: number) {
    let size = 8;
    while (size < capacity * 2) size *= 2;
    this.slots = new Float64Array(size);
    this.outcomes = new Uint8Array(size);
    this.order = new Float64Array(capacity);
    this.mask = size - 1;
  }

  get(id: string): SettledOutcome | undefined {
    const slot = this.find(fingerprint(id));
    return slot === undefined ? undefined : OUTCOMES[this.outcomes[slot]!];
  }

  /** Remembers `id` as settled with `outcome`; an id settled again keeps its place in the order. */
  set(id: string, outcome: SettledOutcome): void {
    const key = fingerprint(id);
    const code = outcome === 'answered' ? 1 : 2;
    const known = this.find(key);
    if (known !== undefined) {
      this.outcomes[known] = code;
      return;
    }
    const oldest = this.order[this.next]!;
    if (oldest !== 0) this.forget(oldest);
    this.order[this.next] = key;
    this.next = (this.next + 1) % this.order.length;
    let slot = this.home(key);
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    this.slots[slot] = key;
    this.outcomes[slot] = code;
  }

  private home(key: number): number {
    return (key % TWO_TO_32) & this.mask;
  }

  private find(key: number): number | undefined {
    for (let slot = this.home(key); this.slots[slot] !== 0; slot = (slot + 1) & this.mask) {
      if (this.slots[slot] === key) return slot;
    }
    return undefined;
  }

  /** Removes `key`, then moves back each later key of its run that may fill the hole (no tombstones). */
  private forget(key: number): void {
    let hole = this.find(key);
    if (hole === undefined) return;
    for (let slot = (hole + 1) & this.mask; this.slots[slot] !== 0; slot = (slot + 1) & this.mask) {
      const home = this.home(this.slots[slot]!);
      // The key at `slot` stays when its home lies cyclically in (hole, slot].
      const stays = hole < slot ? hole < home && home <= slot : hole < home || home <= slot;
      if (stays) continue;
      this.slots[hole] = this.slots[slot]!;
      this.outcomes[hole] = this.outcomes[slot]!;
      hole = slot;
    }
    this.slots[hole] = 0;
    this.outcomes[hole] = 0;
  }
}
