/**
 * Idleness of the manager's controllers, seen from outside: a work-queue metrics sink counting
 * pending and in-flight keys per queue, and a clock wrapper that recognises the timers of delayed
 * requeues (backoff after a failure, `RetryError` delays) so `settle` knows work is still owed.
 *
 * @module
 */
import type { Clock, FakeClock, Timer } from '../../kube/clock.js';
import type { WorkQueueMetrics } from '../../kube/work-queue.js';

/**
 * Queues whose delayed requeue is a periodic resync, not owed work: the route controller requeues
 * its single key every `--route-reconciliation-period` after a success (as upstream's ticker).
 */
const PERIODIC_QUEUES: ReadonlySet<string> = new Set(['Routes']);

interface QueueState {
  pending: number;
  inFlight: number;
}

/** Tracks every controller queue and delayed requeue; see {@link QueueWatch.idle}. */
export class QueueWatch implements WorkQueueMetrics, Clock {
  readonly #clock: FakeClock;
  readonly #queues = new Map<string, QueueState>();
  readonly #delayed = new Map<number, string>();
  #armed: string | undefined;
  #nextId = 0;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  #state(name: string): QueueState {
    let s = this.#queues.get(name);
    if (s === undefined) {
      s = { pending: 0, inFlight: 0 };
      this.#queues.set(name, s);
    }
    return s;
  }

  add(name: string): void {
    this.#state(name);
  }

  depth(name: string, n: number): void {
    this.#state(name).pending = n;
  }

  get(name: string): void {
    this.#state(name).inFlight++;
  }

  done(name: string): void {
    const s = this.#state(name);
    s.inFlight = Math.max(0, s.inFlight - 1);
  }

  retry(name: string): void {
    // WorkQueue.addAfter reports `retry` and then, synchronously, arms its timer on the clock:
    // the next setTimer in this tick belongs to that queue. Disarmed at the next microtask when
    // addAfter returned without a timer (delay <= 0, or an earlier delay already waiting).
    this.#state(name);
    this.#armed = name;
    queueMicrotask(() => {
      this.#armed = undefined;
    });
  }

  now(): number {
    return this.#clock.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.#clock.sleep(ms, signal);
  }

  setTimer(ms: number, fn: () => void): Timer {
    const queue = this.#armed;
    this.#armed = undefined;
    if (queue === undefined || PERIODIC_QUEUES.has(queue)) return this.#clock.setTimer(ms, fn);
    const id = this.#nextId++;
    this.#delayed.set(id, queue);
    const timer = this.#clock.setTimer(ms, () => {
      this.#delayed.delete(id);
      fn();
    });
    return {
      cancel: () => {
        this.#delayed.delete(id);
        timer.cancel();
      },
    };
  }

  /** The queues that are not idle, as `name: P pending, F in flight, D delayed`. */
  describeBusy(): string[] {
    const delayed = new Map<string, number>();
    for (const q of this.#delayed.values()) delayed.set(q, (delayed.get(q) ?? 0) + 1);
    const out: string[] = [];
    for (const [name, s] of this.#queues) {
      const d = delayed.get(name) ?? 0;
      if (s.pending + s.inFlight + d > 0) out.push(`${name}: ${s.pending} pending, ${s.inFlight} in flight, ${d} delayed`);
    }
    return out;
  }

  /** Keys pending or in flight, summed over queues. */
  busyKeys(): number {
    let n = 0;
    for (const s of this.#queues.values()) n += s.pending + s.inFlight;
    return n;
  }

  /** Delayed requeues still waiting for their timer. */
  delayedRequeues(): number {
    return this.#delayed.size;
  }

  /**
   * Idle: no queue has a pending or in-flight key and no delayed requeue (backoff or RetryError
   * delay) is waiting. Periodic loops (lifecycle polling, status updates, resyncs, lease renewal,
   * the route controller's reconciliation period) may still have timers: they are not owed work.
   */
  idle(): boolean {
    return this.busyKeys() === 0 && this.#delayed.size === 0;
  }
}
