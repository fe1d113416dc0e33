/**
 * The Clock seam: every timer, sleep and timestamp in Outrigger goes through a {@link Clock}, so
 * that the simulator and tests can run on virtual time ({@link FakeClock}) while the manager runs
 * on wall time ({@link RealClock}).
 *
 * @module
 */

/** A scheduled callback that can be cancelled. */
export interface Timer {
  /** Cancels the timer; a no-op when it already fired or was cancelled. */
  cancel(): void;
}

/** Source of time and timers. Core code never calls `Date.now()` or `setTimeout` directly. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Resolves after `ms` milliseconds; rejects with the signal's reason when `signal` aborts first.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Runs `fn` once after `ms` milliseconds unless cancelled first. */
  setTimer(ms: number, fn: () => void): Timer;
}

/** Sleeps on a clock's timer, honouring an AbortSignal. Shared by every Clock implementation. */
export async function sleepOn(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted();
  let aborted = false;
  await new Promise<void>((resolve) => {
    const onAbort = (): void => {
      aborted = true;
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  // Thrown here rather than passed to reject(): the caller gets the signal's own reason, whatever
  // its type (typescript-eslint's prefer-promise-reject-errors only admits Errors in reject()).
  if (aborted) signal?.throwIfAborted();
}

/** The longest delay Node's `setTimeout` honours. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The wall clock, backed by `Date.now()` and `setTimeout`. */
export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  setTimer(ms: number, fn: () => void): Timer {
    // Node fires a timeout longer than 2^31-1 ms after 1 ms (TimeoutOverflowWarning), so a long
    // timer is a chain of shorter ones.
    let handle: ReturnType<typeof setTimeout>;
    const arm = (remaining: number): void => {
      const step = Math.min(remaining, MAX_TIMEOUT_MS);
      handle = setTimeout(() => (remaining > step ? arm(remaining - step) : fn()), step);
    };
    arm(Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  }
}

interface PendingTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** Lets every pending promise continuation run before the next virtual timer fires. */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A virtual clock for tests and the simulator. Time stands still until {@link FakeClock.advance}
 * moves it; due timers then fire in order of due time (ties in order of creation), each at its own
 * instant, with pending promise continuations run in between so that code which sleeps in a loop
 * observes every step.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const slept = clock.sleep(5_000);
 * await clock.advance(5_000); // `slept` is now resolved
 * ```
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 0;
  #timers: PendingTimer[] = [];

  /** @param startMs - initial time in ms since the epoch (default 2026-01-01T00:00:00Z). */
  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  setTimer(ms: number, fn: () => void): Timer {
    const timer: PendingTimer = { id: this.#nextId++, dueAt: this.#now + Math.max(0, ms), fn, cancelled: false };
    // Keep the list sorted by (dueAt, id); insertion from the back is cheap for the common case of
    // timers scheduled in increasing order.
    let i = this.#timers.length;
    while (i > 0) {
      const prev = this.#timers[i - 1] as PendingTimer;
      if (prev.dueAt < timer.dueAt || (prev.dueAt === timer.dueAt && prev.id < timer.id)) break;
      i--;
    }
    this.#timers.splice(i, 0, timer);
    return {
      cancel: () => {
        if (timer.cancelled) return;
        timer.cancelled = true;
        const at = this.#timers.indexOf(timer);
        if (at >= 0) this.#timers.splice(at, 1);
      },
    };
  }

  /** Number of timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Due time of the earliest pending timer, or `undefined` when none is pending. */
  nextTimerAt(): number | undefined {
    return this.#timers[0]?.dueAt;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including timers
   * created by earlier callbacks), then lets promise continuations settle.
   */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError(`FakeClock.advance: negative duration ${ms}`);
    const target = this.#now + ms;
    await settleMicrotasks();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.dueAt > target) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.dueAt);
      next.cancelled = true;
      next.fn();
      await settleMicrotasks();
    }
    this.#now = target;
    await settleMicrotasks();
  }

  /** Moves time to the given instant (see {@link FakeClock.advance}). */
  async advanceTo(ms: number): Promise<void> {
    await this.advance(Math.max(0, ms - this.#now));
  }

  /**
   * Fires timers one due time after another until none is left or `limitMs` of virtual time has
   * passed; returns the virtual time consumed.
   */
  async runUntilIdle(limitMs = 24 * 3600_000): Promise<number> {
    const start = this.#now;
    // Code started just before this call may schedule its first timer after an await; let it.
    await settleMicrotasks();
    for (;;) {
      const next = this.nextTimerAt();
      if (next === undefined || next - start > limitMs) break;
      await this.advanceTo(next);
    }
    return this.#now - start;
  }
}
