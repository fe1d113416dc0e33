/**
 * The kubelet's side of image credential providers as a harness: for each pull, which configured
 * plugins match, whether the answer comes from the cache or an exec, what is cached under which
 * key and until when — the logic of pkg/credentialprovider/plugin `provide`, on an injected clock
 * so a sequence of pulls can be replayed in virtual time.
 *
 * Matches upstream: cache lookup image → registry → global key; `cacheDuration` absent means
 * `defaultCacheDuration` (0 there means no caching), 0 means do not cache; an unknown cache key type
 * discards the answer; concurrent misses with the same key share one exec (singleflight); in
 * service-account mode the cache key also holds the service account's namespace, name, UID and
 * passed annotations, plus the token's hash when `cacheType` is `Token`.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../kube/clock.js';
import type { AuthConfig, CacheKeyType, CredentialProviderRequest, CredentialProviderResponse } from './api.js';
import { isCacheKeyType } from './codec.js';
import type { CredentialProviderEntry } from './kubelet-config.js';
import { explainMatch, registryOf, repositoryOf } from './match-image.js';
import { PluginExecError } from './exec-plugin.js';

/** A service account as the kubelet reads it from the API. */
export interface ServiceAccountInfo {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** The pod a pull is for (only service-account mode looks at it). */
export interface PullPod {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** Empty or absent: the pod has no service account (a static pod). */
  readonly serviceAccountName?: string;
}

/** What happened with one plugin for one pull. */
export type PluginOutcome =
  | { readonly plugin: string; readonly outcome: 'not-matched'; readonly reason: string }
  | { readonly plugin: string; readonly outcome: 'skipped'; readonly reason: string }
  | { readonly plugin: string; readonly outcome: 'error'; readonly kubeletMessage: string; readonly detail: string }
  | {
      readonly plugin: string;
      readonly outcome: 'cache-hit' | 'exec';
      /** The cache entry's key type and base key (image, registry or `global`). */
      readonly cacheKeyType: CacheKeyType;
      readonly cacheBaseKey: string;
      /** When the entry expires (clock ms), or undefined when the answer was not cached. */
      readonly expiresAt: number | undefined;
      /** This pull waited for another pull's exec of the same key (singleflight). */
      readonly shared?: boolean;
      readonly auth: Readonly<Record<string, AuthConfig>>;
    };

/** One pull's report. */
export interface PullReport {
  /** The reference as given (`registry.io/app:v1`). */
  readonly reference: string;
  /** What the kubelet asks plugins about (`registry.io/app`). */
  readonly image: string;
  /** Clock time of the pull. */
  readonly at: number;
  /** One entry per configured provider, in config order. */
  readonly plugins: readonly PluginOutcome[];
}

/** Runs one plugin (the real exec in practice; a double in tests). */
export type PluginRunner = (provider: CredentialProviderEntry, request: CredentialProviderRequest) => Promise<CredentialProviderResponse & { readonly cacheKeyType: string }>;

/** Options of {@link KubeletCredentialSimulator}. */
export interface KubeletCredentialSimulatorOptions {
  readonly providers: readonly CredentialProviderEntry[];
  /** Runs a plugin (see execPlugin). */
  readonly run: PluginRunner;
  /** Time for the cache (a FakeClock to replay pulls in virtual time). */
  readonly clock: Clock;
  /** Service accounts known to the simulated API. */
  readonly serviceAccounts?: readonly ServiceAccountInfo[];
  /** Mints the pod's token for an audience (default: an unsigned JWT-shaped test token). */
  readonly mintToken?: (pod: PullPod, sa: ServiceAccountInfo, audience: string) => string;
}

interface CacheEntry {
  readonly auth: Readonly<Record<string, AuthConfig>>;
  readonly expiresAt: number;
  readonly type: CacheKeyType;
  readonly base: string;
}

const GLOBAL_KEY = 'global';

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** An unsigned token shaped as a bound service-account token, for plugins that inspect claims. */
export function testServiceAccountToken(pod: PullPod, sa: ServiceAccountInfo, audience: string, nowMs: number): string {
  const iat = Math.floor(nowMs / 1000);
  const claims = {
    aud: [audience],
    exp: iat + 3600,
    iat,
    iss: 'https://outrigger.test',
    sub: `system:serviceaccount:${sa.namespace}:${sa.name}`,
    'kubernetes.io': { namespace: sa.namespace, pod: { name: pod.name, uid: pod.uid }, serviceaccount: { name: sa.name, uid: sa.uid } },
  };
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

function sortedAnnotations(a: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(a).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

/**
 * The kubelet's credential-provider cache and exec logic over a list of pulls.
 *
 * @example
 * ```ts
 * const sim = new KubeletCredentialSimulator({ providers, clock, run: (p, req) => execPlugin(p, req, { binDir }) });
 * const first = await sim.pull('registry.io/app:v1');   // exec
 * clock.advance(60_000);
 * const second = await sim.pull('registry.io/other:v2'); // cache-hit if the answer was Registry-keyed
 * ```
 */
export class KubeletCredentialSimulator {
  readonly #options: KubeletCredentialSimulatorOptions;
  readonly #caches = new Map<string, Map<string, CacheEntry>>();
  readonly #inflight = new Map<string, Promise<CredentialProviderResponse & { readonly cacheKeyType: string }>>();

  constructor(options: KubeletCredentialSimulatorOptions) {
    this.#options = options;
    for (const p of options.providers) this.#caches.set(p.name, new Map());
  }

  /** Looks up credentials for one pull, as the kubelet does before pulling. */
  async pull(reference: string, pod?: PullPod): Promise<PullReport> {
    const image = repositoryOf(reference);
    const at = this.#options.clock.now();
    const plugins: PluginOutcome[] = [];
    for (const provider of this.#options.providers) plugins.push(await this.#provide(provider, image, pod));
    return { reference, image, at, plugins };
  }

  /** Pulls that start together: cache misses with the same key share one exec. */
  async pullTogether(pulls: readonly { readonly reference: string; readonly pod?: PullPod }[]): Promise<PullReport[]> {
    return Promise.all(pulls.map((p) => this.pull(p.reference, p.pod)));
  }

  #cacheKey(base: string, saKey: string): string {
    return JSON.stringify([base, saKey]);
  }

  #lookup(provider: CredentialProviderEntry, image: string, saKey: string): CacheEntry | undefined {
    const cache = this.#caches.get(provider.name) as Map<string, CacheEntry>;
    for (const base of [image, registryOf(image), GLOBAL_KEY]) {
      const key = this.#cacheKey(base, saKey);
      const entry = cache.get(key);
      if (entry === undefined) continue;
      // As the kubelet's expiration store: expired once now is after expiresAt; removed on read.
      if (this.#options.clock.now() > entry.expiresAt) {
        cache.delete(key);
        continue;
      }
      return entry;
    }
    return undefined;
  }

  async #provide(provider: CredentialProviderEntry, image: string, pod: PullPod | undefined): Promise<PluginOutcome> {
    const plugin = provider.name;
    const misses: string[] = [];
    for (const pattern of provider.matchImages) {
      const verdict = explainMatch(pattern, image);
      if (verdict.match) {
        misses.length = 0;
        break;
      }
      misses.push(`${pattern}: ${verdict.reason}`);
    }
    if (misses.length > 0) return { plugin, outcome: 'not-matched', reason: misses.join('; ') };

    let token = '';
    let annotations: Record<string, string> | undefined;
    let saKey = '';
    const attrs = provider.tokenAttributes;
    if (attrs !== undefined) {
      const saName = pod?.serviceAccountName ?? '';
      if (saName === '' && attrs.requireServiceAccount) {
        return { plugin, outcome: 'skipped', reason: `service account name is empty for pod ${pod === undefined ? '(none)' : `${pod.namespace}/${pod.name}`}: the plugin is not invoked` };
      }
      if (saName !== '' && pod !== undefined) {
        const sa = (this.#options.serviceAccounts ?? []).find((s) => s.namespace === pod.namespace && s.name === saName);
        if (sa === undefined) {
          const m = `Failed to get service account ${pod.namespace}/${saName}: not found`;
          return { plugin, outcome: 'error', kubeletMessage: m, detail: m };
        }
        annotations = {};
        for (const k of attrs.requiredServiceAccountAnnotationKeys) {
          const v = sa.annotations?.[k];
          if (v === undefined) return { plugin, outcome: 'skipped', reason: `required annotation ${k} not found on service account ${sa.namespace}/${sa.name}: the plugin is not invoked` };
          annotations[k] = v;
        }
        for (const k of attrs.optionalServiceAccountAnnotationKeys) {
          const v = sa.annotations?.[k];
          if (v !== undefined) annotations[k] = v;
        }
        token = (this.#options.mintToken ?? ((p, s, aud) => testServiceAccountToken(p, s, aud, this.#options.clock.now())))(pod, sa, attrs.serviceAccountTokenAudience);
        const tokenHash = `sha256:${createHash('sha256').update(token).digest('hex')}`;
        saKey = JSON.stringify([sa.namespace, sa.name, sa.uid, sortedAnnotations(annotations), ...(attrs.cacheType === 'Token' ? ['token', tokenHash] : [])]);
      }
    }

    const hit = this.#lookup(provider, image, saKey);
    if (hit !== undefined) return { plugin, outcome: 'cache-hit', cacheKeyType: hit.type, cacheBaseKey: hit.base, expiresAt: hit.expiresAt, auth: hit.auth };

    // Singleflight: by image, plus the token's hash and annotations in service-account mode.
    const flightKey = JSON.stringify([plugin, image, token === '' ? '' : createHash('sha256').update(token).digest('hex'), sortedAnnotations(annotations ?? {})]);
    let shared = true;
    let flight = this.#inflight.get(flightKey);
    if (flight === undefined) {
      shared = false;
      const request: CredentialProviderRequest = {
        apiVersion: provider.apiVersion,
        image,
        ...(token === '' ? {} : { serviceAccountToken: token }),
        ...(annotations === undefined || Object.keys(annotations).length === 0 ? {} : { serviceAccountAnnotations: annotations }),
      };
      flight = this.#options.run(provider, request);
      this.#inflight.set(flightKey, flight);
      flight.then(
        () => this.#inflight.delete(flightKey),
        () => this.#inflight.delete(flightKey),
      );
    }
    let response: CredentialProviderResponse & { readonly cacheKeyType: string };
    try {
      response = await flight;
    } catch (err) {
      if (err instanceof PluginExecError) return { plugin, outcome: 'error', kubeletMessage: err.kubeletMessage, detail: err.detail };
      const m = err instanceof Error ? err.message : String(err);
      return { plugin, outcome: 'error', kubeletMessage: m, detail: m };
    }
    if (token !== '' && attrs?.cacheType !== 'Token' && Object.values(response.auth).some((a) => a.password === token)) {
      const m = `Credential provider plugin returned the service account token as the password for image ${JSON.stringify(image)}, which is not allowed when service account cache type is not set to 'Token'`;
      return { plugin, outcome: 'error', kubeletMessage: m, detail: m };
    }
    if (!isCacheKeyType(response.cacheKeyType)) {
      const m = `credential provider plugin did not return a valid cacheKeyType: ${JSON.stringify(response.cacheKeyType)}`;
      return { plugin, outcome: 'error', kubeletMessage: m, detail: m };
    }
    const type = response.cacheKeyType;
    const base = type === 'Image' ? image : type === 'Registry' ? registryOf(image) : GLOBAL_KEY;
    const duration = response.cacheDurationMs ?? provider.defaultCacheDurationMs;
    let expiresAt: number | undefined;
    if (duration > 0) {
      // Every caller of a shared exec stores the answer, as upstream (the same entry each time).
      expiresAt = this.#options.clock.now() + duration;
      (this.#caches.get(plugin) as Map<string, CacheEntry>).set(this.#cacheKey(base, saKey), { auth: response.auth, expiresAt, type, base });
    }
    return { plugin, outcome: 'exec', cacheKeyType: type, cacheBaseKey: base, expiresAt, ...(shared ? { shared } : {}), auth: response.auth };
  }
}
