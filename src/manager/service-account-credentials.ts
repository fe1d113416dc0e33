/**
 * `--use-service-account-credentials`: each controller talks to the API server as its own service
 * account in `kube-system` (`node-controller`, `service-controller`, `route-controller`, …), with
 * short-lived tokens from the TokenRequest API — upstream's `DynamicControllerClientBuilder`
 * (k8s.io/controller-manager `pkg/clientbuilder`), written to its semantics:
 *
 * - the service account is fetched, or created when missing (its namespace too, best effort);
 * - a token is requested for one hour; each fetch tries 4 times, 0.5 s apart doubling (apimachinery
 *   `wait.ExponentialBackoff{500ms, ×2, 4 steps}`), logging each failure;
 * - the token is reused until 80 % of its lifetime (at least 10 minutes) has passed — the 20 %
 *   leeway — and dropped at once when the server answers 401;
 * - concurrent requests of one controller share one fetch.
 *
 * Deviation: upstream creates the service account when the controller's client is built and
 * exits the process if that fails; here it happens on the controller's first request, and a
 * failure fails that request (the controller retries with its backoff) instead of a crash loop.
 *
 * @module
 */
import { NotLeaderError } from '../kube/write-fence.js';
import { errorMessage } from '../log/error-message.js';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import { exponentialBackoff } from '../kube/backoff.js';
import type { KubeClient } from '../kube/client.js';
import type { BearerTokenSource } from '../kube/client-node/index.js';
import type { Clock } from '../kube/clock.js';
import { isAlreadyExists, isNotFound } from '../kube/errors.js';
import { NAMESPACES, SERVICE_ACCOUNTS } from '../kube/resources.js';
import type { Logger } from '../log/logger.js';
import { noopLogger } from '../log/logger.js';

/** The namespace upstream keeps controller service accounts in. */
export const CONTROLLER_SERVICE_ACCOUNT_NAMESPACE = 'kube-system';

/** upstream `defaultExpirationSeconds`. */
const EXPIRATION_SECONDS = 3600;
/** upstream `defaultLeewayPercent`. */
const LEEWAY_PERCENT = 20;
/** A token is kept at least this long, whatever the server says (upstream's floor). */
const MIN_LIFETIME_MS = 10 * 60_000;
const FETCH_BACKOFF = { durationMs: 500, factor: 2, jitter: 0, steps: 4 } as const;

/** Options of a {@link ServiceAccountTokenSource}. */
export interface ServiceAccountTokenSourceOptions {
  /** The manager's own client: reads and creates the service account, requests its tokens. */
  readonly client: KubeClient;
  /** The service account: the controller's client name. */
  readonly name: string;
  /** Default {@link CONTROLLER_SERVICE_ACCOUNT_NAMESPACE}. */
  readonly namespace?: string;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Requested lifetime (default 3600 s, as upstream). */
  readonly expirationSeconds?: number;
}

/** The username a service account authenticates as (apiserver `serviceaccount.MakeUsername`). */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/** Bearer tokens of one controller's service account, cached until due for renewal. */
export class ServiceAccountTokenSource implements BearerTokenSource {
  readonly #client: KubeClient;
  readonly #name: string;
  readonly #namespace: string;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #expirationSeconds: number;
  #cached: { token: string; renewAt: number } | undefined;
  #inFlight: Promise<string> | undefined;

  constructor(o: ServiceAccountTokenSourceOptions) {
    this.#client = o.client;
    this.#name = o.name;
    this.#namespace = o.namespace ?? CONTROLLER_SERVICE_ACCOUNT_NAMESPACE;
    this.#clock = o.clock;
    this.#log = (o.logger ?? noopLogger).withValues({ serviceAccount: `${this.#namespace}/${this.#name}` });
    this.#expirationSeconds = o.expirationSeconds ?? EXPIRATION_SECONDS;
  }

  /** `system:serviceaccount:<namespace>:<name>`. */
  get username(): string {
    return serviceAccountUsername(this.#namespace, this.#name);
  }

  async token(signal?: AbortSignal): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.#clock.now() < cached.renewAt) return cached.token;
    // One fetch at a time; it is not tied to one caller's signal, since others share it.
    this.#inFlight ??= this.#fetch().finally(() => (this.#inFlight = undefined));
    const pending = this.#inFlight;
    if (signal === undefined) return pending;
    signal.throwIfAborted();
    return new Promise<string>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      pending.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  reset(): void {
    this.#cached = undefined;
  }

  async #fetch(): Promise<string> {
    let answer: TokenRequest | undefined;
    try {
      await exponentialBackoff(
        FETCH_BACKOFF,
        async () => {
          try {
            await this.#getOrCreateServiceAccount();
          } catch (err) {
            // Not leading: no retry can help, and a standby needs no controller token.
            if (err instanceof NotLeaderError) throw err;
            this.#log.info('get or create service account failed', { err: String(err) });
            return false;
          }
          try {
            answer = await this.#client.resource(SERVICE_ACCOUNTS).createSubresource<TokenRequest>({ namespace: this.#namespace, name: this.#name }, 'token', {
              apiVersion: 'authentication.k8s.io/v1',
              kind: 'TokenRequest',
              spec: { audiences: [], expirationSeconds: this.#expirationSeconds },
            });
            return true;
          } catch (err) {
            if (err instanceof NotLeaderError) throw err;
            this.#log.info('get token failed', { err: String(err) });
            return false;
          }
        },
        { clock: this.#clock, random: () => 0 },
      );
    } catch (err) {
      throw new Error(`failed to get token for ${this.#namespace}/${this.#name}: ${errorMessage(err)}`, { cause: err });
    }
    const token = answer?.status?.token;
    if (answer?.spec.expirationSeconds === undefined) throw new Error(`failed to get token for ${this.#namespace}/${this.#name}: the TokenRequest answer has no spec.expirationSeconds`);
    if (token === undefined || token === '') throw new Error(`failed to get token for ${this.#namespace}/${this.#name}: the TokenRequest answer has no status.token`);
    const now = this.#clock.now();
    const expires = Date.parse(answer.status?.expirationTimestamp ?? '');
    const lifetime = Math.max(Number.isNaN(expires) ? 0 : expires - now, MIN_LIFETIME_MS);
    this.#cached = { token, renewAt: now + lifetime - (lifetime * LEEWAY_PERCENT) / 100 };
    return token;
  }

  /** upstream `getOrCreateServiceAccount`. */
  async #getOrCreateServiceAccount(): Promise<void> {
    const key = { namespace: this.#namespace, name: this.#name };
    try {
      await this.#client.resource(SERVICE_ACCOUNTS).get(key);
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // Best effort, as upstream: a refused lookup (no RBAC for namespaces) is ignored.
    try {
      await this.#client.resource(NAMESPACES).get({ name: this.#namespace });
    } catch (err) {
      if (isNotFound(err)) {
        await this.#client
          .resource(NAMESPACES)
          .create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: this.#namespace } })
          .catch((createErr: unknown) => {
            if (!isAlreadyExists(createErr)) this.#log.info('create non-exist namespace failed', { namespace: this.#namespace, err: String(createErr) });
          });
      }
    }
    try {
      await this.#client.resource(SERVICE_ACCOUNTS).create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: key });
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      await this.#client.resource(SERVICE_ACCOUNTS).get(key);
    }
  }
}
