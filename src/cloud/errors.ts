/**
 * The errors a provider returns to tell the framework something specific (upstream's sentinel
 * values in `cloud.go` and `api.RetryError`), plus {@link ProviderContractError} for answers
 * that break the contract.
 *
 * Errors are recognised by their stable `code`, never by message, so an error created by a
 * second copy of this module (a provider package bundling its own Outrigger) is still understood.
 *
 * @module
 */

import { errorOptions } from './error-options.js';

/** Stable codes of {@link CloudProviderError}s. */
export type CloudProviderErrorCode =
  | 'InstanceNotFound'
  | 'NotImplemented'
  | 'ImplementedElsewhere'
  | 'DiskNotFound'
  | 'Retry'
  | 'ProviderContractError';

/** Options every cloud provider error accepts. */
export interface CloudProviderErrorOptions {
  /** The underlying error, kept on `error.cause`. */
  readonly cause?: unknown;
}


/**
 * The message and options of a sentinel error: upstream's fixed text, with the caller's detail
 * after a colon when one is given (`new InstanceNotFoundError('vm-42 was terminated')`).
 */
function sentinel(text: string, detailOrOptions: string | CloudProviderErrorOptions | undefined, options: CloudProviderErrorOptions | undefined): [string, CloudProviderErrorOptions | undefined] {
  if (typeof detailOrOptions === 'string') return [detailOrOptions === '' ? text : `${text}: ${detailOrOptions}`, options];
  return [text, detailOrOptions ?? options];
}

/** Base class of the errors with a meaning to the framework; branch on {@link code}. */
export abstract class CloudProviderError extends Error {
  /** Machine-readable kind of the error. */
  abstract readonly code: CloudProviderErrorCode;

  constructor(message: string, options?: CloudProviderErrorOptions) {
    super(message, errorOptions(options));
  }
}

/**
 * The instance does not exist (upstream `InstanceNotFound`, "instance not found"). Must not be
 * used for instances that exist but are stopped.
 */
export class InstanceNotFoundError extends CloudProviderError {
  override readonly name = 'InstanceNotFoundError';
  readonly code = 'InstanceNotFound' as const;

  /** `detail` (optional) follows upstream's text after a colon; `options.cause` keeps the underlying error. */
  constructor(detail?: string | CloudProviderErrorOptions, options?: CloudProviderErrorOptions) {
    super(...sentinel('instance not found', detail, options));
  }
}

/** The provider does not implement this method (upstream `NotImplemented`, "unimplemented"). */
export class NotImplementedError extends CloudProviderError {
  override readonly name = 'NotImplementedError';
  readonly code = 'NotImplemented' as const;

  /** `detail` (optional) follows upstream's text after a colon; `options.cause` keeps the underlying error. */
  constructor(detail?: string | CloudProviderErrorOptions, options?: CloudProviderErrorOptions) {
    super(...sentinel('unimplemented', detail, options));
  }
}

/**
 * This load balancer is managed by another controller of the provider (upstream
 * `ImplementedElsewhere`): the service controller stops without writing status.
 */
export class ImplementedElsewhereError extends CloudProviderError {
  override readonly name = 'ImplementedElsewhereError';
  readonly code = 'ImplementedElsewhere' as const;

  /** `detail` (optional) follows upstream's text after a colon; `options.cause` keeps the underlying error. */
  constructor(detail?: string | CloudProviderErrorOptions, options?: CloudProviderErrorOptions) {
    super(...sentinel('implemented by alternate to cloud provider', detail, options));
  }
}

/** The disk does not exist (upstream `DiskNotFound`); volume-era, unused by the CCM controllers. */
export class DiskNotFoundError extends CloudProviderError {
  override readonly name = 'DiskNotFoundError';
  readonly code = 'DiskNotFound' as const;

  /** `detail` (optional) follows upstream's text after a colon; `options.cause` keeps the underlying error. */
  constructor(detail?: string | CloudProviderErrorOptions, options?: CloudProviderErrorOptions) {
    super(...sentinel('disk is not found', detail, options));
  }
}

/**
 * Asks for the Service to be retried after a fixed delay instead of exponential backoff
 * (upstream `api.RetryError`), e.g. while a load balancer is still provisioning. Honoured on the
 * ensure path of the service controller, also when wrapped in another error's `cause`.
 */
export class RetryError extends CloudProviderError {
  override readonly name = 'RetryError';
  readonly code = 'Retry' as const;
  /** Milliseconds to wait before the retry. */
  readonly retryAfterMs: number;

  /** @throws RangeError when `retryAfterMs` is negative or not finite. */
  constructor(message: string, retryAfterMs: number, options?: CloudProviderErrorOptions) {
    super(message, options);
    if (!Number.isFinite(retryAfterMs) || retryAfterMs < 0) {
      throw new RangeError(`RetryError: retryAfterMs must be a finite number >= 0, got ${String(retryAfterMs)}`);
    }
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A provider answer that breaks the contract (no load-balancer status, an empty instance ID or
 * providerID, …). Upstream mostly lets such answers through; we stop them and name the provider,
 * since writing e.g. an empty providerID to a Node cannot be undone.
 */
export class ProviderContractError extends CloudProviderError {
  override readonly name = 'ProviderContractError';
  readonly code = 'ProviderContractError' as const;
  /** Name of the offending provider. */
  readonly provider: string;

  /** Message: `cloud provider "<provider>" broke the provider contract: <detail>`. */
  constructor(provider: string, detail: string, options?: CloudProviderErrorOptions) {
    super(`cloud provider ${JSON.stringify(provider)} broke the provider contract: ${detail}`, options);
    this.provider = provider;
  }
}

/** Whether `err` itself (not its causes) is an Error carrying `code`. */
export function hasErrorCode(err: unknown, code: CloudProviderErrorCode): err is Error & { readonly code: CloudProviderErrorCode } {
  return err instanceof Error && (err as { code?: unknown }).code === code;
}

// Bounds the walk so a hostile or accidental deep chain cannot stall a reconcile.
const MAX_CHAIN_LENGTH = 64;

/**
 * The first error carrying `code` in `err`'s tree — `err`, its `cause` chain, and the members of
 * an `AggregateError` — in depth-first order, like Go's `errors.As` over wrapped and joined errors.
 */
export function findCloudProviderError(err: unknown, code: CloudProviderErrorCode): (Error & { readonly code: CloudProviderErrorCode }) | undefined {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0 && seen.size < MAX_CHAIN_LENGTH) {
    const current = stack.pop();
    if (!(current instanceof Error) || seen.has(current)) continue;
    seen.add(current);
    if (hasErrorCode(current, code)) return current;
    // Push in reverse so the cause is visited before later siblings (depth-first, left to right).
    const next: unknown[] = [];
    if (current instanceof AggregateError) next.push(...(current.errors as unknown[]));
    if ('cause' in current) next.unshift(current.cause);
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]);
  }
  return undefined;
}

/**
 * Whether `err` is an instance-not-found error. Checks `err` itself only: upstream compares
 * `InstanceNotFound` by identity, and a wrapped one must not make the lifecycle controller
 * delete a Node.
 */
export function isInstanceNotFound(err: unknown): boolean {
  return hasErrorCode(err, 'InstanceNotFound');
}

/**
 * Whether `err` or anything in its cause chain is a not-implemented error. Upstream's node
 * controller uses `errors.Is` for the `InstanceID` answer (so wrapping is allowed); the lifecycle
 * controller compares by identity, but both readings lead to the same outcome there (no taint).
 */
export function isNotImplemented(err: unknown): boolean {
  return findCloudProviderError(err, 'NotImplemented') !== undefined;
}

/**
 * Whether `err` itself is an implemented-elsewhere error. Checks `err` only: upstream compares
 * by identity, so a wrapped one is an ordinary error.
 */
export function isImplementedElsewhere(err: unknown): boolean {
  return hasErrorCode(err, 'ImplementedElsewhere');
}

/** Whether `err` itself is a disk-not-found error (identity comparison upstream). */
export function isDiskNotFound(err: unknown): boolean {
  return hasErrorCode(err, 'DiskNotFound');
}

/**
 * The retry request in `err` or its cause chain, as upstream's `errors.As(err, *RetryError)`.
 * The result may come from another copy of this module, so it is recognised by `code` and
 * `retryAfterMs` rather than `instanceof`.
 */
export function findRetryError(err: unknown): RetryError | undefined {
  const found = findCloudProviderError(err, 'Retry');
  if (found === undefined) return undefined;
  const retryAfterMs = (found as { retryAfterMs?: unknown }).retryAfterMs;
  // A structurally matching object is a RetryError as far as its public API goes.
  return typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? (found as RetryError) : undefined;
}

/** Whether `err` or its cause chain holds a {@link RetryError}. */
export function isRetryError(err: unknown): boolean {
  return findRetryError(err) !== undefined;
}

/** Whether `err` or its cause chain holds a {@link ProviderContractError}. */
export function isProviderContractError(err: unknown): boolean {
  return findCloudProviderError(err, 'ProviderContractError') !== undefined;
}
