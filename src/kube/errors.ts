/**
 * Typed Kubernetes API errors, shaped after the apiserver's `Status` object and apimachinery's
 * `errors` package (`IsNotFound`, `IsConflict`, …). Every KubeClient implementation throws these,
 * so controllers branch on `reason`, never on message text.
 *
 * @module
 */

/** Machine-readable reasons the apiserver puts in `Status.reason`. */
export type StatusReason =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'BadRequest'
  | 'Gone'
  | 'Expired'
  | 'Forbidden'
  | 'Unauthorized'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'UnsupportedMediaType'
  | 'RequestEntityTooLarge'
  | 'TooManyRequests'
  | 'ServerTimeout'
  | 'Timeout'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Unknown';

/** One cause of a failure, e.g. a field that failed validation. */
export interface StatusCause {
  /** A machine-readable cause such as `FieldValueInvalid` or `FieldValueRequired`. */
  readonly reason?: string;
  readonly message?: string;
  /** JSON path of the field, e.g. `spec.taints[0].effect`. */
  readonly field?: string;
}

/** Extra data of a failure Status. */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  /** Seconds the client should wait before retrying (also sent as `Retry-After`). */
  readonly retryAfterSeconds?: number;
}

/** The apiserver's `Status` object (meta/v1), as returned in error bodies and watch ERROR events. */
export interface ApiStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure' | 'Success';
  readonly message: string;
  readonly reason: StatusReason;
  readonly details?: StatusDetails;
  readonly code: number;
}

/** Options for {@link KubeApiError}. */
export interface KubeApiErrorOptions {
  readonly details?: StatusDetails;
  readonly cause?: unknown;
}

/**
 * An error answered by the Kubernetes API (or by a simulated one): HTTP status, reason and the
 * details of the `Status` body.
 */
export class KubeApiError extends Error {
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'KubeApiError' as const;
  /** HTTP status code (404, 409, 410, 422, 429, …). */
  readonly status: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(status: number, reason: StatusReason, message: string, options: KubeApiErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.details = options.details;
  }

  /** Seconds to wait before retrying, when the server said so. */
  get retryAfterSeconds(): number | undefined {
    return this.details?.retryAfterSeconds;
  }

  /** The `Status` object an apiserver would send for this error. */
  toStatus(): ApiStatus {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details === undefined ? {} : { details: this.details }),
      code: this.status,
    };
  }

  /** Builds an error from a `Status` body (as parsed from an apiserver response). */
  static fromStatus(status: Partial<ApiStatus>, httpStatus?: number, cause?: unknown): KubeApiError {
    const code = typeof status.code === 'number' && status.code > 0 ? status.code : (httpStatus ?? 500);
    const reason = status.reason ?? reasonForHttpStatus(code);
    const message = status.message ?? `the server responded with status ${code}`;
    return new KubeApiError(code, reason, message, {
      ...(status.details === undefined ? {} : { details: status.details }),
      ...(cause === undefined ? {} : { cause }),
    });
  }
}

/** The reason an apiserver implies for a bare HTTP status (apimachinery `NewGenericServerResponse`). */
export function reasonForHttpStatus(status: number): StatusReason {
  switch (status) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 406:
      return 'NotAcceptable';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 413:
      return 'RequestEntityTooLarge';
    case 415:
      return 'UnsupportedMediaType';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 500:
      return 'InternalError';
    case 503:
      return 'ServiceUnavailable';
    case 504:
      return 'Timeout';
    default:
      return 'Unknown';
  }
}

function hasReason(err: unknown, reason: StatusReason): boolean {
  return err instanceof KubeApiError && err.reason === reason;
}

/** True for 404 NotFound (apimachinery `IsNotFound`). */
export const isNotFound = (err: unknown): boolean => hasReason(err, 'NotFound');
/** True for 409 AlreadyExists. */
export const isAlreadyExists = (err: unknown): boolean => hasReason(err, 'AlreadyExists');
/** True for 409 Conflict (stale resourceVersion or failed precondition). */
export const isConflict = (err: unknown): boolean => hasReason(err, 'Conflict');
/** True for 422 Invalid. */
export const isInvalid = (err: unknown): boolean => hasReason(err, 'Invalid');
/** True for 400 BadRequest. */
export const isBadRequest = (err: unknown): boolean => hasReason(err, 'BadRequest');
/** True for 410 Gone or Expired: the requested resourceVersion is no longer available; relist. */
export const isResourceExpired = (err: unknown): boolean => hasReason(err, 'Gone') || hasReason(err, 'Expired');
/** True for 429 TooManyRequests. */
export const isTooManyRequests = (err: unknown): boolean => hasReason(err, 'TooManyRequests');

/** Formats a group-qualified resource the way apiserver messages do: `nodes`, `leases.coordination.k8s.io`. */
export function groupResource(resource: string, group: string): string {
  return group === '' ? resource : `${resource}.${group}`;
}

/** Constructors for the errors an apiserver answers, with its message formats. */
export const apiErrors = {
  notFound(resource: string, group: string, name: string): KubeApiError {
    return new KubeApiError(404, 'NotFound', `${groupResource(resource, group)} "${name}" not found`, {
      details: { name, ...(group === '' ? {} : { group }), kind: resource },
    });
  },
  alreadyExists(resource: string, group: string, name: string): KubeApiError {
    return new KubeApiError(409, 'AlreadyExists', `${groupResource(resource, group)} "${name}" already exists`, {
      details: { name, ...(group === '' ? {} : { group }), kind: resource },
    });
  },
  conflict(resource: string, group: string, name: string, why: string): KubeApiError {
    return new KubeApiError(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${groupResource(resource, group)} "${name}": ${why}`,
      { details: { name, ...(group === '' ? {} : { group }), kind: resource } },
    );
  },
  invalid(kind: string, group: string, name: string, causes: readonly StatusCause[]): KubeApiError {
    const summary = causes.map((c) => (c.field === undefined ? c.message : `${c.field}: ${c.message}`)).join(', ');
    return new KubeApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, {
      details: { name, ...(group === '' ? {} : { group }), kind, causes },
    });
  },
  badRequest(message: string): KubeApiError {
    return new KubeApiError(400, 'BadRequest', message);
  },
  gone(message: string): KubeApiError {
    return new KubeApiError(410, 'Expired', message);
  },
  methodNotAllowed(message: string): KubeApiError {
    return new KubeApiError(405, 'MethodNotAllowed', message);
  },
  unsupportedMediaType(message: string): KubeApiError {
    return new KubeApiError(415, 'UnsupportedMediaType', message);
  },
  tooManyRequests(message: string, retryAfterSeconds: number): KubeApiError {
    return new KubeApiError(429, 'TooManyRequests', message, { details: { retryAfterSeconds } });
  },
  internal(message: string): KubeApiError {
    return new KubeApiError(500, 'InternalError', `Internal error occurred: ${message}`);
  },
  serviceUnavailable(message: string): KubeApiError {
    return new KubeApiError(503, 'ServiceUnavailable', message);
  },
} as const;
