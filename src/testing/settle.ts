/**
 * Waiting, in tests on a virtual clock, until the controllers have done what they owe — without
 * counting rounds. The work is known from the controllers' queues (a `QueueWatch` given as the
 * `workQueueMetrics` of their context, as the simulator does); what can still run is known from
 * the clock: promise continuations settle in one round, and a timer due now means another round.
 *
 * @internal Test support; not part of the public API.
 * @module
 */
import type { FakeClock } from '../kube/clock.js';

/** Owed work, as a `QueueWatch` reports it. */
export interface QueueIdleness {
  /** True when no queue has a pending, in-flight or delayed (backoff) key. */
  idle(): boolean;
}

/** Options of {@link settle}. */
export interface SettleOptions {
  /** The work to wait for; without it, settle runs only what can run at this instant. */
  readonly queues?: QueueIdleness;
  /**
   * Virtual time settle may let pass, timer by timer, while work is still owed (a backoff, a
   * retry delay, a slow cloud call); default 0: time stands still.
   */
  readonly withinMs?: number;
}

/** Rounds after which a clock still busy at one instant is a loop that never yields (a bug). */
const MAX_ROUNDS_PER_INSTANT = 10_000;

/**
 * Runs promise continuations and due timers, round after round, until nothing more can run at
 * this instant and the queues are idle; while work is owed, lets virtual time pass to the next
 * timer, up to `withinMs`. Resolves whether the queues ended idle.
 *
 * @example
 * ```ts
 * const queues = new QueueWatch();
 * const controller = new CloudNodeController({ ...ctx, workQueueMetrics: queues });
 * void controller.run(signal);
 * await admin.nodes.create(node);
 * assert.equal(await settle(clock, { queues }), true);
 * ```
 */
export async function settle(clock: FakeClock, options: SettleOptions = {}): Promise<boolean> {
  const deadline = clock.now() + (options.withinMs ?? 0);
  const idle = (): boolean => options.queues?.idle() ?? true;
  let rounds = 0;
  for (;;) {
    const instant = clock.now();
    await clock.advance(0);
    const next = clock.nextTimerAt();
    if (next !== undefined && next <= clock.now()) {
      // Something scheduled for now while the last round ran: another round.
      rounds = clock.now() === instant ? rounds + 1 : 0;
      if (rounds > MAX_ROUNDS_PER_INSTANT) throw new Error(`settle: timers keep falling due at ${new Date(clock.now()).toISOString()} (a zero-delay loop?)`);
      continue;
    }
    if (idle()) return true;
    if (next === undefined || next > deadline) return false;
    await clock.advanceTo(next);
  }
}
