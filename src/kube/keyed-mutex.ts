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
    const previous = this.#tails.get(key);
    let release!: () => void;
    // The next task for the key waits for this one's tail alone: it is released only after this
    // task ran, which was only after the previous tail, so the chain needs no link of its own.
    // (One promise per task: the service controller runs one per Service per pass.)
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.#tails.set(key, tail);
    try {
      // Also when the key is free: the task starts on a later turn, never inside the caller's.
      await previous;
      return await task();
    } finally {
      release();
      // The last holder cleans up, so the map only holds keys with waiting or running tasks.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }

  /** Number of keys with a running or waiting task. */
  get size(): number {
    return this.#tails.size;
  }
}
