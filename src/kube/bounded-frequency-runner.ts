/**
 * Runs one function on request, never two at once and never two starts closer than a minimum
 * interval — the shape of kube-proxy's `BoundedFrequencyRunner` (`pkg/util/async`) with one burst
 * token and no periodic run: the first request after a quiet interval runs at once; requests
 * arriving within the interval (or while a run is going) fold into one run at the interval's end
 * (or when the run ends, whichever is later). A run therefore always starts after the last
 * request, so the state that request announced is never missed.
 *
 * It reports to {@link WorkQueueMetrics} as a queue of one item: a request waiting for its turn
 * is pending (`depth`) or waiting out the interval (`delayed`), a run is in flight (`get` …
 * `done`) — so the simulator's idleness check and the queue metrics see it as they see a queue.
 *
 * @module
 */
import type { Clock, Timer } from './clock.js';
import type { WorkQueueMetrics } from './work-queue.js';

/** Options of a {@link BoundedFrequencyRunner}. */
export interface BoundedFrequencyRunnerOptions {
  /** Name for metrics (the queue name the runner reports as). */
  readonly name: string;
  readonly clock: Clock;
  /** Least time between the starts of two runs, in milliseconds (≥ 0). */
  readonly minIntervalMs: number;
  /** The work; it receives the signal given to {@link BoundedFrequencyRunner.run}. */
  readonly fn: (signal: AbortSignal) => Promise<void>;
  /** Called with an error `fn` threw (the runner carries on; the next request runs it again). */
  readonly onError?: (err: unknown) => void;
  readonly metrics?: WorkQueueMetrics;
}

/**
 * A bounded-frequency runner.
 *
 * @example
 * ```ts
 * const runner = new BoundedFrequencyRunner({ name: 'node', clock, minIntervalMs: 100, fn: (signal) => syncAll(signal) });
 * informer.addEventHandler({ onAdd: () => runner.request() });
 * await runner.run(signal); // serves requests until `signal` aborts, then waits for a run in flight
 * ```
 */
export class BoundedFrequencyRunner {
  readonly #o: BoundedFrequencyRunnerOptions;
  /** A run was asked for and has not started yet. */
  #requested = false;
  #requestedAt = 0;
  #inFlight: Promise<void> | undefined;
  #timer: Timer | undefined;
  #lastStart = -Infinity;
  #signal: AbortSignal | undefined;
  #stopped = false;
  #runs = 0;
  #reportedDepth = 0;
  #reportedDelayed = 0;

  constructor(options: BoundedFrequencyRunnerOptions) {
    if (!Number.isFinite(options.minIntervalMs) || options.minIntervalMs < 0) {
      throw new RangeError(`${options.name}: minIntervalMs must be a finite number ≥ 0, got ${options.minIntervalMs}`);
    }
    this.#o = options;
  }

  /**
   * Asks for a run: at once when none ran within the minimum interval and none is running,
   * otherwise at the earliest allowed moment (requests meanwhile fold into that one run).
   * Requests before {@link run} are served when it starts; after it stopped they are ignored.
   */
  request(): void {
    if (this.#stopped) return;
    if (!this.#requested) {
      this.#requested = true;
      this.#requestedAt = this.#o.clock.now();
      this.#o.metrics?.add(this.#o.name);
    }
    this.#schedule();
  }

  /** Serves requests until `signal` aborts, then waits for the run in flight (if any) to end. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.#signal !== undefined || this.#stopped) throw new Error(`${this.#o.name}: the runner runs once`);
    this.#signal = signal;
    this.#schedule();
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    this.#stopped = true;
    this.#requested = false;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#report();
    await this.#inFlight;
  }

  /** True when no run is requested, waiting or running. */
  get idle(): boolean {
    return !this.#requested && this.#inFlight === undefined;
  }

  /** How many runs started. */
  get runs(): number {
    return this.#runs;
  }

  #schedule(): void {
    const signal = this.#signal;
    if (this.#requested && signal !== undefined && !this.#stopped && this.#inFlight === undefined && this.#timer === undefined) {
      const wait = this.#lastStart + this.#o.minIntervalMs - this.#o.clock.now();
      if (wait > 0) {
        this.#timer = this.#o.clock.setTimer(wait, () => {
          this.#timer = undefined;
          this.#schedule();
        });
      } else {
        this.#start(signal);
      }
    }
    this.#report();
  }

  #start(signal: AbortSignal): void {
    const { clock, name, metrics } = this.#o;
    const started = clock.now();
    this.#requested = false;
    this.#lastStart = started;
    this.#runs++;
    metrics?.get(name, started - this.#requestedAt);
    // The work starts in a later microtask: never inside the caller of request() (an informer handler).
    this.#inFlight = Promise.resolve()
      .then(() => this.#o.fn(signal))
      .catch((err: unknown) => this.#o.onError?.(err))
      .finally(() => {
        this.#inFlight = undefined;
        metrics?.done(name, clock.now() - started);
        this.#schedule();
      });
  }

  /** Reports pending and delayed as a one-item queue would, on change only. */
  #report(): void {
    const metrics = this.#o.metrics;
    if (metrics === undefined) return;
    const delayed = this.#timer === undefined ? 0 : 1;
    const depth = this.#requested && delayed === 0 ? 1 : 0;
    if (depth !== this.#reportedDepth) {
      this.#reportedDepth = depth;
      metrics.depth(this.#o.name, depth);
    }
    if (delayed !== this.#reportedDelayed) {
      this.#reportedDelayed = delayed;
      metrics.delayed?.(this.#o.name, delayed);
    }
  }
}
