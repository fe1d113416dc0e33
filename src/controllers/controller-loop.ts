/**
 * The one reconcile idiom every controller uses (ARCHITECTURE.md convention 2, after
 * controller-runtime): event handlers only enqueue keys; workers take a key, call
 * `reconcile(key)`, and the outcome decides what happens next:
 * - success ⇒ `forget(key)` (resets its backoff); `{ requeueAfterMs }` ⇒ also re-add after that delay;
 * - a thrown `RetryError` (anywhere in the cause chain) ⇒ re-add after its delay, backoff untouched
 *   (as upstream's service controller treats `api.RetryError`);
 * - any other thrown error ⇒ logged and re-added through the rate limiter (per-item backoff).
 * A key is never reconciled by two workers at once (the work queue guarantees it).
 *
 * @module
 */
import { findRetryError } from '../cloud/errors.js';
import type { Clock } from '../kube/clock.js';
import type { RateLimiter } from '../kube/rate-limiter.js';
import { WorkQueue, type WorkQueueMetrics } from '../kube/work-queue.js';
import type { Logger } from '../log/logger.js';

/** What a reconcile receives besides the key. */
export interface ReconcileContext {
  /** Aborted when the controller stops; pass it to every API and cloud call. */
  readonly signal: AbortSignal;
  /** A logger carrying the controller name and the key. */
  readonly log: Logger;
}

/** What a reconcile may ask for on success. */
export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds. */
  readonly requeueAfterMs?: number;
}

/** Reconciles one key, level-based: reads current state, acts, returns. Throw to retry with backoff. */
export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | undefined | void>;

/** Observes reconcile outcomes (for metrics and tests). */
export interface ReconcileObserver {
  (event: { readonly key: string; readonly outcome: 'success' | 'requeue_after' | 'retry_after' | 'error'; readonly error?: unknown; readonly durationMs: number }): void;
}

/** Options of a {@link ControllerLoop}. */
export interface ControllerLoopOptions {
  /** Queue and log name, e.g. `service` or `Nodes`. */
  readonly name: string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly reconcile: Reconciler;
  /** Per-key backoff; defaults to client-go's default controller rate limiter. */
  readonly rateLimiter?: RateLimiter;
  readonly queueMetrics?: WorkQueueMetrics;
  readonly observe?: ReconcileObserver;
}

/**
 * A work queue plus its workers.
 *
 * @example
 * ```ts
 * const loop = new ControllerLoop({ name: 'service', clock, logger, reconcile: (key, ctx) => sync(key, ctx) });
 * informer.addEventHandler({ onAdd: (svc) => loop.enqueue(keyOf(svc)) });
 * await loop.run(signal, 1); // resolves after `signal` aborts and in-flight work finishes
 * ```
 */
export class ControllerLoop {
  /** The underlying queue (exposed for tests and metrics). */
  readonly queue: WorkQueue<string>;
  readonly #options: ControllerLoopOptions;
  readonly #log: Logger;

  constructor(options: ControllerLoopOptions) {
    this.#options = options;
    this.#log = options.logger.withName(options.name);
    this.queue = new WorkQueue<string>({
      name: options.name,
      clock: options.clock,
      ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
      ...(options.queueMetrics === undefined ? {} : { metrics: options.queueMetrics }),
    });
  }

  /** Adds a key now. */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Adds a key after a delay (the earliest pending delay wins). */
  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /**
   * Runs `workers` workers until `signal` aborts, then shuts the queue down and waits for
   * in-flight reconciles to finish.
   */
  async run(signal: AbortSignal, workers: number): Promise<void> {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`${this.#options.name}: workers must be a positive integer, got ${workers}`);
    const onAbort = (): void => this.queue.shutDown();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.all(Array.from({ length: workers }, () => this.#worker(signal)));
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Takes one key (waiting for one if needed) and reconciles it. Returns false once the queue is
   * shut down and drained. Tests use it to step a controller deterministically.
   */
  async processNext(signal: AbortSignal = new AbortController().signal): Promise<boolean> {
    const key = await this.queue.get();
    if (key === undefined) return false;
    if (signal.aborted) {
      // Stopping: leave pending keys alone rather than reconcile them with an aborted signal.
      this.queue.done(key);
      return false;
    }
    await this.#handle(key, signal);
    return true;
  }

  async #worker(signal: AbortSignal): Promise<void> {
    while (await this.processNext(signal)) {
      // keep going until shutdown
    }
  }

  async #handle(key: string, signal: AbortSignal): Promise<void> {
    const { clock } = this.#options;
    const started = clock.now();
    const log = this.#log.withValues({ key });
    try {
      const result = await this.#options.reconcile(key, { signal, log });
      this.queue.forget(key);
      const after = result?.requeueAfterMs;
      if (after !== undefined && after >= 0) {
        this.queue.addAfter(key, after);
        this.#observe(key, 'requeue_after', started);
      } else {
        this.#observe(key, 'success', started);
      }
    } catch (err) {
      if (signal.aborted) {
        // Shutting down: the error is most likely the abort itself; do not requeue.
        this.#observe(key, 'error', started, err);
      } else {
        const retry = findRetryError(err);
        if (retry !== undefined) {
          log.v(2).info('Reconcile asked to retry after a fixed delay', { retryAfterMs: retry.retryAfterMs, reason: retry.message });
          this.queue.addAfter(key, retry.retryAfterMs);
          this.#observe(key, 'retry_after', started, err);
        } else {
          log.error(err, 'Reconcile failed; will retry with backoff', { requeues: this.queue.numRequeues(key) });
          this.queue.addRateLimited(key);
          this.#observe(key, 'error', started, err);
        }
      }
    } finally {
      this.queue.done(key);
    }
  }

  #observe(key: string, outcome: 'success' | 'requeue_after' | 'retry_after' | 'error', started: number, error?: unknown): void {
    this.#options.observe?.({ key, outcome, durationMs: this.#options.clock.now() - started, ...(error === undefined ? {} : { error }) });
  }
}
