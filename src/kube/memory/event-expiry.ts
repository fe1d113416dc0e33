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

/** The pending expiries of one resource, in due order. */
export class ExpiryQueue {
  readonly #ttlMs: number;
  // Three parallel lists rather than one object per entry: a large simulation keeps tens of
  // thousands of Events, and an entry object with its boxed due time costs three times as much.
  #keys: string[] = [];
  #rvs: number[] = [];
  #dues: number[] = [];
  #head = 0;

  /** @param ttlMs - time to live after each write (> 0). */
  constructor(ttlMs: number) {
    if (!(ttlMs > 0)) throw new RangeError(`event TTL must be > 0 ms, got ${ttlMs}`);
    this.#ttlMs = ttlMs;
  }

  /** An object was written at `now` with resourceVersion `rv`: it is due at `now + ttl` unless written again. */
  written(key: string, rv: number, now: number): void {
    this.#keys.push(key);
    this.#rvs.push(rv);
    this.#dues.push(now + this.#ttlMs);
  }

  /** Entries waiting (stale ones included). */
  get length(): number {
    return this.#keys.length - this.#head;
  }

  /**
   * Hands every entry due at `now` to `expire(key, rv)`, oldest first; `expire` deletes the object
   * when it is still at that version (a later write renewed it otherwise).
   */
  expire(now: number, expire: (key: string, rv: number) => void): void {
    while (this.#head < this.#keys.length) {
      const at = this.#head;
      if ((this.#dues[at] as number) > now) break;
      this.#head++;
      expire(this.#keys[at] as string, this.#rvs[at] as number);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#keys.length) {
      this.#keys = this.#keys.slice(this.#head);
      this.#rvs = this.#rvs.slice(this.#head);
      this.#dues = this.#dues.slice(this.#head);
      this.#head = 0;
    }
  }
}
