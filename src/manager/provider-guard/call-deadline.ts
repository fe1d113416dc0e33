/**
 * A deadline on one provider call. The provider gets an AbortSignal that aborts at the deadline
 * (or when the caller's signal does); the caller gets a {@link ProviderCallTimeoutError} at the
 * deadline even when the provider ignores the signal, so a hung call never holds a worker for ever.
 *
 * @module
 */
import type { Clock } from '../../kube/clock.js';
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
    let answer: Promise<T>;
    try {
      answer = call(deadline.signal);
    } catch (err) {
      settle();
      reject(err);
      return;
    }
    answer.then(
      (value) => {
        settle();
        resolve(value);
      },
      (err: unknown) => {
        settle();
        reject(err);
      },
    );
  });
}

/** A promise rejected with what a provider threw, unchanged (it need not be an Error). */
function rejected<T>(err: unknown): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
  return Promise.reject(err);
}
