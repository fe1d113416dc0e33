/**
 * Injected failures and latency for the fake provider, per contract method: what a test needs to
 * drive a controller through cloud errors, retries and slow calls.
 *
 * @module
 */
import type { FakeCall } from './call-recorder.js';
import type { FakeAsyncMethod, FakeMethod } from './fake-methods.js';

/**
 * What an injected failure throws: an Error (the same object every time, so tests can compare by
 * identity) or a function building one per call (e.g. a fresh `RetryError`, or one naming the call).
 */
export type FakeFailure = Error | ((call: FakeCall) => Error);

/** Which methods a failure or latency applies to: one method, or `'*'` for all of them. */
export type FakeMethodSelector<M extends FakeMethod = FakeMethod> = M | '*';

/** A failure rule as given in options or config. */
export interface FakeFailureRule {
  /** The method that fails, or `'*'`. */
  readonly method: FakeMethodSelector;
  /** What it throws. */
  readonly error: FakeFailure;
  /** How many calls fail (a positive integer); omitted = every call until cleared. */
  readonly times?: number;
}

/** What {@link FakeFaults.take} decided for one call. */
export interface FaultDecision {
  /** The error the call ends with, if any. */
  readonly error: Error | undefined;
  /** How long the call waits on the clock first (0 = no wait). */
  readonly latencyMs: number;
}

interface CountedFailure {
  readonly method: FakeMethodSelector;
  readonly error: FakeFailure;
  remaining: number;
}

/** Holds failure and latency rules and decides, per call, what happens to it. */
export class FakeFaults {
  #next: CountedFailure[] = [];
  readonly #always = new Map<FakeMethodSelector, FakeFailure>();
  readonly #latency = new Map<FakeMethodSelector<FakeAsyncMethod>, number>();

  /**
   * Makes the next `times` calls of `method` (or of any method, with `'*'`) throw `error`.
   * Counted rules queue up: a call consumes the oldest one that matches it, before any
   * {@link failAlways} rule is considered.
   * @throws RangeError when `times` is not a positive integer.
   */
  failNext(method: FakeMethodSelector, error: FakeFailure, times = 1): void {
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`fake cloud provider: failNext(${JSON.stringify(method)}) times must be a positive integer, got ${times}`);
    }
    this.#next.push({ method, error, remaining: times });
  }

  /** Makes every call of `method` (or of any method, with `'*'`) throw `error` until cleared; replaces an earlier rule for the same selector. */
  failAlways(method: FakeMethodSelector, error: FakeFailure): void {
    this.#always.set(method, error);
  }

  /** Removes the failure rules for `method` (exactly that selector), or all of them. Latency stays. */
  clearFailures(method?: FakeMethodSelector): void {
    if (method === undefined) {
      this.#next = [];
      this.#always.clear();
      return;
    }
    this.#next = this.#next.filter((rule) => rule.method !== method);
    this.#always.delete(method);
  }

  /**
   * Delays calls of `method` by `ms` on the provider's clock; `'*'` sets the delay of every method
   * without one of its own. `0` removes the delay.
   * @throws RangeError when `ms` is negative or not finite.
   */
  setLatency(method: FakeMethodSelector<FakeAsyncMethod>, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`fake cloud provider: setLatency(${JSON.stringify(method)}) ms must be a finite number >= 0, got ${ms}`);
    }
    if (ms === 0) this.#latency.delete(method);
    else this.#latency.set(method, ms);
  }

  /** The latency that applies to `method` now. */
  latencyOf(method: FakeAsyncMethod): number {
    return this.#latency.get(method) ?? this.#latency.get('*') ?? 0;
  }

  /**
   * Decides the fate of `call` and consumes one use of the counted rule that applies, at once —
   * so concurrent calls are affected in the order they arrived, whatever their latency.
   */
  take(call: FakeCall): FaultDecision {
    const method = call.method;
    const latencyMs = method === 'setInformers' ? 0 : this.latencyOf(method);
    let failure: FakeFailure | undefined;
    const index = this.#next.findIndex((rule) => rule.method === method || rule.method === '*');
    const counted = this.#next[index];
    if (counted !== undefined) {
      failure = counted.error;
      counted.remaining--;
      if (counted.remaining === 0) this.#next.splice(index, 1);
    } else {
      failure = this.#always.get(method) ?? this.#always.get('*');
    }
    return { error: failure === undefined ? undefined : materialise(failure, call), latencyMs };
  }
}

function materialise(failure: FakeFailure, call: FakeCall): Error {
  return failure instanceof Error ? failure : failure(call);
}
