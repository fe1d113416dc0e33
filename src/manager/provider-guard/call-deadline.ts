/**
 * A deadline on one provider call. The provider gets an AbortSignal that aborts at the deadline
 * (or when the caller's signal does); the caller gets a {@link ProviderCallTimeoutError} at the
 * deadline even when the provider ignores the signal, so a hung call never holds a worker for ever.
 *
 * @module
 */
import type { Clock, Timer } from '../../kube/clock.js';
import { linkAbort } from '../../kube/linked-abort.js';
import { formatGoDuration } from '../options/duration.js';

/** A provider call did not answer within its deadline. */
export class ProviderCallTimeoutError extends Error {
  override readonly name = 'ProviderCallTimeoutError';
  /** The provider's name. */
  readonly provider: string;
  /** The method, e.g. `ensureLoadBalancer`. */
  readonly method: string;
  /** The deadline in ms. */
  readonly timeoutMs: number;

  constructor(provider: string, method: string, timeoutMs: number, flag: string) {
    super(`cloud provider ${JSON.stringify(provider)}: ${method} did not answer within ${formatGoDuration(timeoutMs)} (${flag}); the call was abandoned and will be retried`);
    this.provider = provider;
    this.method = method;
    this.timeoutMs = timeoutMs;
  }
}

/** What {@link withDeadline} needs besides the call. */
export interface DeadlineOptions {
  readonly clock: Clock;
  /** 0 = no deadline. */
  readonly timeoutMs: number;
  /** The caller's signal, if any: aborting it aborts the provider's signal too. */
  readonly signal?: AbortSignal | undefined;
  /** The error to reject with at the deadline. */
  readonly timeoutError: () => Error;
}

/** Runs `call` with a signal that aborts at the deadline; rejects at the deadline whatever `call` does. */
export function withDeadline<T>(call: (signal: AbortSignal | undefined) => Promise<T>, o: DeadlineOptions): Promise<T> {
  if (o.timeoutMs <= 0) {
    try {
      return call(o.signal);
    } catch (err) {
      return rejected(err);
    }
  }
  // One controller for both causes, unlinked from the caller's signal after the call: that signal
  // (a controller's stop signal) lives long, sees millions of calls and many at once.
  const deadline = new AbortController();
  const unlink = linkAbort(o.signal, deadline);
  // One promise settled by whichever comes first, the call or the timer (rather than racing a
  // second promise): a provider call is the hottest path there is, and this runs on every one.
  return new Promise<T>((resolve, rejectWith) => {
    // Whatever the provider threw, passed on unchanged (it need not be an Error).
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const reject = (err: unknown): void => rejectWith(err);
    const timer = o.clock.setTimer(o.timeoutMs, () => {
      unlink();
      const err = o.timeoutError();
      deadline.abort(err);
      reject(err);
    });
    const settle = (): void => {
      timer.cancel();
      unlink();
    };
    callThen(call, deadline.signal, settle, resolve, reject);
  });
}

/**
 * Calls `call(signal)` and, once its answer settles (or it throws at once), runs `done` and hands
 * the outcome on, unchanged, to `resolve` or `reject`.
 */
function callThen<T>(
  call: (signal: AbortSignal | undefined) => Promise<T>,
  signal: AbortSignal,
  done: () => void,
  resolve: (value: T) => void,
  reject: (err: unknown) => void,
): void {
  let answer: Promise<T>;
  try {
    answer = call(signal);
  } catch (err) {
    done();
    reject(err);
    return;
  }
  answer.then(
    (value) => {
      done();
      resolve(value);
    },
    (err: unknown) => {
      done();
      reject(err);
    },
  );
}

/** A promise rejected with what a provider threw, unchanged (it need not be an Error). */
function rejected<T>(err: unknown): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(err);
}

/** What {@link SharedDeadlines.run} needs besides the call. */
export interface SharedDeadlineOptions extends DeadlineOptions {
  /**
   * Calls share a signal only within a group (the guard groups by method), so the reason the
   * shared signal aborts with names the right method.
   */
  readonly group: string;
}

/** The calls that share one rounded deadline, caller signal and group. */
interface DeadlineGroup {
  /** The rounded deadline (clock time). */
  readonly deadline: number;
  readonly controller: AbortController;
  readonly unlink: () => void;
  /** The calls still waiting, each with its own way to time out. */
  readonly waiting: Set<WaitingCall>;
  /** Armed while a call waits; cancelled when the last one answers (the group stays for later calls). */
  timer: Timer | undefined;
}

interface WaitingCall {
  readonly timeoutError: () => Error;
  readonly reject: (err: unknown) => void;
}

/**
 * The step deadlines are rounded up to: 1% of the timeout, from 1 ms to 1 s (a 5 minute timeout
 * fires within a second after it is due).
 */
export function deadlineStepMs(timeoutMs: number): number {
  return Math.min(1_000, Math.max(1, Math.floor(timeoutMs / 100)));
}

/**
 * Deadlines for many provider calls. A deadline is rounded up to {@link deadlineStepMs}, and calls
 * with the same rounded deadline, caller signal and group share one AbortController: each still
 * ends with its own {@link ProviderCallTimeoutError}, at most one step after `timeoutMs`. A timer
 * runs only while a call of the group waits, so an idle group keeps no clock busy; a group is
 * dropped once its deadline has passed (at most 100 per group and caller signal exist at once).
 *
 * Why share: creating an AbortSignal costs Node 20 about 1.3 KB, and a third of that survives
 * young-generation collections even when the signal is dropped at once (measured: 300,000 signals
 * promote 110 MB); with a signal and a timer per call, deadlines were the largest source of
 * old-generation garbage in a 10,000-Node simulation.
 */
export class SharedDeadlines {
  readonly #clock: Clock;
  readonly #bySignal = new WeakMap<AbortSignal, Map<string, DeadlineGroup>>();
  readonly #unsignalled = new Map<string, DeadlineGroup>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Runs `call` with a signal that aborts at the deadline; rejects at the deadline whatever `call` does. */
  run<T>(call: (signal: AbortSignal | undefined) => Promise<T>, o: SharedDeadlineOptions): Promise<T> {
    if (o.timeoutMs <= 0) return withDeadline(call, o);
    const groups = this.#groupsOf(o.signal);
    const step = deadlineStepMs(o.timeoutMs);
    const now = this.#clock.now();
    const deadline = Math.ceil((now + o.timeoutMs) / step) * step;
    const key = `${o.group}\u0000${deadline}`;
    let found = groups.get(key);
    if (found === undefined || found.controller.signal.aborted) found = this.#open(groups, key, deadline, o.signal);
    const group = found;
    return new Promise<T>((resolve, rejectWith) => {
      // Whatever the provider threw, passed on unchanged (it need not be an Error).
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      const reject = (err: unknown): void => rejectWith(err);
      const waiting: WaitingCall = { timeoutError: o.timeoutError, reject };
      group.waiting.add(waiting);
      group.timer ??= this.#clock.setTimer(deadline - now, () => this.#expire(groups, key, group));
      const leave = (): void => {
        if (!group.waiting.delete(waiting) || group.waiting.size > 0) return;
        group.timer?.cancel();
        group.timer = undefined;
      };
      callThen(call, group.controller.signal, leave, resolve, reject);
    });
  }

  #groupsOf(signal: AbortSignal | undefined): Map<string, DeadlineGroup> {
    if (signal === undefined) return this.#unsignalled;
    let groups = this.#bySignal.get(signal);
    if (groups === undefined) {
      groups = new Map();
      this.#bySignal.set(signal, groups);
    }
    return groups;
  }

  #open(groups: Map<string, DeadlineGroup>, key: string, deadline: number, signal: AbortSignal | undefined): DeadlineGroup {
    // Groups whose deadline has passed take no more calls: drop them (and their link) as new ones open.
    const now = this.#clock.now();
    for (const [k, g] of groups) {
      if (g.deadline <= now && g.waiting.size === 0) {
        g.unlink();
        groups.delete(k);
      }
    }
    const controller = new AbortController();
    const group: DeadlineGroup = { deadline, controller, unlink: linkAbort(signal, controller), waiting: new Set(), timer: undefined };
    groups.set(key, group);
    return group;
  }

  /** The deadline passed with calls waiting: each gets its own timeout error, the shared signal the first. */
  #expire(groups: Map<string, DeadlineGroup>, key: string, group: DeadlineGroup): void {
    group.timer = undefined;
    // A group whose signal the caller aborted may have been replaced under its key meanwhile.
    if (groups.get(key) === group) groups.delete(key);
    group.unlink();
    const calls = [...group.waiting];
    group.waiting.clear();
    const errors = calls.map((c) => c.timeoutError());
    group.controller.abort(errors[0]);
    calls.forEach((c, i) => c.reject(errors[i]));
  }
}
