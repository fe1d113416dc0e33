/**
 * The `local` cloud provider: real TCP/UDP load balancers on addresses of this host, address
 * pools with persisted allocations, and inventory-backed instances.
 *
 * @module
 */
import type { InstancesV2 } from '../../cloud/instances-v2.js';
import type { LoadBalancer } from '../../cloud/load-balancer.js';
import type { CloudProvider, ProviderInitContext } from '../../cloud/provider.js';
import type { Clock, Timer } from '../../kube/clock.js';
import { RealClock } from '../../kube/clock.js';
import { EventBroadcaster } from '../../kube/events.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Logger } from '../../log/logger.js';
import { noopLogger } from '../../log/logger.js';
import type { LocalConfig } from './local-config.js';
import type { Service } from 'kubernetes-types/core/v1.js';
import { LocalInstances } from './local-instances.js';
import { LocalLoadBalancer } from './local-load-balancer.js';
import type { LocalLoadBalancerOptions } from './local-load-balancer.js';
import type { CommandRunner } from './host-commands.js';
import { registerLocalMetrics } from './local-metrics.js';

/** The reason of the Warning event on a Service served in user space although `dataPlane: nftables` is set. */
export const DATA_PLANE_FALLBACK_REASON = 'DataPlaneFallback';

/** The `source.component` of the local provider's own events. */
export const LOCAL_EVENT_SOURCE = 'local-load-balancer';

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
  /** Runs `ip`, `arping`, `nft` (default: the real tools); tests pass a fake. */
  readonly runner?: CommandRunner;
  /** Overrides for the interface address manager (tests). */
  readonly interfaceOptions?: LocalLoadBalancerOptions['interfaceOptions'];
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
  readonly #clock: Clock;
  readonly #reconcileIntervalMs: number;
  /** Removal of addresses a crashed predecessor left; started at construction, in every replica. */
  readonly #staleRemoved: Promise<void>;
  /** Records the provider's own Warning events while it leads. */
  #recorder: EventRecorder | undefined;

  constructor(options: LocalCloudProviderOptions) {
    this.name = options.name ?? 'local';
    this.#logger = options.logger ?? noopLogger;
    this.#clock = options.clock ?? new RealClock();
    this.#reconcileIntervalMs = options.config.reconcileIntervalMs;
    this.#lb = new LocalLoadBalancer({
      config: options.config,
      clock: this.#clock,
      logger: this.#logger,
      onHealthChange: options.onHealthChange,
      runner: options.runner,
      interfaceOptions: options.interfaceOptions,
      onFallback: (service, reason) => {
        if (service.metadata?.name === undefined) return;
        this.#recorder?.event(
          { apiVersion: 'v1', kind: 'Service', metadata: service.metadata },
          'Warning',
          DATA_PLANE_FALLBACK_REASON,
          `dataPlane nftables is not used for this Service; it is served by the user-space proxy: ${reason}`,
        );
      },
    });
    // At process start, leader or not: a restarted ex-leader must stop answering for addresses its
    // successor now serves. Logged, never fatal (initialize waits for it and tries again).
    this.#staleRemoved = this.#lb.removeStaleAddresses().then(
      () => undefined,
      (err: unknown) => this.#logger.error(err, 'Could not remove load-balancer addresses a previous run left; retried when this replica leads'),
    );
    this.#instances = new LocalInstances(options.config.inventory);
  }

  async initialize(ctx: ProviderInitContext): Promise<void> {
    ctx.signal.throwIfAborted();
    // From here on nothing is written or bound once the signal aborts (leadership ended).
    this.#lb.fence(ctx.signal);
    await this.#staleRemoved;
    // Made at the first event (most runs record none), as the service controller's identity.
    let broadcaster: EventBroadcaster | undefined;
    this.#recorder = {
      event: (obj, type, reason, message) => {
        if (ctx.signal.aborted) return;
        broadcaster ??= new EventBroadcaster({ client: ctx.clientBuilder.client('service-controller'), clock: this.#clock, random: Math.random, logger: this.#logger });
        broadcaster.newRecorder({ component: LOCAL_EVENT_SOURCE }).event(obj, type, reason, message);
      },
    };
    ctx.signal.addEventListener('abort', () => void broadcaster?.shutdown().catch(() => undefined), { once: true });
    await this.#lb.load();
    if (ctx.metrics !== undefined) registerLocalMetrics(ctx.metrics, this.#lb.metricsSource());
    // Before the service controller starts: a failure to save what the pass changed is the state
    // file's problem and propagates; a failed list is only logged (see #reconcile).
    await this.#reconcile(ctx, 'start');
    await this.#lb.start();
    // Before the service controller's first pass: the addresses the Services show move to this
    // host now (added and announced), not one ensure at a time.
    await this.#lb.removeStaleAddresses();
    await this.#lb.announceAll();
    const timer = this.#scheduleReconcile(ctx);
    const stop = (): Promise<void> => {
      timer.stop();
      return this.#lb.stop().catch((err: unknown) => this.#logger.error(err, 'Failed to stop the local load balancers'));
    };
    // Leadership may have ended during the steps above (an abort listener added now would never
    // fire): what they put on interfaces and in the kernel is removed before returning.
    if (ctx.signal.aborted) await stop();
    else ctx.signal.addEventListener('abort', () => void stop(), { once: true });
  }

  /**
   * Lists the Services (as `service-controller`, whose RBAC allows it) and reconciles the
   * allocations with them (LocalLoadBalancer.reconcile): at start, before the service controller
   * runs, so that status addresses are claimed before a new Service could take one; then every
   * `reconcileIntervalMs`, so that an allocation whose Service went away while no manager ran (or
   * without the cleanup finalizer) is freed. Best effort: when the list fails it is logged, nothing
   * is released, and each Service still re-adopts its own address when it is ensured.
   */
  async #reconcile(ctx: ProviderInitContext, when: 'start' | 'resync'): Promise<void> {
    let listFailed = false;
    const list = async (): Promise<readonly Service[]> => {
      try {
        return (await ctx.clientBuilder.client('service-controller').services.list({ signal: ctx.signal })).items;
      } catch (err) {
        ctx.signal.throwIfAborted();
        listFailed = true;
        throw err;
      }
    };
    let result;
    try {
      result = await this.#lb.reconcile(async () => {
        const services = await list();
        // A replica that stopped leading while it listed changes nothing.
        ctx.signal.throwIfAborted();
        return services;
      });
    } catch (err) {
      if (!listFailed) throw err;
      this.#logger.error(err, 'Could not list Services to reconcile load-balancer addresses; each is re-adopted when it is ensured');
      return;
    }
    if (result.adopted.length > 0) this.#logger.info('Re-adopted load-balancer addresses from Service status', { services: result.adopted.length, when });
    if (result.released.length > 0) this.#logger.info('Released load-balancer addresses no Service holds any more', { services: result.released, when });
  }

  /** Runs {@link #reconcile} every `reconcileIntervalMs` on the provider's clock until stopped. */
  #scheduleReconcile(ctx: ProviderInitContext): { stop(): void } {
    let timer: Timer | undefined;
    let stopped = false;
    const arm = (): void => {
      timer = this.#clock.setTimer(this.#reconcileIntervalMs, () => {
        void this.#reconcile(ctx, 'resync')
          .catch((err: unknown) => {
            if (!ctx.signal.aborted) this.#logger.error(err, 'Failed to reconcile load-balancer addresses with the Services; retried at the next resync');
          })
          .finally(() => {
            // The next pass is timed from the end of this one: passes never overlap.
            if (!stopped) arm();
          });
      });
    };
    arm();
    return {
      stop: () => {
        stopped = true;
        timer?.cancel();
      },
    };
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
