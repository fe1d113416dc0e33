/**
 * The controllers' work queue: a de-duplicating FIFO of keys with per-key serialisation, delayed
 * adds and rate-limited retries.
 *
 * Hand-written to the semantics of client-go `util/workqueue` (`queue.go`, `delaying_queue.go`,
 * `rate_limiting_queue.go`, `metrics.go`) folded into one class; no npm package has the
 * dirty/processing sets these rely on (research/ts-ecosystem.md §2.6). Go's blocking `Get` becomes
 * a promise, and the delaying queue's heap goroutine becomes one {@link Clock} timer per waiting key.
 *
 * @module
 */

import type { Clock, Timer } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/**
 * Observation hooks, one call per event, shaped after client-go's workqueue metrics provider
 * (`workqueue_adds_total`, `workqueue_depth`, `workqueue_queue_duration_seconds`,
 * `workqueue_work_duration_seconds`, `workqueue_retries_total`; `name` is the queue's name).
 * Unfinished work and the longest-running processor are gauges a sink samples from
 * {@link WorkQueue.unfinishedWorkMs} and {@link WorkQueue.longestRunningMs}.
 */
export interface WorkQueueMetrics {
  /** An item became pending (adds that are merged into an already pending item are not counted). */
  add(name: string): void;
  /** The number of pending items changed to `n` (items added but not yet handed to a worker). */
  depth(name: string, n: number): void;
  /** A worker took an item that had been pending for `waitedMs`. */
  get(name: string, waitedMs: number): void;
  /** A worker finished an item it had held for `workedMs`. */
  done(name: string, workedMs: number): void;
  /** `addAfter` or `addRateLimited` was called (before the shutdown check only, as upstream). */
  retry(name: string): void;
  /**
   * The number of items waiting out a delay (`addAfter`, `addRateLimited`) is now `n` (see
   * {@link WorkQueue.delayed}). Optional: no client-go metric has it; the simulator's idleness
   * check does.
   */
  delayed?(name: string, n: number): void;
}

/** Options of a {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Queue name for metrics and logs, e.g. `service`. */
  readonly name: string;
  readonly clock: Clock;
  /** Used by `addRateLimited`/`forget`/`numRequeues`; defaults to {@link defaultControllerRateLimiter}. */
  readonly rateLimiter?: RateLimiter;
  readonly metrics?: WorkQueueMetrics;
}

interface Waiter<T> {
  resolve(item: T | undefined): void;
}

interface Delayed {
  readonly readyAt: number;
  readonly timer: Timer;
}

/**
 * A rate-limited, delaying work queue with client-go semantics:
 * - an item is pending at most once: adding a pending item again is a no-op (the dirty set);
 * - an item handed to a worker is never handed to another until `done(item)`; if it was added
 *   meanwhile, `done` puts it back at the end of the queue (so N triggers make one more pass);
 * - otherwise items come out in the order they were first added;
 * - after `shutDown` new adds are ignored, but pending items are still handed out; `get` then
 *   resolves `undefined` once nothing is left.
 *
 * @example
 * ```ts
 * const queue = new WorkQueue({ name: 'service', clock });
 * for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
 *   try { await reconcile(key); queue.forget(key); }
 *   catch { queue.addRateLimited(key); }
 *   finally { queue.done(key); }
 * }
 * ```
 */
export class WorkQueue<T extends string = string> {
  /** The queue's name, as given to metrics. */
  readonly name: string;
  readonly #clock: Clock;
  readonly #rateLimiter: RateLimiter;
  readonly #metrics: WorkQueueMetrics | undefined;

  // Pending items in FIFO order; every element is dirty and not processing (as upstream). A head
  // index keeps taking O(1); the array is compacted when the consumed prefix dominates.
  #queue: T[] = [];
  #head = 0;
  // Items that need processing, with the time they became pending (for queue-duration metrics).
  readonly #dirty = new Map<T, number>();
  // Items held by a worker, with the time it took them.
  readonly #processing = new Map<T, number>();
  readonly #waiters: Waiter<T>[] = [];
  readonly #delayed = new Map<T, Delayed>();
  #shuttingDown = false;
  #drain = false;
  #drainWaiters: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.#clock = options.clock;
    this.#rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(options.clock);
    this.#metrics = options.metrics;
  }

  /** Number of items waiting to be handed to a worker (not counting delayed or in-flight ones). */
  get len(): number {
    return this.#queue.length - this.#head;
  }

  /** True once `shutDown` or `shutDownWithDrain` was called. */
  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Marks `item` as needing processing; ignored after shutdown. */
  add(item: T): void {
    if (this.#shuttingDown || this.#dirty.has(item)) return;
    this.#dirty.set(item, this.#clock.now());
    this.#metrics?.add(this.name);
    this.#metrics?.depth(this.name, this.#dirty.size);
    // An item in flight waits for done(): handing it out now would let two workers hold it.
    if (this.#processing.has(item)) return;
    this.#queue.push(item);
    this.#dispatch();
  }

  /**
   * Resolves with the next item, waiting for one if needed; resolves `undefined` when the queue is
   * shut down and nothing is left. The caller must call {@link WorkQueue.done} with the item.
   * Rejects with the signal's reason when `signal` aborts while waiting.
   */
  async get(signal?: AbortSignal): Promise<T | undefined> {
    signal?.throwIfAborted();
    if (this.len > 0) return this.#take();
    if (this.#shuttingDown) return undefined;
    let aborted = false;
    const item = await new Promise<T | undefined>((resolve) => {
      const onAbort = (): void => {
        aborted = true;
        const at = this.#waiters.indexOf(waiter);
        if (at >= 0) this.#waiters.splice(at, 1);
        resolve(undefined);
      };
      const waiter: Waiter<T> = {
        resolve: (taken) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(taken);
        },
      };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    // An aborted waiter was removed before any item could reach it, so nothing is lost here.
    if (aborted) signal?.throwIfAborted();
    return item;
  }

  /**
   * Marks `item` as processed. If it was added again while being processed it is queued again.
   * Calling it for an item no worker holds is a no-op (client-go would queue a pending item twice).
   */
  done(item: T): void {
    const startedAt = this.#processing.get(item);
    if (startedAt === undefined) return;
    this.#processing.delete(item);
    this.#metrics?.done(this.name, this.#clock.now() - startedAt);
    if (this.#dirty.has(item)) {
      this.#queue.push(item);
      this.#dispatch();
    }
    // A drain waits for in-flight items only (as upstream), even if this one became pending again.
    this.#releaseDrainWaiters();
  }

  /**
   * Adds `item` after `ms` milliseconds (client-go `AddAfter`). When the item is already waiting,
   * the earlier ready time wins. `ms <= 0` adds at once. Ignored after shutdown.
   */
  addAfter(item: T, ms: number): void {
    if (Number.isNaN(ms) || ms === Infinity) throw new RangeError(`WorkQueue ${this.name}: addAfter delay must be finite, got ${ms}`);
    if (this.#shuttingDown) return;
    this.#metrics?.retry(this.name);
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.#clock.now() + ms;
    const existing = this.#delayed.get(item);
    if (existing !== undefined) {
      if (existing.readyAt <= readyAt) return;
      existing.timer.cancel();
    }
    const timer = this.#clock.setTimer(ms, () => {
      this.#delayed.delete(item);
      this.#metrics?.delayed?.(this.name, this.#delayed.size);
      this.add(item);
    });
    this.#delayed.set(item, { readyAt, timer });
    this.#metrics?.delayed?.(this.name, this.#delayed.size);
  }

  /** Adds `item` after the delay the rate limiter gives for its next failure. */
  addRateLimited(item: T): void {
    // As upstream, the limiter records the failure even when the queue is shutting down.
    this.addAfter(item, this.#rateLimiter.when(item));
  }

  /** Resets the rate limiter's memory of `item` (call after it was processed successfully). */
  forget(item: T): void {
    this.#rateLimiter.forget(item);
  }

  /** How many times `item` was rate-limited since it was last forgotten. */
  numRequeues(item: T): number {
    return this.#rateLimiter.numRequeues(item);
  }

  /** Number of items held by workers right now. */
  get inFlight(): number {
    return this.#processing.size;
  }

  /** Number of items waiting out a delay (`addAfter`, `addRateLimited`) before they become pending. */
  get delayed(): number {
    return this.#delayed.size;
  }

  /** Sum of how long every in-flight item has been held (`workqueue_unfinished_work_seconds`). */
  unfinishedWorkMs(): number {
    const now = this.#clock.now();
    let total = 0;
    for (const startedAt of this.#processing.values()) total += now - startedAt;
    return total;
  }

  /** How long the oldest in-flight item has been held (`workqueue_longest_running_processor_seconds`). */
  longestRunningMs(): number {
    const now = this.#clock.now();
    let longest = 0;
    for (const startedAt of this.#processing.values()) longest = Math.max(longest, now - startedAt);
    return longest;
  }

  /**
   * Stops accepting items and drops delayed ones; workers still get what is pending, then
   * `undefined`. Also ends a `shutDownWithDrain` wait (as upstream).
   */
  shutDown(): void {
    this.#drain = false;
    this.#stop();
    this.#releaseDrainWaiters();
  }

  /**
   * Shuts down like {@link WorkQueue.shutDown}, then resolves once no item is in flight (or when
   * `shutDown` is called). Workers must call `done`, or this never resolves. Rejects with the
   * signal's reason when `signal` aborts first.
   */
  async shutDownWithDrain(signal?: AbortSignal): Promise<void> {
    this.#drain = true;
    this.#stop();
    if (this.#processing.size === 0) return;
    signal?.throwIfAborted();
    let aborted = false;
    await new Promise<void>((resolve) => {
      const onAbort = (): void => {
        aborted = true;
        this.#drainWaiters = this.#drainWaiters.filter((w) => w !== release);
        resolve();
      };
      const release = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#drainWaiters.push(release);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    if (aborted) signal?.throwIfAborted();
  }

  #stop(): void {
    this.#shuttingDown = true;
    // The delaying queue's loop stops on shutdown, so items still waiting are never added.
    for (const delayed of this.#delayed.values()) delayed.timer.cancel();
    if (this.#delayed.size > 0) {
      this.#delayed.clear();
      this.#metrics?.delayed?.(this.name, 0);
    }
    // Waiters exist only while nothing is pending, so they all learn that the queue is done.
    for (const waiter of this.#waiters.splice(0)) waiter.resolve(undefined);
  }

  #releaseDrainWaiters(): void {
    if (this.#drainWaiters.length === 0) return;
    if (this.#drain && this.#processing.size > 0) return;
    for (const release of this.#drainWaiters.splice(0)) release();
  }

  /** Hands pending items to waiting workers, oldest worker first. */
  #dispatch(): void {
    while (this.len > 0) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) return;
      waiter.resolve(this.#take());
    }
  }

  /** Moves the head item from pending to in flight. Precondition: `len > 0`. */
  #take(): T {
    const item = this.#queue[this.#head] as T;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    const now = this.#clock.now();
    const addedAt = this.#dirty.get(item) ?? now;
    this.#dirty.delete(item);
    this.#processing.set(item, now);
    this.#metrics?.get(this.name, now - addedAt);
    this.#metrics?.depth(this.name, this.#dirty.size);
    return item;
  }
}
