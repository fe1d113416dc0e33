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

/**
 * Entries per chunk of an {@link ExpiryQueue}. The queue grows by chunks rather than by copying
 * one list into a longer one: 40,000 Events in one list meant lists of 300 KiB and more, each
 * regrowth allocated straight into V8's old generation and the old copy left behind as garbage.
 */
const CHUNK_SIZE = 1024;

/** Up to {@link CHUNK_SIZE} entries as three parallel lists (a boxed object per entry costs three times as much). */
class ExpiryChunk {
  readonly keys: string[] = [];
  readonly rvs: number[] = [];
  readonly dues: number[] = [];
}

/** The pending expiries of one resource, in due order. */
export class ExpiryQueue {
  readonly #ttlMs: number;
  /** Oldest first; only the last one is ever appended to. */
  readonly #chunks: ExpiryChunk[] = [];
  /** Entries of the first chunk already handed out. */
  #head = 0;
  #length = 0;

  /** @param ttlMs - time to live after each write (> 0). */
  constructor(ttlMs: number) {
    if (!(ttlMs > 0)) throw new RangeError(`event TTL must be > 0 ms, got ${ttlMs}`);
    this.#ttlMs = ttlMs;
  }

  /** An object was written at `now` with resourceVersion `rv`: it is due at `now + ttl` unless written again. */
  written(key: string, rv: number, now: number): void {
    let last = this.#chunks[this.#chunks.length - 1];
    if (last === undefined || last.keys.length === CHUNK_SIZE) {
      last = new ExpiryChunk();
      this.#chunks.push(last);
    }
    last.keys.push(key);
    last.rvs.push(rv);
    last.dues.push(now + this.#ttlMs);
    this.#length++;
  }

  /** Entries waiting (stale ones included). */
  get length(): number {
    return this.#length;
  }

  /**
   * Hands every entry due at `now` to `expire(key, rv)`, oldest first; `expire` deletes the object
   * when it is still at that version (a later write renewed it otherwise).
   */
  expire(now: number, expire: (key: string, rv: number) => void): void {
    for (let first = this.#chunks[0]; first !== undefined; first = this.#chunks[0]) {
      if (this.#head === first.keys.length) {
        // Used up: dropped once full (a partly filled last chunk still receives entries).
        if (first.keys.length < CHUNK_SIZE) return;
        this.#chunks.shift();
        this.#head = 0;
        continue;
      }
      const at = this.#head;
      if ((first.dues[at] as number) > now) return;
      this.#head++;
      this.#length--;
      expire(first.keys[at] as string, first.rvs[at] as number);
    }
  }
}
