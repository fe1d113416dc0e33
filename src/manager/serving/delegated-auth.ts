/**
 * Delegated authentication and authorisation for the serving endpoints, as k8s.io/apiserver's
 * delegating authenticator/authorizer that upstream's controller-manager serving uses: a bearer
 * token is checked with a `TokenReview` (authentication.k8s.io/v1) and the request with a
 * `SubjectAccessReview` (authorization.k8s.io/v1, non-resource path + lower-cased HTTP verb).
 * Decisions are cached briefly on the injected clock (upstream defaults: token reviews 10 s for
 * both outcomes, access reviews 10 s allowed / 10 s denied); API errors are never cached.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { TokenReview } from 'kubernetes-types/authentication/v1.js';
import type { SubjectAccessReview } from 'kubernetes-types/authorization/v1.js';
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../kube/clock.js';
import { defineResource } from '../../kube/resources.js';

/** authentication.k8s.io/v1 TokenReviews (create-only, cluster-scoped). */
export const TOKEN_REVIEWS = defineResource<TokenReview>({
  group: 'authentication.k8s.io',
  version: 'v1',
  resource: 'tokenreviews',
  kind: 'TokenReview',
  namespaced: false,
  hasStatus: false,
});

/** authorization.k8s.io/v1 SubjectAccessReviews (create-only, cluster-scoped). */
export const SUBJECT_ACCESS_REVIEWS = defineResource<SubjectAccessReview>({
  group: 'authorization.k8s.io',
  version: 'v1',
  resource: 'subjectaccessreviews',
  kind: 'SubjectAccessReview',
  namespaced: false,
  hasStatus: false,
});

/** The user a request was authenticated as. */
export interface AuthUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The user of requests without credentials when anonymous requests are allowed (as the apiserver). */
export const ANONYMOUS_USER: AuthUser = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

/** Outcome of {@link DelegatedAuth.authenticate}. */
export type AuthnResult =
  | { readonly ok: true; readonly user: AuthUser }
  | { readonly ok: false; readonly reason: string; readonly error?: unknown };

/** Outcome of {@link DelegatedAuth.authorize}; `error` set when the review could not be made. */
export interface AuthzResult {
  readonly allowed: boolean;
  readonly reason: string;
  readonly error?: unknown;
}

/** Options of {@link DelegatedAuth}. */
export interface DelegatedAuthOptions {
  /** The client used for the reviews (`--authentication-kubeconfig`/`--authorization-kubeconfig` or the main one). */
  readonly kube: KubeClient;
  readonly clock: Clock;
  /** `--authentication-token-webhook-cache-ttl` (default 10 s), for both outcomes. */
  readonly authnCacheTtlMs?: number;
  /** `--authorization-webhook-cache-authorized-ttl` (default 10 s). */
  readonly authzAllowedTtlMs?: number;
  /** `--authorization-webhook-cache-unauthorized-ttl` (default 10 s). */
  readonly authzDeniedTtlMs?: number;
  /**
   * Requests without a bearer token are `system:anonymous` and go on to authorisation (default
   * true, as upstream's delegated authentication); false answers them 401.
   */
  readonly anonymous?: boolean;
  /** Groups allowed everything without a review (default `system:masters`, as upstream). */
  readonly alwaysAllowGroups?: readonly string[];
  /** Bound of one review call, ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Most decisions kept per cache (default 4096); the oldest is dropped first. */
  readonly maxCacheEntries?: number;
}

interface Entry<T> {
  readonly value: T;
  readonly expiresAt: number;
}

/** A size-bounded map whose entries expire on a clock. */
class TtlCache<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #clock: Clock;
  readonly #max: number;

  constructor(clock: Clock, max: number) {
    this.#clock = clock;
    this.#max = max;
  }

  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: T, ttlMs: number): void {
    if (ttlMs <= 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
  }
}

const DEFAULT_TTL_MS = 10_000;

/**
 * Authenticates bearer tokens and authorises non-resource requests against the apiserver.
 *
 * @example
 * ```ts
 * const auth = new DelegatedAuth({ kube, clock });
 * const who = await auth.authenticate(bearerTokenOf(req));
 * if (who.ok && (await auth.authorize(who.user, { path: '/metrics', verb: 'get' })).allowed) serve();
 * ```
 */
export class DelegatedAuth {
  /** Whether requests without a token are treated as `system:anonymous`. */
  readonly anonymous: boolean;
  readonly #kube: KubeClient;
  readonly #clock: Clock;
  readonly #authnTtl: number;
  readonly #allowedTtl: number;
  readonly #deniedTtl: number;
  readonly #alwaysAllowGroups: ReadonlySet<string>;
  readonly #timeoutMs: number;
  readonly #tokens: TtlCache<AuthnResult>;
  readonly #decisions: TtlCache<AuthzResult>;

  constructor(options: DelegatedAuthOptions) {
    this.#kube = options.kube;
    this.#clock = options.clock;
    this.#authnTtl = options.authnCacheTtlMs ?? DEFAULT_TTL_MS;
    this.#allowedTtl = options.authzAllowedTtlMs ?? DEFAULT_TTL_MS;
    this.#deniedTtl = options.authzDeniedTtlMs ?? DEFAULT_TTL_MS;
    this.anonymous = options.anonymous ?? true;
    this.#alwaysAllowGroups = new Set(options.alwaysAllowGroups ?? ['system:masters']);
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const max = options.maxCacheEntries ?? 4096;
    this.#tokens = new TtlCache(this.#clock, max);
    this.#decisions = new TtlCache(this.#clock, max);
  }

  /**
   * Authenticates a request: no token ⇒ anonymous (when allowed), else a TokenReview. Never
   * throws: an API failure is an unauthenticated result carrying the error.
   */
  async authenticate(token: string | undefined, signal?: AbortSignal): Promise<AuthnResult> {
    if (token === undefined) return this.anonymous ? { ok: true, user: ANONYMOUS_USER } : { ok: false, reason: 'no credentials' };
    if (token === '') return { ok: false, reason: 'invalid bearer token' };
    // Keyed by a digest so raw tokens do not sit in memory longer than the request.
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.#tokens.get(key);
    if (cached !== undefined) return cached;
    let review: TokenReview;
    try {
      review = await this.#bounded(signal, (s) =>
        this.#kube.resource(TOKEN_REVIEWS).create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }, { signal: s }),
      );
    } catch (error) {
      return { ok: false, reason: 'token review failed', error };
    }
    const status = review.status;
    const username = status?.user?.username ?? '';
    const result: AuthnResult =
      status?.authenticated === true && username !== ''
        ? {
            ok: true,
            user: {
              username,
              groups: status.user?.groups ?? [],
              ...(status.user?.uid === undefined ? {} : { uid: status.user.uid }),
              ...(status.user?.extra === undefined ? {} : { extra: status.user.extra }),
            },
          }
        : { ok: false, reason: status?.error ?? 'token not authenticated' };
    this.#tokens.set(key, result, this.#authnTtl);
    return result;
  }

  /**
   * Authorises `verb` on the non-resource `path` for `user` with a SubjectAccessReview. Never
   * throws: an API failure is a denial carrying the error (the server answers 500 then, as upstream).
   */
  async authorize(user: AuthUser, request: { readonly path: string; readonly verb: string }, signal?: AbortSignal): Promise<AuthzResult> {
    if (user.groups.some((group) => this.#alwaysAllowGroups.has(group))) return { allowed: true, reason: '' };
    const key = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), user.extra ?? {}, request.path, request.verb]);
    const cached = this.#decisions.get(key);
    if (cached !== undefined) return cached;
    let review: SubjectAccessReview;
    try {
      review = await this.#bounded(signal, (s) =>
        this.#kube.resource(SUBJECT_ACCESS_REVIEWS).create(
          {
            apiVersion: 'authorization.k8s.io/v1',
            kind: 'SubjectAccessReview',
            spec: {
              user: user.username,
              groups: [...user.groups],
              ...(user.uid === undefined ? {} : { uid: user.uid }),
              ...(user.extra === undefined ? {} : { extra: Object.fromEntries(Object.entries(user.extra).map(([k, v]) => [k, [...v]])) }),
              nonResourceAttributes: { path: request.path, verb: request.verb },
            },
          },
          { signal: s },
        ),
      );
    } catch (error) {
      return { allowed: false, reason: 'subject access review failed', error };
    }
    // As the webhook authorizer: only an explicit `allowed` allows; denied and no-opinion both deny.
    const allowed = review.status?.allowed === true && review.status.denied !== true;
    const result: AuthzResult = { allowed, reason: review.status?.reason ?? '' };
    this.#decisions.set(key, result, allowed ? this.#allowedTtl : this.#deniedTtl);
    return result;
  }

  /** Runs `call` with a signal that aborts on `signal` or after the review timeout (on the clock). */
  async #bounded<T>(signal: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    const timer = this.#clock.setTimer(this.#timeoutMs, () => controller.abort(new Error(`review timed out after ${this.#timeoutMs}ms`)));
    try {
      return await call(controller.signal);
    } finally {
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
