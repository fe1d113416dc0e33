/**
 * Retrying an API write on optimistic-concurrency conflicts (or any chosen error).
 *
 * Hand-written to the semantics of client-go `util/retry` (`DefaultRetry`, `DefaultBackoff`,
 * `OnError`, `RetryOnConflict`) on top of {@link exponentialBackoff}; no npm package shares its
 * step counting and jitter.
 *
 * @module
 */

import { exponentialBackoff, WaitTimeoutError, type Backoff, type BackoffDeps } from './backoff.js';
import { isConflict } from './errors.js';

/**
 * For conflicts among clients updating the same object: 5 attempts, 10 ms apart, +10 % jitter
 * (client-go `retry.DefaultRetry`).
 */
export const DEFAULT_RETRY: Backoff = Object.freeze({ steps: 5, durationMs: 10, factor: 1, jitter: 0.1 });

/**
 * For conflicts with controllers actively managing the object: 4 attempts, waits of 10, 50 and
 * 250 ms, +10 % jitter (client-go `retry.DefaultBackoff`).
 */
export const DEFAULT_BACKOFF: Backoff = Object.freeze({ steps: 4, durationMs: 10, factor: 5, jitter: 0.1 });

/**
 * Calls `fn` until it succeeds, retrying with `backoff` while it throws an error `retriable`
 * accepts (client-go `retry.OnError`). Returns `fn`'s value; rethrows a non-retriable error at
 * once, or the last retriable error when the attempts run out.
 *
 * With `steps <= 0`, `fn` is never called and {@link WaitTimeoutError} is thrown (upstream returns
 * the timeout there too). An abort rejects with the signal's reason rather than the last error.
 */
export async function onError<R>(
  backoff: Backoff,
  retriable: (err: unknown) => boolean,
  fn: () => Promise<R>,
  deps: BackoffDeps,
): Promise<R> {
  let result: { readonly value: R } | undefined;
  let lastError: { readonly error: unknown } | undefined;
  try {
    await exponentialBackoff(
      backoff,
      async () => {
        try {
          result = { value: await fn() };
          return true;
        } catch (err) {
          if (!retriable(err)) throw err;
          lastError = { error: err };
          return false;
        }
      },
      deps,
    );
  } catch (err) {
    if (err instanceof WaitTimeoutError && lastError !== undefined) throw lastError.error;
    throw err;
  }
  // exponentialBackoff resolves only after the condition returned true, which set `result`.
  return (result as { readonly value: R }).value;
}

/**
 * Calls `fn` (which should re-read the object, change it and write it) until it does not throw a
 * 409 Conflict, backing off between attempts (client-go `retry.RetryOnConflict`).
 *
 * @example
 * ```ts
 * await retryOnConflict(DEFAULT_RETRY, async () => {
 *   const node = await nodes.get(name);
 *   return nodes.update(withTaint(node));
 * }, { clock, random, signal });
 * ```
 */
export function retryOnConflict<R>(backoff: Backoff, fn: () => Promise<R>, deps: BackoffDeps): Promise<R> {
  return onError(backoff, isConflict, fn, deps);
}
