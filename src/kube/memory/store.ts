/**
 * Object storage of the simulated API server (a test double): the current objects of one
 * resource plus a bounded history of changes, which stands in for both etcd's revision history
 * (consistent list pages at an older resourceVersion) and the apiserver's watch cache (watch from
 * a resourceVersion; 410 once it has been evicted).
 *
 * Objects held here are deep-frozen and never change: callers hand in objects of their own and
 * receive copies, except watch events, which share the frozen object.
 *
 * @module
 */
import type { JsonObject } from '../json-value.js';

/** A change type as recorded in history. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One recorded change. */
export interface StoredChange {
  /** The resourceVersion the change was written at. */
  readonly rv: number;
  readonly type: ChangeType;
  readonly key: string;
  /**
   * The object after the change. For DELETED it is the last stored state carrying the deletion's
   * resourceVersion, as etcd's watch reports deletions.
   */
  readonly object: JsonObject;
  /** The object before the change (absent for ADDED). */
  readonly prev: JsonObject | undefined;
}

/** Stores one resource's objects and its recent history. */
export class ResourceStore {
  readonly #objects = new Map<string, JsonObject>();
  /**
   * The last `historyLimit` changes, as a ring of parallel slots rather than a list of change
   * objects: every write lands here and stays for `historyLimit` more writes, so a record per
   * change lived long enough to be promoted by V8 and then died (60,000 of them in a 10,000-Node
   * simulation). A change is rebuilt as an object only when read back (a watch from an old
   * resourceVersion, a list page at one).
   */
  readonly #history: HistoryRing;
  #historyStart: number;
  /** {@link entries}' answer until the next commit (an informer lists page after page). */
  #sorted: Array<[string, JsonObject]> | undefined;
  /**
   * The last state rebuilt by {@link entriesAt}: a state at a past version never changes, and a
   * paginated list asks for the same one once per page (20 rebuilds of 10,000 objects per list).
   */
  #past: { readonly rv: number; readonly entries: Array<[string, JsonObject]> } | undefined;

  /**
   * @param historyLimit - number of changes retained.
   * @param startRv - the global resourceVersion when the resource came to exist: history is
   *   complete from there on.
   */
  constructor(historyLimit: number, startRv: number) {
    this.#history = new HistoryRing(historyLimit);
    this.#historyStart = startRv;
  }

  /** The stored object under `key` (the private instance: copy before handing out). */
  get(key: string): JsonObject | undefined {
    return this.#objects.get(key);
  }

  /** Number of stored objects. */
  get size(): number {
    return this.#objects.size;
  }

  /** Current objects in no particular order (private instances), without building a list. */
  values(): IterableIterator<JsonObject> {
    return this.#objects.values();
  }

  /** Current objects sorted by key (private instances; the array is shared: do not change it). */
  entries(): readonly (readonly [string, JsonObject])[] {
    this.#sorted ??= sortByKey([...this.#objects.entries()]);
    return this.#sorted;
  }

  /**
   * The resourceVersion history is complete after: every change with a greater version is
   * retained, so a watch or a list page from any version >= this one can be served.
   */
  get historyStart(): number {
    return this.#historyStart;
  }

  /** Records a change and applies it to the current objects. */
  commit(change: StoredChange): void {
    if (change.type === 'DELETED') this.#objects.delete(change.key);
    else this.#objects.set(change.key, change.object);
    this.#sorted = undefined;
    const evictedRv = this.#history.push(change);
    if (evictedRv !== undefined) this.#historyStart = evictedRv;
  }

  /** Changes after `rv`, oldest first, or `undefined` when some of them have been evicted. */
  changesSince(rv: number): StoredChange[] | undefined {
    if (rv < this.#historyStart) return undefined;
    return this.#history.since(rv);
  }

  /**
   * The objects as they were at `rv`, sorted by key, rebuilt by undoing later changes; undefined
   * when history no longer reaches back that far (etcd would answer "compacted").
   */
  entriesAt(rv: number): readonly (readonly [string, JsonObject])[] | undefined {
    const later = this.changesSince(rv);
    if (later === undefined) return undefined;
    if (later.length === 0) return this.entries();
    if (this.#past?.rv === rv) return this.#past.entries;
    const state = new Map(this.#objects);
    for (let i = later.length - 1; i >= 0; i--) {
      const change = later[i] as StoredChange;
      if (change.prev === undefined) state.delete(change.key);
      else state.set(change.key, change.prev);
    }
    const entries = sortByKey([...state.entries()]);
    this.#past = { rv, entries };
    return entries;
  }

  /** Forgets all history up to `rv` (the current global resourceVersion). */
  compact(rv: number): void {
    this.#history.clear();
    this.#past = undefined;
    this.#historyStart = Math.max(this.#historyStart, rv);
  }
}

function sortByKey(entries: Array<[string, JsonObject]>): Array<[string, JsonObject]> {
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A bounded FIFO of changes in parallel slots (see `ResourceStore`'s history). */
class HistoryRing {
  readonly #capacity: number;
  readonly #rvs: number[] = [];
  readonly #types: ChangeType[] = [];
  readonly #keys: string[] = [];
  readonly #objects: JsonObject[] = [];
  readonly #prevs: Array<JsonObject | undefined> = [];
  /** Slot of the oldest change. */
  #first = 0;
  #length = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Appends `change`; returns the resourceVersion of the change it evicted, if any. */
  push(change: StoredChange): number | undefined {
    if (this.#capacity === 0) return change.rv;
    let slot: number;
    let evicted: number | undefined;
    if (this.#length < this.#capacity) {
      slot = (this.#first + this.#length) % this.#capacity;
      this.#length++;
    } else {
      slot = this.#first;
      evicted = this.#rvs[slot];
      this.#first = (this.#first + 1) % this.#capacity;
    }
    this.#rvs[slot] = change.rv;
    this.#types[slot] = change.type;
    this.#keys[slot] = change.key;
    this.#objects[slot] = change.object;
    this.#prevs[slot] = change.prev;
    return evicted;
  }

  /** The changes after `rv`, oldest first, as new objects. */
  since(rv: number): StoredChange[] {
    const out: StoredChange[] = [];
    for (let i = 0; i < this.#length; i++) {
      const slot = (this.#first + i) % this.#capacity;
      const at = this.#rvs[slot] as number;
      if (at <= rv) continue;
      out.push({ rv: at, type: this.#types[slot] as ChangeType, key: this.#keys[slot] as string, object: this.#objects[slot] as JsonObject, prev: this.#prevs[slot] });
    }
    return out;
  }

  /** Forgets every change (and lets go of the objects they held). */
  clear(): void {
    this.#first = 0;
    this.#length = 0;
    for (const list of [this.#rvs, this.#types, this.#keys, this.#objects, this.#prevs]) list.length = 0;
  }
}
