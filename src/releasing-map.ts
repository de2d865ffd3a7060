/**
 * A Map for short-lived entries (one per request) that lets go of a value the moment it is
 * deleted. V8 keeps a Map's superseded hash tables until the next full collection, and a
 * superseded table that reached the old generation still points at the values it held then: the
 * scavenger takes those for live, so each one survives and is promoted. Under load that was most
 * of what a request allocates. Here a table only ever holds a small box, emptied on delete.
 * Keys should be small (ids): a superseded table keeps them too.
 */
export class ReleasingMap<K, V> {
  private readonly boxes = new Map<K, { value: V | undefined }>();

  get size(): number {
    return this.boxes.size;
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
    for (const box of this.boxes.values()) yield box.value as V;
  }

  *entries(): IterableIterator<[K, V]> {
    for (const [key, box] of this.boxes) yield [key, box.value as V];
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
