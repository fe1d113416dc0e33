/**
 * The kubelet's image credential provider API (`credentialprovider.kubelet.k8s.io`), as plain
 * TypeScript types: the request the kubelet writes to a plugin's stdin and the response it reads
 * from its stdout. Field names and meanings follow k8s.io/kubelet/pkg/apis/credentialprovider.
 *
 * @module
 */

/** The API group of requests and responses. */
export const CREDENTIAL_PROVIDER_GROUP = 'credentialprovider.kubelet.k8s.io';

/** The current version: the only one that carries service-account tokens and annotations. */
export const CREDENTIAL_PROVIDER_V1 = `${CREDENTIAL_PROVIDER_GROUP}/v1`;

/** The beta version, still accepted by the kubelet (image only). */
export const CREDENTIAL_PROVIDER_V1BETA1 = `${CREDENTIAL_PROVIDER_GROUP}/v1beta1`;

/** The alpha version, still accepted by the kubelet (image only). */
export const CREDENTIAL_PROVIDER_V1ALPHA1 = `${CREDENTIAL_PROVIDER_GROUP}/v1alpha1`;

/** Every apiVersion the kubelet knows, newest first. */
export const CREDENTIAL_PROVIDER_API_VERSIONS = [CREDENTIAL_PROVIDER_V1, CREDENTIAL_PROVIDER_V1BETA1, CREDENTIAL_PROVIDER_V1ALPHA1] as const;

/** One of {@link CREDENTIAL_PROVIDER_API_VERSIONS}. */
export type CredentialProviderApiVersion = (typeof CREDENTIAL_PROVIDER_API_VERSIONS)[number];

/** How the kubelet keys its cache of a response: by the image, its registry, or one global entry. */
export type CacheKeyType = 'Image' | 'Registry' | 'Global';

/** The three valid cache key types; any other value makes the kubelet discard the response. */
export const CACHE_KEY_TYPES: readonly CacheKeyType[] = ['Image', 'Registry', 'Global'];

/** A registry username and password (either may be empty). */
export interface AuthConfig {
  readonly username: string;
  readonly password: string;
}

/** What the kubelet asks a plugin, decoded. */
export interface CredentialProviderRequest {
  /** The apiVersion the kubelet used; the response must carry the same one. */
  readonly apiVersion: CredentialProviderApiVersion;
  /** The image being pulled, without tag or digest (`registry.io:5000/team/app`). */
  readonly image: string;
  /**
   * The pod's service-account token, bound to the configured audience; only in v1 and only when
   * the kubelet config sets `tokenAttributes`. A secret: never log it.
   */
  readonly serviceAccountToken?: string;
  /** The service account's annotations the kubelet config names (required and optional keys). */
  readonly serviceAccountAnnotations?: Readonly<Record<string, string>>;
}

/** What a plugin answers, decoded. */
export interface CredentialProviderResponse {
  readonly apiVersion: CredentialProviderApiVersion;
  readonly cacheKeyType: CacheKeyType;
  /**
   * How long the kubelet caches the answer, in milliseconds: absent means the config's
   * `defaultCacheDuration`, 0 means do not cache.
   */
  readonly cacheDurationMs?: number;
  /** Match pattern (`*.registry.io`, `registry.io:5000/team`) → credentials. */
  readonly auth: Readonly<Record<string, AuthConfig>>;
}
