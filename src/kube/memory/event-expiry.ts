/**
 * Event time-to-live for the simulated API server (a test double): kube-apiserver stores every
 * Event with an etcd lease of `--event-ttl` (default 1 h), renewed by each write of the Event, and
 * etcd deletes it when the lease runs out (watchers see DELETED). Without this, a long simulation
 * keeps every Event it ever wrote.
 *
 * The TTL is the same for every write, so expiry times come in write order: a FIFO of
 * (key, resourceVersion, due) is enough, and a write that renews an Event leaves its older entry
 * behind to be skipped. Expiry is checked on the virtual clock at every request (no timer: a timer
 * on a real clock would keep a process alive for an hour), so an expired Event goes at the first
 * request at or after its due time.
 *
 * @module
 */

/** Default `--event-ttl` of kube-apiserver: one hour. */
export const DEFAULT_EVENT_TTL_MS = 3_600_000;

interface Due {
  readonly key: string;
  readonly rv: number;
  readonly at: number;
}

/** The pending expiries of one resource, in due order. */
export class ExpiryQueue {
  readonly #ttlMs: number;
  #queue: Due[] = [];
  #head = 0;

  /** @param ttlMs - time to live after each write (> 0). */
  constructor(ttlMs: number) {
    if (!(ttlMs > 0)) throw new RangeError(`event TTL must be > 0 ms, got ${ttlMs}`);
    this.#ttlMs = ttlMs;
  }

  /** An object was written at `now` with resourceVersion `rv`: it is due at `now + ttl` unless written again. */
  written(key: string, rv: number, now: number): void {
    this.#queue.push({ key, rv, at: now + this.#ttlMs });
  }

  /** Entries waiting (stale ones included). */
  get length(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * Hands every entry due at `now` to `expire(key, rv)`, oldest first; `expire` deletes the object
   * when it is still at that version (a later write renewed it otherwise).
   */
  expire(now: number, expire: (key: string, rv: number) => void): void {
    while (this.#head < this.#queue.length) {
      const due = this.#queue[this.#head] as Due;
      if (due.at > now) break;
      this.#head++;
      expire(due.key, due.rv);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
