/**
 * The simulated API server's TokenRequest (`serviceaccounts/<name>/token`): it mints opaque
 * bearer tokens for existing service accounts and authenticates them until they expire, so a
 * client using `--use-service-account-credentials` can be exercised end to end. The checks are
 * kube-apiserver's: the service account must exist, `expirationSeconds` must be at least 10
 * minutes and at most 2^32 seconds, and the answer echoes the spec with the audiences defaulted.
 *
 * @module
 */
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import { formatMetav1Time } from '../metav1-time.js';
import type { Clock } from '../clock.js';
import { apiErrors } from '../errors.js';

/** kube-apiserver's default `--api-audiences` when none is configured (its issuer URL). */
export const SIMULATED_TOKEN_AUDIENCE = 'https://kubernetes.default.svc.cluster.local';

/** The default lifetime of a requested token, as the TokenRequest API: one hour. */
const DEFAULT_EXPIRATION_SECONDS = 3600;
const MIN_EXPIRATION_SECONDS = 600;
const MAX_EXPIRATION_SECONDS = 2 ** 32;

/** Who a token authenticates as. */
export interface TokenIdentity {
  /** `system:serviceaccount:<namespace>:<name>`. */
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
}

interface Issued {
  readonly identity: TokenIdentity;
  readonly expiresAt: number;
}

/** Mints and checks service-account tokens for one simulated server. */
export class TokenIssuer {
  readonly #clock: Clock;
  readonly #issued = new Map<string, Issued>();
  #serial = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Answers a TokenRequest for the service account `namespace/name` (whose uid is `uid`).
   * @throws KubeApiError 422 Invalid for an out-of-range `spec.expirationSeconds`.
   */
  issue(namespace: string, name: string, uid: string, request: TokenRequest): TokenRequest {
    const expirationSeconds = request.spec.expirationSeconds ?? DEFAULT_EXPIRATION_SECONDS;
    if (!Number.isInteger(expirationSeconds) || expirationSeconds < MIN_EXPIRATION_SECONDS || expirationSeconds > MAX_EXPIRATION_SECONDS) {
      const message =
        expirationSeconds < MIN_EXPIRATION_SECONDS ? 'may not specify a duration less than 10 minutes' : 'may not specify a duration larger than 2^32 seconds';
      throw apiErrors.invalid('TokenRequest', 'authentication.k8s.io', name, [
        { reason: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: ${message}` },
      ]);
    }
    const now = this.#clock.now();
    const expiresAt = now + expirationSeconds * 1000;
    this.#serial += 1;
    const token = `simulated-sa-token.${namespace}.${name}.${this.#serial}`;
    this.#issued.set(token, {
      identity: { username: `system:serviceaccount:${namespace}:${name}`, uid, groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'] },
      expiresAt,
    });
    const audiences = request.spec.audiences !== undefined && request.spec.audiences.length > 0 ? [...request.spec.audiences] : [SIMULATED_TOKEN_AUDIENCE];
    return {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: { name, namespace, creationTimestamp: formatMetav1Time(now) },
      spec: { ...request.spec, audiences, expirationSeconds },
      status: { token, expirationTimestamp: formatMetav1Time(expiresAt) },
    };
  }

  /** Who `token` authenticates as, or undefined when it was never issued or has expired. */
  authenticate(token: string): TokenIdentity | undefined {
    const issued = this.#issued.get(token);
    if (issued === undefined) return undefined;
    if (this.#clock.now() >= issued.expiresAt) {
      this.#issued.delete(token);
      return undefined;
    }
    return issued.identity;
  }
}
