/**
 * A Map for short-lived entries (one per request) that lets go of a value the moment it is
 * deleted. V8 keeps a Map's superseded hash tables until the next full collection, and a
 * superseded table that reached the old generation still points at the values it held then: the
 * scavenger takes those for live, so each one survives and is promoted. Under load that was most
 * of what a request allocates. Here a table only ever holds a small box, emptied on delete.
 * Keys should be small (ids): a superseded table keeps them too.
 *
 * It also holds one entry of its own that is never deleted: a Map that empties shrinks, which
 * allocates a new table, in the old generation for a long-lived Map. With one request at a time
 * that was a table per request for each such Map; with the anchor it is one per few requests.
 */
const ANCHOR: unique symbol = Symbol('ReleasingMap.anchor');

export class ReleasingMap<K, V> {
  private readonly boxes = new Map<K | typeof ANCHOR, { value: V | undefined }>([[ANCHOR, { value: undefined }]]);

  get size(): number {
    return this.boxes.size - 1;
  }

  get(key: K): V | undefined {
    return this.boxes.get(key)?.value;
  }

  set(key: K, value: V): this {
    const box = this.boxes.get(key);
    if (box) box.value = value;
    else this.boxes.set(key, { value });
    return this;
  }

  delete(key: K): boolean {
    const box = this.boxes.get(key);
    if (!box) return false;
    box.value = undefined;
    return this.boxes.delete(key);
  }

  /** Values in insertion order. */
  *values(): IterableIterator<V> {
    for (const [key, box] of this.boxes) if (key !== ANCHOR) yield box.value as V;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [key, box] of this.boxes) if (key !== ANCHOR) yield [key, box.value as V];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
