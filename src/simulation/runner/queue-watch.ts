/**
 * Idleness of the manager's controllers, seen from outside: a work-queue metrics sink counting
 * pending, in-flight and delayed keys per queue (every queue reports to it), so `settle` knows
 * whether work is still owed.
 *
 * @module
 */
import type { WorkQueueMetrics } from '../../kube/work-queue.js';

/**
 * Queues whose delayed requeue is a periodic resync, not owed work: the route controller requeues
 * its single key every `--route-reconciliation-period` after a success (as upstream's ticker).
 */
const PERIODIC_QUEUES: ReadonlySet<string> = new Set(['Routes']);

interface QueueState {
  pending: number;
  inFlight: number;
  /** Keys waiting out a delay (backoff after a failure, a `RetryError` delay), as the queue reports. */
  delayed: number;
}

/** Tracks every controller queue; see {@link QueueWatch.idle}. */
export class QueueWatch implements WorkQueueMetrics {
  readonly #queues = new Map<string, QueueState>();

  #state(name: string): QueueState {
    let s = this.#queues.get(name);
    if (s === undefined) {
      s = { pending: 0, inFlight: 0, delayed: 0 };
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
    this.#state(name);
  }

  delayed(name: string, n: number): void {
    // A periodic queue's waiting key is its next resync, not owed work.
    this.#state(name).delayed = PERIODIC_QUEUES.has(name) ? 0 : n;
  }

  /** The queues that are not idle, as `name: P pending, F in flight, D delayed`. */
  describeBusy(): string[] {
    const out: string[] = [];
    for (const [name, s] of this.#queues) {
      if (s.pending + s.inFlight + s.delayed > 0) out.push(`${name}: ${s.pending} pending, ${s.inFlight} in flight, ${s.delayed} delayed`);
    }
    return out;
  }

  /** Keys pending or in flight, summed over queues. */
  busyKeys(): number {
    let n = 0;
    for (const s of this.#queues.values()) n += s.pending + s.inFlight;
    return n;
  }

  /** Delayed requeues still waiting for their timer (periodic queues excluded). */
  delayedRequeues(): number {
    let n = 0;
    for (const s of this.#queues.values()) n += s.delayed;
    return n;
  }

  /**
   * Idle: no queue has a pending or in-flight key and no delayed requeue (backoff or RetryError
   * delay) is waiting. Periodic loops (lifecycle polling, status updates, resyncs, lease renewal,
   * the route controller's reconciliation period) may still have timers: they are not owed work.
   */
  idle(): boolean {
    return this.busyKeys() === 0 && this.delayedRequeues() === 0;
  }
}
