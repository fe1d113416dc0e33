/**
 * A counting semaphore for promises: at most `limit` tasks run at once, the rest wait in FIFO
 * order. The route controller uses one per pass to keep at most 200 cloud route calls in flight
 * (upstream's `maxConcurrentRouteOperations` buffered channel).
 *
 * @module
 */

/** Runs async tasks with at most `limit` in flight. */
export class ConcurrencyLimit {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  #peak = 0;

  /** @param limit - the most tasks in flight at once (a positive integer). */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`ConcurrencyLimit: limit must be a positive integer, got ${limit}`);
    this.#limit = limit;
  }

  /** Tasks running now. */
  get active(): number {
    return this.#active;
  }

  /** The most tasks that ever ran at once (for tests and benchmarks). */
  get peak(): number {
    return this.#peak;
  }

  /** Runs `task` once a slot is free; settles as the task does. */
  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    this.#peak = Math.max(this.#peak, this.#active);
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // Hand the slot straight to the next waiter, so `active` never exceeds the limit.
      if (next !== undefined) next();
      else this.#active--;
    }
  }
}
