/**
 * The watch-based route reconcile limiter (KEP-5237): a token bucket of one pass per 10 s whose
 * delay is capped at 10 s, so a storm of Node events yields at most one pass every 10 s without
 * the bucket's debt growing without bound (upstream wraps client-go's `BucketRateLimiter` in
 * `WithMaxWaitRateLimiter`).
 *
 * @module
 */
import type { Clock } from '../../kube/clock.js';
import { BucketRateLimiter, MaxWaitRateLimiter, type RateLimiter } from '../../kube/rate-limiter.js';

/** One pass per `intervalMs` with a burst of one, delays capped at `intervalMs`. */
export function watchRoutesRateLimiter(clock: Clock, intervalMs: number): RateLimiter {
  return new MaxWaitRateLimiter(new BucketRateLimiter(1000 / intervalMs, 1, clock), intervalMs);
}
