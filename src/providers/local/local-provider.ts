/**
 * The `local` cloud provider: real TCP/UDP load balancers on addresses of this host, address
 * pools with persisted allocations, and inventory-backed instances.
 *
 * @module
 */
import type { InstancesV2 } from '../../cloud/instances-v2.js';
import type { LoadBalancer } from '../../cloud/load-balancer.js';
import type { CloudProvider, ProviderInitContext } from '../../cloud/provider.js';
import type { Clock } from '../../kube/clock.js';
import { RealClock } from '../../kube/clock.js';
import type { Logger } from '../../log/logger.js';
import { noopLogger } from '../../log/logger.js';
import type { LocalConfig } from './local-config.js';
import { LocalInstances } from './local-instances.js';
import { LocalLoadBalancer } from './local-load-balancer.js';
import { registerLocalMetrics } from './local-metrics.js';

/** Options of {@link LocalCloudProvider}. */
export interface LocalCloudProviderOptions {
  readonly config: LocalConfig;
  /** Provider name; default `local`. */
  readonly name?: string;
  /** Clock for health intervals, affinity, UDP idle expiry and drain grace; default the wall clock. */
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Called when a node enters or leaves a load balancer's rotation. */
  readonly onHealthChange?: (service: string, node: string, healthy: boolean) => void;
}

/**
 * The local provider. Listeners exist only between {@link initialize} and the abort of its
 * signal, i.e. while this replica leads; a new leader re-binds them as the service controller
 * ensures every Service on start.
 *
 * @example
 * ```ts
 * const provider = new LocalCloudProvider({ config: parseLocalConfig(yamlText, path) });
 * await provider.initialize({ signal, clientBuilder, logger });
 * ```
 */
export class LocalCloudProvider implements CloudProvider {
  readonly name: string;
  readonly #lb: LocalLoadBalancer;
  readonly #instances: LocalInstances;
  readonly #logger: Logger;

  constructor(options: LocalCloudProviderOptions) {
    this.name = options.name ?? 'local';
    this.#logger = options.logger ?? noopLogger;
    this.#lb = new LocalLoadBalancer({
      config: options.config,
      clock: options.clock ?? new RealClock(),
      logger: this.#logger,
      onHealthChange: options.onHealthChange,
    });
    this.#instances = new LocalInstances(options.config.inventory);
  }

  async initialize(ctx: ProviderInitContext): Promise<void> {
    ctx.signal.throwIfAborted();
    await this.#lb.load();
    if (ctx.metrics !== undefined) registerLocalMetrics(ctx.metrics, this.#lb.metricsSource());
    await this.#adoptFromCluster(ctx);
    await this.#lb.start();
    ctx.signal.addEventListener(
      'abort',
      () => {
        void this.#lb.stop().catch((err: unknown) => this.#logger.error(err, 'Failed to stop the local load balancers'));
      },
      { once: true },
    );
  }

  /**
   * Re-adopts the addresses the cluster's Services show in their status before the service
   * controller starts. Best effort: when the list fails, each Service still re-adopts its own
   * address when it is ensured, and only a brand-new Service synced first could take one.
   */
  async #adoptFromCluster(ctx: ProviderInitContext): Promise<void> {
    let services;
    try {
      services = (await ctx.clientBuilder.client('service-controller').services.list({ signal: ctx.signal })).items;
    } catch (err) {
      ctx.signal.throwIfAborted();
      this.#logger.error(err, 'Could not list Services to re-adopt their addresses; each is re-adopted when it is ensured');
      return;
    }
    // A failure to save the claims is the state file's problem, not the list's: it propagates.
    const adopted = await this.#lb.adoptFromStatus(services);
    if (adopted.length > 0) this.#logger.info('Re-adopted load-balancer addresses from Service status', { services: adopted.length });
  }

  /** Closes every listener now (what aborting the initialise signal does). */
  shutdown(): Promise<void> {
    return this.#lb.stop();
  }

  loadBalancer(): LoadBalancer {
    return this.#lb;
  }

  /** The concrete load-balancer capability, for inspection (listeners, allocations). */
  get localLoadBalancer(): LocalLoadBalancer {
    return this.#lb;
  }

  instancesV2(): InstancesV2 {
    return this.#instances;
  }

  hasClusterID(): boolean {
    return true;
  }
}
