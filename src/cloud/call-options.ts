/**
 * Options every provider capability method accepts as its final argument.
 *
 * @module
 */

/**
 * Per-call options for provider methods. Upstream passes a `context.Context` as the first
 * argument of every method; here cancellation travels as an `AbortSignal` in a final options
 * object, so implementations that do not care can simply ignore the argument.
 */
export interface ProviderCallOptions {
  /** Aborted when the caller no longer needs the answer (shutdown, lost leadership, timeout). */
  readonly signal?: AbortSignal;
}
