/**
 * The simulated API server: an in-process test double and demo sandbox with kube-apiserver
 * semantics for what the cloud-controller-manager touches. See the module documentation in
 * `index.ts` for what it implements and what it deliberately leaves out.
 *
 * @module
 */
import { randomInt, randomUUID } from 'node:crypto';
import { RealClock } from '../clock.js';
import type { Clock } from '../clock.js';
import type { KubeClient } from '../client.js';
import type { KubeObject, ResourceType } from '../resources.js';
import { ApiServerCore } from './api-server-core.js';
import { DEFAULT_EVENT_TTL_MS } from './event-expiry.js';
import { FaultRegistry } from './faults.js';
import type { FaultInjector } from './faults.js';
import { RequestCounter } from './request-counts.js';
import type { RequestCount } from './request-counts.js';
import { SimulatedKubeClient } from './simulated-client.js';
import { NAMESPACES, SERVICE_ACCOUNTS } from '../resources.js';
import { TokenIssuer } from './token-issuer.js';
import { EXTRA_STORED_RESOURCES } from './served-kinds.js';
import type { TokenIdentity } from './token-issuer.js';

/** Options of a {@link SimulatedApiServer}. */
export interface SimulatedApiServerOptions {
  /** Time source for timestamps, watch timeouts and injected latency (default: the wall clock). */
  clock?: Clock;
  /** Changes retained per resource for watches and list continuation (default 1000). */
  historyLimit?: number;
  /** Generates object uids (default: random version-4 UUIDs, as `crypto.randomUUID`). */
  newUid?: () => string;
  /** Uniform random numbers in [0, 1) for generateName suffixes (default: from `node:crypto`). */
  random?: () => number;
  /**
   * Time to live of core/v1 Events after their last write, on `clock` (kube-apiserver's
   * `--event-ttl`, default 1 h); 0 keeps them for ever.
   */
  eventTtlMs?: number;
  /**
   * Behave as a cluster does for namespaces (default false, so tests may write into any
   * namespace): the system namespaces `default`, `kube-node-lease`, `kube-public` and
   * `kube-system` exist from the start, a create in a missing namespace is refused 404 and in a
   * terminating one 403 (kube-apiserver's NamespaceLifecycle admission), and deleting a Namespace
   * deletes what it holds. The sandbox turns it on.
   */
  namespaceLifecycle?: boolean;
  /**
   * kube-apiserver's `--service-cluster-ip-range` (IPv4 CIDR, default `10.96.0.0/16`): where
   * Service ClusterIPs are allocated. A malformed range throws a RangeError naming it.
   */
  serviceClusterIPRange?: string;
  /** kube-apiserver's `--service-node-port-range` (`min-max`, default `30000-32767`). */
  serviceNodePortRange?: string;
}

/** User agent of requests from a client made without one. */
const DEFAULT_USER_AGENT = 'unknown';

function cryptoRandom(): number {
  return randomInt(0, 2 ** 48) / 2 ** 48;
}

/**
 * A simulated Kubernetes API server (test double and demo sandbox) serving Nodes, Services,
 * Events and Leases — plus any registered resource — through {@link KubeClient} views.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const server = new SimulatedApiServer({ clock });
 * const kube = server.client({ userAgent: 'service-controller' });
 * await kube.services.create({ metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer' } });
 * server.faults.inject({ verb: 'patch', resource: 'services/status', error: apiErrors.conflict('services', '', 'web', 'boom') });
 * ```
 */
export class SimulatedApiServer {
  /** Fault hooks: failing or delaying requests, dropping watches. */
  readonly faults: FaultInjector;
  readonly #core: ApiServerCore;
  readonly #faults: FaultRegistry;
  readonly #counter = new RequestCounter();
  readonly #tokens: TokenIssuer;
  readonly #clock: Clock;

  constructor(options: SimulatedApiServerOptions = {}) {
    const historyLimit = options.historyLimit ?? 1000;
    if (!Number.isInteger(historyLimit) || historyLimit < 0) {
      throw new RangeError(`SimulatedApiServer: historyLimit must be an integer >= 0, got ${historyLimit}`);
    }
    const eventTtlMs = options.eventTtlMs ?? DEFAULT_EVENT_TTL_MS;
    if (!Number.isFinite(eventTtlMs) || eventTtlMs < 0) {
      throw new RangeError(`SimulatedApiServer: eventTtlMs must be a finite number >= 0, got ${eventTtlMs}`);
    }
    const clock = options.clock ?? new RealClock();
    this.#clock = clock;
    this.#core = new ApiServerCore({
      clock,
      historyLimit,
      newUid: options.newUid ?? flatRandomUuid,
      random: options.random ?? cryptoRandom,
      eventTtlMs,
      namespaceLifecycle: options.namespaceLifecycle === true,
      serviceRanges: {
        ...(options.serviceClusterIPRange === undefined ? {} : { serviceClusterIPRange: options.serviceClusterIPRange }),
        ...(options.serviceNodePortRange === undefined ? {} : { serviceNodePortRange: options.serviceNodePortRange }),
      },
    });
    this.#faults = new FaultRegistry(clock, () => this.#core.closeWatches());
    this.faults = this.#faults;
    this.#tokens = new TokenIssuer(clock);
    // ServiceAccounts (and their token subresource) and Namespaces, for --use-service-account-credentials.
    this.#core.register(SERVICE_ACCOUNTS);
    this.#core.register(NAMESPACES);
    // The other kinds a cluster serves to kubectl (ConfigMaps, Secrets, RBAC, …): stored, never enforced.
    for (const type of EXTRA_STORED_RESOURCES) this.#core.register(type);
    if (options.namespaceLifecycle === true) this.#core.createSystemNamespaces();
  }

  /** Who a bearer token minted by this server's TokenRequest authenticates as; undefined when unknown or expired. */
  authenticateToken(token: string): TokenIdentity | undefined {
    return this.#tokens.authenticate(token);
  }

  /** A KubeClient view; its requests are accounted under `userAgent`. */
  client(options: { userAgent?: string } = {}): KubeClient {
    return new SimulatedKubeClient({
      core: this.#core,
      counter: this.#counter,
      faults: this.#faults,
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      tokens: this.#tokens,
    });
  }

  /** Serves another resource on the generic path (custom-resource semantics, no strategic patch). */
  registerResource(type: ResourceType): void {
    this.#core.register(type);
  }

  /** Requests seen so far by verb, resource (`x` or `x/status`) and user agent, failed ones included. */
  requestCounts(): readonly RequestCount[] {
    return this.#counter.counts();
  }

  /** Forgets the request counts. */
  resetRequestCounts(): void {
    this.#counter.reset();
  }

  /** Forgets all retained watch history: older watch and continue versions then get 410. */
  compactHistory(): void {
    this.#core.compactHistory();
  }

  /** The server's clock reading in milliseconds (ages in table answers are computed from it). */
  now(): number {
    return this.#clock.now();
  }

  /** The current global resourceVersion. */
  resourceVersion(): string {
    return String(this.#core.resourceVersion);
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that allowed bookmarks. */
  sendBookmarks(): void {
    this.#core.sendBookmarks();
  }

  /**
   * All stored objects of a resource, sorted by key, without copying: the deep-frozen objects the
   * store holds (read them; {@link SimulatedApiServer.snapshot} gives copies to keep or change).
   */
  objects<T extends KubeObject = KubeObject>(type: ResourceType<T>): readonly Readonly<T>[] {
    return this.#core.objects(type).map((obj) => obj as unknown as T);
  }

  /**
   * How many stored objects of a resource satisfy `predicate`, which reads the deep-frozen stored
   * objects themselves. For counters polled while a large simulation runs: no list is built or
   * sorted.
   */
  count<T extends KubeObject = KubeObject>(type: ResourceType<T>, predicate: (obj: Readonly<T>) => boolean = () => true): number {
    return this.#core.count(type, (obj) => predicate(obj as unknown as T));
  }

  /** Deep copies of all objects of a resource, sorted by key, for assertions. */
  snapshot<T extends KubeObject = KubeObject>(type: ResourceType<T>): T[] {
    return this.#core.snapshot(type).map((obj) => obj as unknown as T);
  }
}

/**
 * `crypto.randomUUID()` as one flat string. Node builds its UUIDs by concatenating two-character
 * pieces, and V8 keeps such a result as a rope of ~20 linked pieces (≈640 bytes) until something
 * flattens it; every object the server stores keeps its uid, so a rope per object costs ten times
 * the 56 bytes of the flat string. Copying the characters through a buffer gives the flat one.
 */
function flatRandomUuid(): string {
  return Buffer.from(randomUUID(), 'latin1').toString('latin1');
}
