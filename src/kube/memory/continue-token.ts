/**
 * Continue tokens of the simulated API server (a test double). Like the apiserver's, a token is
 * opaque to clients and records the resourceVersion of the first page plus the last key served,
 * so that later pages are read from the same snapshot.
 *
 * @module
 */
import { apiErrors } from '../errors.js';
import type { KubeApiError } from '../errors.js';

/** What a continue token carries. */
export interface ContinuePosition {
  /** The resourceVersion of the first page: every page is served from this snapshot. */
  readonly rv: number;
  /** The last key served; the next page starts after it. */
  readonly after: string;
}

/** Encodes a position as an opaque token (base64url JSON, as the apiserver's is base64 JSON). */
export function encodeContinue(position: ContinuePosition): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: position.rv, start: position.after }), 'utf8').toString('base64url');
}

/** Decodes a token; malformed tokens are a 400 BadRequest, as upstream. */
export function decodeContinue(token: string): ContinuePosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken('not a continue token');
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalidToken('not a continue token');
  const { v, rv, start } = parsed as Record<string, unknown>;
  if (v !== 'meta.k8s.io/v1') throw invalidToken('unsupported continue token version');
  if (typeof rv !== 'number' || !Number.isInteger(rv) || rv <= 0) throw invalidToken('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof start !== 'string' || start === '') throw invalidToken('encoded start key is empty (version meta.k8s.io/v1)');
  return { rv, after: start };
}

function invalidToken(why: string): KubeApiError {
  return apiErrors.badRequest(`continue key is not valid: ${why}`);
}
