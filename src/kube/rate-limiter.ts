/**
 * Per-item rate limiters for the work queue, and the token bucket behind them and behind the
 * client's `--kube-api-qps`/`--kube-api-burst` throttle.
 *
 * Hand-written to the semantics of client-go `util/workqueue/default_rate_limiters.go`,
 * `util/flowcontrol/throttle.go` and the `golang.org/x/time/rate` reservation model they build on:
 * no npm package has per-item failure memory combined with a reserving token bucket (see
 * research/ts-ecosystem.md §2.6). Durations are milliseconds (fractions allowed) instead of Go's
 * nanosecond integers; time comes from an injected {@link Clock}.
 *
 * @module
 */

import type { Clock } from './clock.js';

/** Decides how long an item waits before it is retried (client-go `workqueue.RateLimiter`). */
export interface RateLimiter {
  /** Records a failure of `item` and returns how many milliseconds it should wait. */
  when(item: string): number;
  /** Stops tracking `item` (after success, or after giving up on it). */
  forget(item: string): void;
  /** How many failures of `item` are being tracked. */
  numRequeues(item: string): number;
}

function requireDuration(what: string, ms: number): void {
  if (Number.isNaN(ms) || ms < 0) throw new RangeError(`${what} must be a non-negative duration in ms, got ${ms}`);
}

/**
 * Per-item exponential backoff: `baseMs · 2^failures`, capped at `maxMs` (client-go
 * `ItemExponentialFailureRateLimiter`). The first failure waits `baseMs`.
 */
export class ItemExponentialFailureRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  readonly #baseMs: number;
  readonly #maxMs: number;

  /** @param baseMs - delay after the first failure; @param maxMs - the cap. */
  constructor(baseMs: number, maxMs: number) {
    requireDuration('ItemExponentialFailureRateLimiter baseMs', baseMs);
    requireDuration('ItemExponentialFailureRateLimiter maxMs', maxMs);
    this.#baseMs = baseMs;
    this.#maxMs = maxMs;
  }

  when(item: string): number {
    const exp = this.#failures.get(item) ?? 0;
    this.#failures.set(item, exp + 1);
    const backoff = this.#baseMs * 2 ** exp;
    // client-go returns the cap when the product would overflow an int64 of nanoseconds; a double
    // overflows to Infinity instead, which the same comparison catches.
    if (!Number.isFinite(backoff) || backoff > this.#maxMs) return this.#maxMs;
    return backoff;
  }

  forget(item: string): void {
    this.#failures.delete(item);
  }

  numRequeues(item: string): number {
    return this.#failures.get(item) ?? 0;
  }
}

/**
 * `fastMs` for the first `maxFastAttempts` failures of an item, `slowMs` after that (client-go
 * `ItemFastSlowRateLimiter`).
 */
export class ItemFastSlowRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  readonly #fastMs: number;
  readonly #slowMs: number;
  readonly #maxFastAttempts: number;

  /** @param maxFastAttempts - how many failures get the fast delay. */
  constructor(fastMs: number, slowMs: number, maxFastAttempts: number) {
    requireDuration('ItemFastSlowRateLimiter fastMs', fastMs);
    requireDuration('ItemFastSlowRateLimiter slowMs', slowMs);
    if (Number.isNaN(maxFastAttempts)) throw new RangeError('ItemFastSlowRateLimiter maxFastAttempts must be a number');
    this.#fastMs = fastMs;
    this.#slowMs = slowMs;
    this.#maxFastAttempts = maxFastAttempts;
  }

  when(item: string): number {
    // As client-go: the failure is counted first, so attempt N (1-based) is fast while N <= max.
    const failures = (this.#failures.get(item) ?? 0) + 1;
    this.#failures.set(item, failures);
    return failures <= this.#maxFastAttempts ? this.#fastMs : this.#slowMs;
  }

  forget(item: string): void {
    this.#failures.delete(item);
  }

  numRequeues(item: string): number {
    return this.#failures.get(item) ?? 0;
  }
}

/**
 * A token bucket's tokens at `now` (ms), given `tokens` at `last` (ms): what was left plus the
 * refill since, at `qps` tokens per second, capped at `burst` (x/time `advance`). For callers
 * that keep a bucket's two numbers themselves, by the thousand ({@link TokenBucket} is the whole
 * limiter).
 */
export function refilledTokens(tokens: number, last: number, now: number, qps: number, burst: number): number {
  const elapsed = Math.max(0, now - last);
  return Math.min(burst, tokens + (elapsed * qps) / 1000);
}

/**
 * A token bucket with `golang.org/x/time/rate` semantics: it starts full with `burst` tokens,
 * refills continuously at `qps` tokens per second up to `burst`, and a reservation takes a token
 * now even when none is left, returning how long the caller must wait for it (later callers queue
 * behind earlier reservations).
 *
 * `qps <= 0` (and `qps = Infinity`) means **no limit**: every call is allowed at once. This follows
 * client-go's REST client, which installs no throttle when QPS is negative, rather than x/time,
 * where a zero rate allows `burst` events and then none ever.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket(20, 30, clock); // --kube-api-qps=20 --kube-api-burst=30
 * await bucket.wait(signal); // before each API request
 * ```
 */
export class TokenBucket {
  /** Refill rate in tokens per second; `<= 0` or `Infinity` means unlimited. */
  readonly qps: number;
  /** Bucket size: how many calls may happen back to back after an idle period. */
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;
  // When the most recent reservation may act; lets a cancelled wait give its token back only as
  // far as no later reservation already counted on it (x/time `Reservation.CancelAt`).
  #lastEvent: number;

  /** @param qps - tokens per second; @param burst - bucket size (an integer >= 1 when limited). */
  constructor(qps: number, burst: number, clock: Clock) {
    if (Number.isNaN(qps)) throw new RangeError('TokenBucket qps must be a number');
    this.qps = qps;
    this.burst = burst;
    this.#clock = clock;
    if (!this.unlimited && !(Number.isInteger(burst) && burst >= 1)) {
      // x/time would refuse every reservation (infinite delay); refuse the configuration instead.
      throw new RangeError(`TokenBucket burst must be an integer >= 1 when qps > 0, got ${burst}`);
    }
    this.#tokens = burst;
    this.#last = clock.now();
    this.#lastEvent = this.#last;
  }

  /** True when the bucket never delays anything (`qps <= 0` or `Infinity`). */
  get unlimited(): boolean {
    return this.qps <= 0 || this.qps === Infinity;
  }

  /** Tokens available now; negative while reservations are waiting for tokens to refill. */
  tokens(): number {
    return this.unlimited ? this.burst : this.#advance(this.#clock.now());
  }

  /** Takes a token if one is available now; never reserves a future one (flowcontrol `TryAccept`). */
  tryAccept(): boolean {
    if (this.unlimited) return true;
    const now = this.#clock.now();
    const tokens = this.#advance(now) - 1;
    if (tokens < 0) return false;
    this.#commit(now, tokens, now);
    return true;
  }

  /**
   * Reserves the next token and returns the milliseconds until it may be used (0 when one is
   * available now). The reservation is kept: the caller is expected to wait that long.
   */
  reserve(): number {
    if (this.unlimited) return 0;
    const now = this.#clock.now();
    const tokens = this.#advance(now) - 1;
    const delay = tokens < 0 ? (-tokens * 1000) / this.qps : 0;
    this.#commit(now, tokens, now + delay);
    return delay;
  }

  /**
   * Waits until a token is available (flowcontrol `Wait`); rejects with the signal's reason when it
   * aborts first, giving the reserved token back for later callers.
   */
  async wait(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.unlimited) return;
    const delay = this.reserve();
    if (delay <= 0) return;
    const timeToAct = this.#clock.now() + delay;
    try {
      await this.#clock.sleep(delay, signal);
    } catch (err) {
      this.#cancel(timeToAct, this.#clock.now());
      throw err;
    }
  }

  /** Tokens at `now`: what was left plus the refill since the last update, capped at burst. */
  #advance(now: number): number {
    return refilledTokens(this.#tokens, this.#last, now, this.qps, this.burst);
  }

  #commit(now: number, tokens: number, lastEvent: number): void {
    this.#last = now;
    this.#tokens = tokens;
    this.#lastEvent = lastEvent;
  }

  /** Returns one reserved token, minus what reservations made after it already consumed. */
  #cancel(timeToAct: number, now: number): void {
    if (timeToAct < now) return;
    const restore = 1 - ((this.#lastEvent - timeToAct) * this.qps) / 1000;
    if (restore <= 0) return;
    const tokens = Math.min(this.burst, this.#advance(now) + restore);
    let lastEvent = this.#lastEvent;
    if (timeToAct === this.#lastEvent) {
      const previous = timeToAct - 1000 / this.qps;
      if (previous >= now) lastEvent = previous;
    }
    this.#commit(now, tokens, lastEvent);
  }
}

/**
 * An overall (not per-item) limit: every `when` reserves a token of a shared {@link TokenBucket}
 * (client-go `BucketRateLimiter`). It remembers no items, so `numRequeues` is always 0.
 */
export class BucketRateLimiter implements RateLimiter {
  readonly #bucket: TokenBucket;

  constructor(qps: number, burst: number, clock: Clock) {
    this.#bucket = new TokenBucket(qps, burst, clock);
  }

  when(_item: string): number {
    return this.#bucket.reserve();
  }

  forget(_item: string): void {
    // Nothing per item to forget, as upstream.
  }

  numRequeues(_item: string): number {
    return 0;
  }
}

/**
 * Combines limiters: the delay is the largest of theirs, `forget` reaches all of them and
 * `numRequeues` is the largest count (client-go `MaxOfRateLimiter`). Every limiter's `when` is
 * called, so each one records the failure.
 */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(item: string): number {
    let max = 0;
    for (const limiter of this.#limiters) max = Math.max(max, limiter.when(item));
    return max;
  }

  forget(item: string): void {
    for (const limiter of this.#limiters) limiter.forget(item);
  }

  numRequeues(item: string): number {
    let max = 0;
    for (const limiter of this.#limiters) max = Math.max(max, limiter.numRequeues(item));
    return max;
  }
}

/**
 * Caps another limiter's delay at `maxWaitMs` (client-go `WithMaxWaitRateLimiter`): a burst of
 * failures or events cannot push an item further out than that, however much debt the inner
 * limiter (typically a {@link BucketRateLimiter}) has built up.
 */
export class MaxWaitRateLimiter implements RateLimiter {
  readonly #inner: RateLimiter;
  readonly #maxWaitMs: number;

  /** @param maxWaitMs - the longest delay `when` returns. */
  constructor(inner: RateLimiter, maxWaitMs: number) {
    this.#inner = inner;
    this.#maxWaitMs = maxWaitMs;
  }

  when(item: string): number {
    return Math.min(this.#inner.when(item), this.#maxWaitMs);
  }

  forget(item: string): void {
    this.#inner.forget(item);
  }

  numRequeues(item: string): number {
    return this.#inner.numRequeues(item);
  }
}

/**
 * The limiter controllers get by default: per item 5 ms doubling up to 1000 s, and overall at most
 * 10 retries per second with bursts of 100 (client-go `DefaultControllerRateLimiter`).
 */
export function defaultControllerRateLimiter(clock: Clock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialFailureRateLimiter(5, 1000_000),
    new BucketRateLimiter(10, 100, clock),
  );
}
