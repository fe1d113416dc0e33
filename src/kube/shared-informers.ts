/**
 * One informer per (resource, namespace, selectors), shared by every controller that asks — as
 * client-go's `SharedInformerFactory`, so the cloud-controller-manager lists and watches each kind
 * once no matter how many controllers read it (research/upstream-framework.md: all controllers
 * share the informers of one factory).
 *
 * @module
 */
import type { Clock } from './clock.js';
import type { KubeClient } from './client.js';
import { Informer } from './informer.js';
import type { KubeObject, ResourceType } from './resources.js';
import { noopLogger } from '../log/logger.js';
import type { Logger } from '../log/logger.js';

// Tombstone helpers live with the informer that produces tombstones; offered here too because
// handlers registered through the factory are where they are needed.
export { isDeletedFinalStateUnknown, objectFromTombstone } from './informer.js';

/** Options of a {@link SharedInformerFactory}. */
export interface SharedInformerFactoryOptions {
  readonly client: KubeClient;
  readonly clock: Clock;
  /** Uniform [0, 1) source for watch timeouts and backoff jitter. */
  readonly random: () => number;
  readonly logger?: Logger;
  /**
   * Default handler resync period in ms (0 = none). Upstream draws it from
   * [min-resync-period, 2·min-resync-period); that draw is the caller's, this value is used as is.
   */
  readonly defaultResyncMs?: number;
  /** Minimum watch timeout for every informer, ms (default 5 min). */
  readonly minWatchTimeoutMs?: number;
}

/** Which objects of a resource an informer covers; part of the informer's identity. */
export interface InformerScope {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

interface Entry {
  /** The informer, typed per its resource at {@link SharedInformerFactory.informerFor}. */
  readonly informer: unknown;
  readonly start: (signal: AbortSignal) => Promise<void>;
  readonly waitForSync: (signal: AbortSignal) => Promise<boolean>;
  running: Promise<void> | undefined;
}

/**
 * Hands out shared informers and runs them.
 *
 * @example
 * ```ts
 * const factory = new SharedInformerFactory({ client, clock, random: Math.random });
 * const nodes = factory.informerFor(NODES);
 * factory.start(signal);
 * if (!(await factory.waitForCacheSync(signal))) return;
 * ```
 */
export class SharedInformerFactory {
  readonly #client: KubeClient;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #logger: Logger;
  readonly #defaultResyncMs: number;
  readonly #minWatchTimeoutMs: number | undefined;
  readonly #entries = new Map<string, Entry>();
  /** Aborted by the start signal or by {@link SharedInformerFactory.shutdown}. */
  readonly #stop = new AbortController();
  #started = false;

  constructor(options: SharedInformerFactoryOptions) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#logger = options.logger ?? noopLogger;
    this.#defaultResyncMs = options.defaultResyncMs ?? 0;
    this.#minWatchTimeoutMs = options.minWatchTimeoutMs;
  }

  /**
   * The informer for `type` in `scope`: the same instance for the same resource and scope. Once
   * the factory has started, a newly requested informer starts at once.
   */
  informerFor<T extends KubeObject>(type: ResourceType<T>, scope: InformerScope = {}): Informer<T> {
    const key = JSON.stringify([type.group, type.version, type.resource, scope.namespace ?? '', scope.labelSelector ?? '', scope.fieldSelector ?? '']);
    const existing = this.#entries.get(key);
    if (existing !== undefined) return existing.informer as Informer<T>;
    const informer = new Informer<T>({
      client: this.#client.resource(type),
      clock: this.#clock,
      random: this.#random,
      logger: this.#logger,
      resyncPeriodMs: this.#defaultResyncMs,
      ...(this.#minWatchTimeoutMs === undefined ? {} : { minWatchTimeoutMs: this.#minWatchTimeoutMs }),
      ...(scope.namespace === undefined ? {} : { namespace: scope.namespace }),
      ...(scope.labelSelector === undefined ? {} : { labelSelector: scope.labelSelector }),
      ...(scope.fieldSelector === undefined ? {} : { fieldSelector: scope.fieldSelector }),
    });
    const entry: Entry = {
      informer,
      start: (signal) => informer.start(signal),
      waitForSync: (signal) => informer.waitForSync(signal),
      running: undefined,
    };
    this.#entries.set(key, entry);
    if (this.#started) this.#run(entry);
    return informer;
  }

  /**
   * Starts every informer requested so far, and from now on every informer requested later;
   * they run until `signal` aborts or {@link SharedInformerFactory.shutdown}. Does not block.
   */
  start(signal: AbortSignal): void {
    if (signal.aborted) this.#stop.abort();
    else signal.addEventListener('abort', () => this.#stop.abort(), { once: true });
    this.#started = true;
    for (const entry of this.#entries.values()) this.#run(entry);
  }

  #run(entry: Entry): void {
    if (entry.running !== undefined) return;
    entry.running = entry.start(this.#stop.signal).catch((err: unknown) => {
      this.#logger.error(err, 'Informer stopped with an error');
    });
  }

  /** Resolves true once every started informer has synced; false if `signal` aborts first. */
  async waitForCacheSync(signal: AbortSignal): Promise<boolean> {
    const started = [...this.#entries.values()].filter((e) => e.running !== undefined);
    const results = await Promise.all(started.map((e) => e.waitForSync(signal)));
    return results.every(Boolean);
  }

  /** Stops every informer and resolves once all of them have returned. */
  async shutdown(): Promise<void> {
    this.#stop.abort();
    await Promise.all([...this.#entries.values()].map((e) => e.running ?? Promise.resolve()));
  }
}
