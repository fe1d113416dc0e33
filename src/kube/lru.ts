/**
 * A bounded least-recently-used index, as client-go's `golang/groupcache/lru` (the event
 * correlator's caches), for entries that carry their own key and their place in the recency
 * order.
 *
 * Why the order lives in the entries: a JavaScript Map keeps insertion order, so an LRU can be a
 * Map alone, moving an entry by deleting and re-inserting it on every hit. Each move leaves a
 * deleted slot in the Map's table, and every few thousand moves the table is rebuilt; at 4,096
 * entries that table is 224 KiB, which V8 allocates straight into its old generation. A 10,000
 * Node simulation rebuilt the correlator's three tables about fifty times. Here a hit relinks two
 * neighbours and the Map changes only when a key comes or goes.
 *
 * @module
 */

/** What an {@link Lru} holds: an object with its key and two links the index maintains. */
export interface LruEntry<E> {
  readonly key: string;
  /** The entry used next after this one (undefined for the most recently used). Owned by the index. */
  newer: E | undefined;
  /** The entry used last before this one (undefined for the least recently used). Owned by the index. */
  older: E | undefined;
}

/** At most `max` entries by key; adding one more forgets the least recently used. */
export class Lru<E extends LruEntry<E>> {
  readonly #max: number;
  readonly #byKey = new Map<string, E>();
  #newest: E | undefined;
  #oldest: E | undefined;

  /** @param max - capacity (an integer >= 1). */
  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`Lru capacity must be an integer >= 1, got ${max}`);
    this.#max = max;
  }

  /** Number of entries held. */
  get size(): number {
    return this.#byKey.size;
  }

  /** The entry under `key`, marked most recently used; undefined when absent. */
  get(key: string): E | undefined {
    const entry = this.#byKey.get(key);
    if (entry !== undefined) this.#markNewest(entry);
    return entry;
  }

  /** The entry under `key` without marking it used; undefined when absent. */
  peek(key: string): E | undefined {
    return this.#byKey.get(key);
  }

  /**
   * Holds `entry` as the most recently used one under `entry.key`, replacing another held under
   * that key; forgets the least recently used entry when that makes one too many.
   */
  add(entry: E): void {
    const held = this.#byKey.get(entry.key);
    if (held === entry) {
      this.#markNewest(entry);
      return;
    }
    if (held !== undefined) this.#unlink(held);
    this.#byKey.set(entry.key, entry);
    this.#linkNewest(entry);
    if (this.#byKey.size > this.#max && this.#oldest !== undefined) {
      const oldest = this.#oldest;
      this.#unlink(oldest);
      this.#byKey.delete(oldest.key);
    }
  }

  /** Keys from the least to the most recently used (for tests and diagnostics). */
  *keys(): IterableIterator<string> {
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) yield entry.key;
  }

  #markNewest(entry: E): void {
    if (entry === this.#newest) return;
    this.#unlink(entry);
    this.#linkNewest(entry);
  }

  #linkNewest(entry: E): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: E): void {
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    entry.newer = undefined;
    entry.older = undefined;
  }
}
