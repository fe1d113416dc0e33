/**
 * A per-key asynchronous mutex.
 *
 * @module
 */

/**
 * Runs tasks for the same key one at a time, in the order they asked. The service controller
 * serialises the cloud calls that carry a node set (Ensure from a Service sync, Update from a
 * host-update pass) per Service, so the load balancer always ends with the set that was chosen
 * last — upstream relies on luck here (`TestSlowNodeSync`).
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` once every earlier task for `key` has settled; resolves or rejects with it. */
  async run<R>(key: string, task: () => Promise<R>): Promise<R> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => tail);
    this.#tails.set(key, chained);
    try {
      await previous;
      return await task();
    } finally {
      release();
      // The last holder cleans up, so the map only holds keys with waiting or running tasks.
      if (this.#tails.get(key) === chained) this.#tails.delete(key);
    }
  }

  /** Number of keys with a running or waiting task. */
  get size(): number {
    return this.#tails.size;
  }
}
