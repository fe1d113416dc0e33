/**
 * Turns an apiserver failure answer into a `KubeApiError`: the `Status` body when there is one
 * (client-go `transformResponse` / apimachinery `FromObject`), else a generic error for the HTTP
 * status (`NewGenericServerResponse`), with `Retry-After` carried as `retryAfterSeconds`.
 *
 * @module
 */
import { KubeApiError, reasonForHttpStatus } from '../errors.js';
import type { ApiStatus, StatusDetails } from '../errors.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses a `Retry-After` header as whole seconds, as client-go does (HTTP dates are ignored). */
export function parseRetryAfter(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  return Number(value.trim());
}

/** The KubeApiError for a non-2xx answer. */
export function apiErrorFromResponse(status: number, retryAfter: string | string[] | undefined, body: string, request: string): KubeApiError {
  let parsed: unknown;
  try {
    parsed = body.trim() === '' ? undefined : JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const retryAfterSeconds = parseRetryAfter(retryAfter);
  if (isRecord(parsed) && parsed['kind'] === 'Status') {
    const s = parsed as Partial<ApiStatus>;
    const details: StatusDetails | undefined =
      retryAfterSeconds !== undefined && s.details?.retryAfterSeconds === undefined ? { ...s.details, retryAfterSeconds } : s.details;
    return KubeApiError.fromStatus({ ...s, ...(details === undefined ? {} : { details }) }, status);
  }
  // No Status body: as client-go, the message says what happened and quotes a short body.
  const snippet = body.trim().slice(0, 200);
  const reason = reasonForHttpStatus(status);
  const message =
    snippet === ''
      ? `the server responded with status ${status} (${reason}) to ${request}`
      : `the server responded with status ${status} (${reason}) to ${request}: ${snippet}`;
  return new KubeApiError(status, reason, message, retryAfterSeconds === undefined ? {} : { details: { retryAfterSeconds } });
}
