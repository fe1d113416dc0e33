/**
 * Exponential backoff for retry loops outside the work queue (conflict retries, provider calls).
 *
 * Hand-written to the semantics of apimachinery `pkg/util/wait` (`Backoff`, `Backoff.Step`,
 * `ExponentialBackoff`, `Jitter`); the npm retry packages differ in step counting, caps and jitter
 * (research/ts-ecosystem.md §2.6). Durations are milliseconds; time and randomness are injected.
 *
 * @module
 */

import type { Clock } from './clock.js';

/** Parameters of an exponential backoff (apimachinery `wait.Backoff`). */
export interface Backoff {
  /** The first wait, in ms. */
  readonly durationMs: number;
  /** Each wait is the previous one times `factor` (0 keeps it constant). */
  readonly factor: number;
  /** Each wait is lengthened by a random amount up to `jitter` × the wait (0 for none). */
  readonly jitter: number;
  /** How many times the condition runs at most (waits happen in between). */
  readonly steps: number;
  /** When growing would exceed this, the wait becomes the cap and the steps end (see below). */
  readonly capMs?: number;
}

/** What {@link exponentialBackoff} needs from its environment. */
export interface BackoffDeps {
  readonly clock: Clock;
  /** A uniform random number in [0, 1), for jitter. */
  readonly random: () => number;
  /** Aborting stops the loop: the pending wait rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Thrown when a backoff loop ran out of steps (apimachinery `ErrWaitTimeout`). */
export class WaitTimeoutError extends Error {
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'WaitTimeout' as const;

  constructor(options?: { cause?: unknown }) {
    super('timed out waiting for the condition', options);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Returns `durationMs` plus a random extra of up to `maxFactor × durationMs` (apimachinery
 * `wait.Jitter`); `maxFactor <= 0` means 1, as upstream.
 */
export function jitter(durationMs: number, maxFactor: number, random: () => number): number {
  const factor = maxFactor <= 0 ? 1 : maxFactor;
  return durationMs + random() * factor * durationMs;
}

/** The mutable state of a running backoff: the current wait and the steps left. */
interface BackoffState {
  durationMs: number;
  steps: number;
}

/**
 * Returns the next wait and updates `state` (apimachinery `Backoff.Step`). Reaching the cap sets
 * the steps to zero, which ends an {@link exponentialBackoff} loop after that wait.
 */
function step(backoff: Backoff, state: BackoffState, random: () => number): number {
  if (state.steps < 1) return backoff.jitter > 0 ? jitter(state.durationMs, backoff.jitter, random) : state.durationMs;
  state.steps--;
  const current = state.durationMs;
  if (backoff.factor !== 0) {
    let next = current * backoff.factor;
    if (backoff.capMs !== undefined && backoff.capMs > 0 && next > backoff.capMs) {
      next = backoff.capMs;
      state.steps = 0;
    }
    state.durationMs = next;
  }
  // Jitter lengthens this wait only; the next one grows from the un-jittered value.
  return backoff.jitter > 0 ? jitter(current, backoff.jitter, random) : current;
}

/**
 * Runs `condition` until it returns true, waiting between attempts by an exponentially growing,
 * jittered duration (apimachinery `wait.ExponentialBackoff`): `steps` attempts at most, with the
 * first wait `durationMs`. Throws {@link WaitTimeoutError} when the attempts run out; an error
 * thrown by `condition` ends the loop and propagates.
 *
 * As upstream, reaching `capMs` ends the loop after the capped wait without another attempt.
 *
 * @example
 * ```ts
 * await exponentialBackoff({ durationMs: 10, factor: 2, jitter: 0.1, steps: 5 }, async () => ready(), {
 *   clock, random, signal,
 * });
 * ```
 */
export async function exponentialBackoff(
  backoff: Backoff,
  condition: () => Promise<boolean>,
  deps: BackoffDeps,
): Promise<void> {
  const { clock, random, signal } = deps;
  const state: BackoffState = { durationMs: backoff.durationMs, steps: backoff.steps };
  while (state.steps > 0) {
    signal?.throwIfAborted();
    if (await condition()) return;
    if (state.steps === 1) break;
    await clock.sleep(step(backoff, state, random), signal);
  }
  throw new WaitTimeoutError();
}
