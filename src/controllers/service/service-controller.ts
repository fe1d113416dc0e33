/**
 * The service (load balancer) controller: gives every Service of `type: LoadBalancer` a cloud
 * load balancer, keeps its backends on the stable node set, and tears it down when the Service
 * goes away — upstream `controllers/service/controller.go`, built on the shared reconcile idiom
 * (research/upstream-framework.md §2.3 is the spec; docs/deviations/service.md lists where and
 * why we differ).
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { SERVICE_CONTROLLER_EVENT_COMPONENT, SERVICE_LB_CONTROLLER } from '../../cloud/constants.js';
import { isImplementedElsewhere, ProviderContractError } from '../../cloud/errors.js';
import type { LoadBalancer, LoadBalancerStatus } from '../../cloud/load-balancer.js';
import type { EventType } from '../../kube/events.js';
import { parallelizeUntil } from '../../kube/parallelize.js';
import { isNotFound } from '../../kube/errors.js';
import { BoundedFrequencyRunner } from '../../kube/bounded-frequency-runner.js';
import type { Informer } from '../../kube/informer.js';
import { objectFromTombstone } from '../../kube/informer.js';
import { KeyedMutex } from '../../kube/keyed-mutex.js';
import { ItemExponentialFailureRateLimiter } from '../../kube/rate-limiter.js';
import { NODES, SERVICES, keyOf, parseObjectKey } from '../../kube/resources.js';
import type { Logger } from '../../log/logger.js';
import type { Controller, ControllerContext } from '../context.js';
import { ControllerLoop } from '../controller-loop.js';
import type { ReconcileContext } from '../controller-loop.js';
import { informerHandler, whileHandling } from '../informer-handlers.js';
import type { HandlerBinding } from '../informer-handlers.js';
import { copyIngress } from './load-balancer-status.js';
import type { ServiceControllerMetrics } from './metrics.js';
import { shouldSyncUpdatedNode } from './node-predicates.js';
import { NodeSetTracker } from './node-set.js';
import type { Backends, NodeSet, NodeSetComparer, SentNodeSet } from './node-set.js';
import { servicePatch } from './service-patch.js';
import type { ServicePatchIntent } from './service-patch.js';
import { needsCleanup, needsUpdate, wantsLoadBalancer } from './service-predicates.js';
import { errorMessage } from '../../log/error-message.js';

/** Upstream `serviceSyncPeriod`: the Service handler's resync period. */
export const SERVICE_SYNC_PERIOD_MS = 30_000;
/** Upstream `nodeSyncPeriod`: the Node handler's resync period. */
export const NODE_SYNC_PERIOD_MS = 100_000;
/** Upstream `minRetryDelay` / `maxRetryDelay`: per-Service backoff 5 s → 300 s. */
export const MIN_RETRY_DELAY_MS = 5_000;
/** See {@link MIN_RETRY_DELAY_MS}. */
export const MAX_RETRY_DELAY_MS = 300_000;
/** Upstream `maxNodeNamesToLog`: node names listed in an UpdateLoadBalancerFailed event. */
export const MAX_NODE_NAMES_TO_LOG = 20;
/** The event source component of this controller's events (and its field manager), as upstream. */
export const SERVICE_CONTROLLER_EVENT_SOURCE = SERVICE_CONTROLLER_EVENT_COMPONENT;

/**
 * Least time between the starts of two host-update passes: a burst of Node changes within it folds
 * into one pass at its end (upstream runs a pass per Node key; see docs/deviations/service.md).
 * One second, as kube-proxy's default minSyncPeriod: upstream's passes are paced by their own
 * cost (every Service lists every Node), which at 1,000 Nodes and 200 Services came to about one
 * pass a second against the real apiserver (`npm run bench -- upstream`); at 100 ms Outrigger sent
 * 3–10× upstream's UpdateLoadBalancer calls while Nodes joined, and clouds throttle those calls.
 */
export const NODE_SYNC_MIN_INTERVAL_MS = 1000;

/** Options of a {@link ServiceController}: the upstream flags it honours, with upstream defaults. */
export interface ServiceControllerOptions {
  /** `--cluster-name`, passed to every provider call (default `kubernetes`). */
  readonly clusterName?: string;
  /** `--concurrent-service-syncs`: Service workers and host-update parallelism (default 1). */
  readonly concurrentServiceSyncs?: number;
  /** Metric hooks (upstream `service_controller_*`). */
  readonly metrics?: ServiceControllerMetrics;
  /** Least time between two host-update passes (default {@link NODE_SYNC_MIN_INTERVAL_MS}). */
  readonly nodeSyncMinIntervalMs?: number;
}

type Operation = 'ensure' | 'delete';


/** Go's `%v` of a sorted name list, the first 20 names then `<N more>` (upstream `loggableNodeNames`). */
function loggableNodeNames(nodes: readonly Readonly<Node>[]): string {
  const names = nodes.slice(0, MAX_NODE_NAMES_TO_LOG).map((n) => n.metadata?.name ?? '');
  names.sort();
  if (nodes.length > MAX_NODE_NAMES_TO_LOG) names.push(`<${nodes.length - MAX_NODE_NAMES_TO_LOG} more>`);
  return `[${names.join(' ')}]`;
}

function isLoadBalancerStatus(value: unknown): value is LoadBalancerStatus {
  return typeof value === 'object' && value !== null && Array.isArray((value as { ingress?: unknown }).ingress);
}

/**
 * The service (load balancer) controller, canonical name `service-lb-controller`.
 *
 * @example
 * ```ts
 * if (ServiceController.supported(ctx.cloud)) {
 *   const controller = new ServiceController(ctx, { clusterName: 'prod', concurrentServiceSyncs: 4 });
 *   await controller.run(signal);
 * }
 * ```
 */
export class ServiceController implements Controller {
  /** Canonical controller name. */
  readonly name = SERVICE_LB_CONTROLLER;

  readonly #ctx: ControllerContext;
  readonly #balancer: LoadBalancer;
  readonly #clusterName: string;
  readonly #workers: number;
  readonly #metrics: ServiceControllerMetrics;
  readonly #log: Logger;
  readonly #services: Informer<Service>;
  readonly #nodes: Informer<Node>;
  readonly #serviceLoop: ControllerLoop;
  /** Host-update passes (upstream's `node` queue), at most one per minimum interval. */
  readonly #nodeSync: BoundedFrequencyRunner;
  /**
   * Last state of every Service processed, by key (upstream `cache`): the host-update pass walks
   * it, and a Service that vanished without our finalizer can still be torn down from it.
   */
  readonly #cache = new Map<string, Readonly<Service>>();
  /** The node set last sent to the provider per Service key (upstream `lastSyncedNodes`). */
  readonly #lastSynced = new Map<string, SentNodeSet>();
  /**
   * The keys of {@link #lastSynced} grouped by the mapping they were sent, so that a pass visits
   * only the Services whose set differs from the current one.
   */
  readonly #sentGroups = new Map<Backends, Set<string>>();
  /** The stable node set, kept from the Node handler's events. */
  readonly #nodeSet = new NodeSetTracker();
  /** Serialises the node-set-carrying cloud calls (Ensure, Update) per Service. */
  readonly #cloudLocks = new KeyedMutex();

  /** Whether the provider offers the load-balancer capability this controller needs. */
  static supported(cloud: ControllerContext['cloud']): boolean {
    return cloud.loadBalancer?.() !== undefined;
  }

  /**
   * Builds the Service and node-sync loops; {@link run} registers the handlers that feed them.
   *
   * @throws Error when the provider has no load-balancer capability (upstream `New` fails and the
   *   manager skips the controller) or `concurrentServiceSyncs` is not a positive integer.
   */
  constructor(ctx: ControllerContext, options: ServiceControllerOptions = {}) {
    const balancer = ctx.cloud.loadBalancer?.();
    if (balancer === undefined) {
      throw new Error(`the cloud provider ${JSON.stringify(ctx.cloud.name)} does not support external load balancers`);
    }
    const workers = options.concurrentServiceSyncs ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`--concurrent-service-syncs must be a positive integer, got ${workers}`);
    }
    this.#ctx = ctx;
    this.#balancer = balancer;
    this.#clusterName = options.clusterName ?? 'kubernetes';
    this.#workers = workers;
    this.#metrics = options.metrics ?? {};
    this.#log = ctx.logger.withName(SERVICE_LB_CONTROLLER);
    this.#services = ctx.informers.informerFor(SERVICES);
    this.#nodes = ctx.informers.informerFor(NODES);
    this.#serviceLoop = new ControllerLoop({
      name: 'service',
      clock: ctx.clock,
      logger: this.#log,
      reconcile: (key, rc) => this.#syncService(key, rc),
      ...(ctx.workQueueMetrics === undefined ? {} : { queueMetrics: ctx.workQueueMetrics }),
      rateLimiter: new ItemExponentialFailureRateLimiter(MIN_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS),
    });
    const nodeLog = this.#log.withName('node');
    this.#nodeSync = new BoundedFrequencyRunner({
      name: 'node',
      clock: ctx.clock,
      minIntervalMs: options.nodeSyncMinIntervalMs ?? NODE_SYNC_MIN_INTERVAL_MS,
      fn: (signal) => this.#syncNodes({ signal, log: nodeLog }),
      onError: (err) => nodeLog.error(err, 'Host-update pass failed'),
      ...(ctx.workQueueMetrics === undefined ? {} : { metrics: ctx.workQueueMetrics }),
    });
  }

  /** Registers the handlers, waits for the Service and Node caches, then runs the workers until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.#log.info('Starting service controller', { workers: this.#workers, clusterName: this.#clusterName });
    try {
      await whileHandling(this.#handlers(), async () => {
        const synced = await Promise.all([this.#services.waitForSync(signal), this.#nodes.waitForSync(signal)]);
        if (!synced.every(Boolean)) return;
        // As upstream: `--concurrent-service-syncs` Service workers and exactly one node worker.
        await Promise.all([this.#serviceLoop.run(signal, this.#workers), this.#nodeSync.run(signal)]);
      });
    } finally {
      this.#log.info('Shutting down service controller');
    }
  }

  /** The Service and Node handlers (30 s and 100 s resync, as upstream), registered while {@link run} runs. */
  #handlers(): HandlerBinding[] {
    // The finalizer turns a delete into an update that sets deletionTimestamp. Upstream has no
    // delete handler, so a Service that vanished without our finalizer (stripped by someone) is
    // only torn down if its key happens to be synced again; here its disappearance enqueues it
    // when we hold its last state, so the not-found path deletes the load balancer at once.
    const services = informerHandler(
      this.#services,
      {
        onAdd: (svc) => {
          if (wantsLoadBalancer(svc) || needsCleanup(svc)) this.#serviceLoop.enqueue(keyOf(svc));
        },
        onUpdate: (oldSvc, newSvc) => {
          if (needsUpdate(oldSvc, newSvc) || needsCleanup(newSvc)) this.#serviceLoop.enqueue(keyOf(newSvc));
        },
        onDelete: (svc) => {
          const key = keyOf(objectFromTombstone(svc));
          if (this.#cache.has(key)) this.#serviceLoop.enqueue(key);
        },
      },
      { resyncPeriodMs: SERVICE_SYNC_PERIOD_MS },
    );
    const nodes = informerHandler(
      this.#nodes,
      {
        onAdd: (node) => {
          this.#nodeSet.upsert(node);
          this.#nodeSync.request();
        },
        onUpdate: (oldNode, newNode) => {
          // Every real change may alter the set an Ensure sends (e.g. the autoscaler's taint), but
          // only inclusion flips and providerID changes warrant a pass over all Services (KEP-3458).
          this.#nodeSet.upsert(newNode);
          if (shouldSyncUpdatedNode(oldNode, newNode)) this.#nodeSync.request();
        },
        onDelete: (node) => {
          this.#nodeSet.remove(objectFromTombstone(node));
          this.#nodeSync.request();
        },
      },
      { resyncPeriodMs: NODE_SYNC_PERIOD_MS },
    );
    // Registration replays the cache as adds: the set is rebuilt from them.
    const resetNodeSet: HandlerBinding = () => {
      this.#nodeSet.clear();
      return () => undefined;
    };
    return [services, resetNodeSet, nodes];
  }

  /** True when no Service or host-update work is queued or running (for tests and the simulator). */
  isIdle(): boolean {
    const q = this.#serviceLoop.queue;
    return q.len === 0 && q.inFlight === 0 && this.#nodeSync.idle;
  }

  /** How many snapshots of the stable node set were taken (for tests and benchmarks). */
  get nodeSetComputations(): number {
    return this.#nodeSet.computations;
  }

  /**
   * How many Node mapping changes the controller still remembers to compare sent sets exactly
   * (for tests and benchmarks): after a pass, only those since the oldest set a Service holds.
   */
  get nodeSetChangesRetained(): number {
    return this.#nodeSet.retainedChanges;
  }

  /** How many host-update passes started (for tests and benchmarks). */
  get nodeSyncPasses(): number {
    return this.#nodeSync.runs;
  }

  // -------------------------------------------------------------------------------------------
  // Service sync

  async #syncService(key: string, { signal, log }: ReconcileContext): Promise<void> {
    const { namespace, name } = parseObjectKey(key);
    if (namespace === undefined || namespace === '' || name === '' || name.includes('/')) {
      throw new Error(`unexpected key format: ${JSON.stringify(key)}`);
    }
    const service = this.#services.get(key);
    if (service === undefined) {
      await this.#processServiceDeletion(key, signal, log);
      return;
    }
    await this.#processServiceCreateOrUpdate(service, key, signal, log);
  }

  /** The Service vanished from the cache: tear down from the last state we saw, if any. */
  async #processServiceDeletion(key: string, signal: AbortSignal, log: Logger): Promise<void> {
    const cached = this.#cache.get(key);
    if (cached === undefined) return;
    log.v(2).info('Service has been deleted. Attempting to cleanup load balancer resources');
    await this.#processLoadBalancerDelete(cached, signal);
    this.#forget(key);
  }

  async #processServiceCreateOrUpdate(service: Readonly<Service>, key: string, signal: AbortSignal, log: Logger): Promise<void> {
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.metadata?.uid !== service.metadata?.uid) {
      // Deleted and recreated between two syncs without our finalizer: the old load balancer
      // must go before the new Service gets one (as upstream).
      await this.#processLoadBalancerDelete(cached, signal);
    }
    this.#cache.set(key, service);
    let op: Operation;
    try {
      op = await this.#syncLoadBalancerIfNeeded(service, key, signal, log);
    } catch (err) {
      this.#event(service, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: ${errorMessage(err)}`);
      throw err;
    }
    if (op === 'delete') this.#forget(key);
  }

  /** The legacy, cache-based teardown (upstream `processLoadBalancerDelete`). */
  async #processLoadBalancerDelete(service: Readonly<Service>, signal: AbortSignal): Promise<void> {
    if (!wantsLoadBalancer(service)) return;
    this.#event(service, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
    try {
      await this.#balancer.ensureLoadBalancerDeleted(this.#clusterName, service, { signal });
    } catch (err) {
      // Upstream treats every error here as an ordinary failure, ImplementedElsewhere included.
      this.#event(service, 'Warning', 'DeleteLoadBalancerFailed', `Error deleting load balancer: ${errorMessage(err)}`);
      throw err;
    }
    this.#event(service, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
  }

  #forget(key: string): void {
    this.#cache.delete(key);
    this.#recordSent(key, undefined);
  }

  /** Sets (or, with `undefined`, drops) the set last sent to a Service, keeping {@link #sentGroups} in step. */
  #recordSent(key: string, sent: SentNodeSet | undefined): void {
    const previous = this.#lastSynced.get(key);
    if (previous !== undefined && previous.backends !== sent?.backends) {
      const group = this.#sentGroups.get(previous.backends);
      group?.delete(key);
      if (group?.size === 0) this.#sentGroups.delete(previous.backends);
    }
    if (sent === undefined) {
      this.#lastSynced.delete(key);
      return;
    }
    this.#lastSynced.set(key, sent);
    if (previous?.backends !== sent.backends) {
      let group = this.#sentGroups.get(sent.backends);
      if (group === undefined) {
        group = new Set();
        this.#sentGroups.set(sent.backends, group);
      }
      group.add(key);
    }
  }

  async #syncLoadBalancerIfNeeded(service: Readonly<Service>, key: string, signal: AbortSignal, log: Logger): Promise<Operation> {
    if (!wantsLoadBalancer(service) || needsCleanup(service)) {
      await this.#deleteBranch(service, signal, log);
      return 'delete';
    }
    log.v(2).info('Ensuring load balancer for service');
    this.#event(service, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    // The finalizer goes on before the cloud is called, so no load balancer can exist that a
    // deletion would not wait for.
    // The finalizer patch answers the Service as stored: the status patch below is conditional on
    // that version (its resourceVersion), not on the cache's older one.
    const current = await this.#patch(service, { finalizer: true }, 'failed to add load balancer cleanup finalizer', log);
    let status: unknown;
    try {
      status = await this.#ensureLoadBalancer(service, key, signal);
    } catch (err) {
      if (isImplementedElsewhere(err)) {
        // Another controller of the provider owns this load balancer: no status write (upstream).
        log.v(4).info('LoadBalancer implemented by a different controller; ignoring', { provider: this.#ctx.cloud.name });
        return 'ensure';
      }
      // `cause` keeps a RetryError visible to the loop: fixed delay instead of backoff.
      throw new Error(`failed to ensure load balancer: ${errorMessage(err)}`, { cause: err });
    }
    if (!isLoadBalancerStatus(status)) {
      throw new ProviderContractError(
        this.#ctx.cloud.name,
        `ensureLoadBalancer returned ${status === undefined || status === null ? 'no load balancer status' : 'a status without an ingress list'} and no error`,
      );
    }
    this.#event(service, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    await this.#patch(current, { ingress: copyIngress(status.ingress) }, 'failed to update load balancer status', log);
    return 'ensure';
  }

  async #deleteBranch(service: Readonly<Service>, signal: AbortSignal, log: Logger): Promise<void> {
    let exists: boolean;
    try {
      ({ exists } = await this.#balancer.getLoadBalancer(this.#clusterName, service, { signal }));
    } catch (err) {
      throw new Error(`failed to check if load balancer exists before cleanup: ${errorMessage(err)}`, { cause: err });
    }
    if (exists) {
      log.v(2).info('Deleting existing load balancer for service');
      this.#event(service, 'Normal', 'DeletingLoadBalancer', 'Deleting load balancer');
      try {
        await this.#balancer.ensureLoadBalancerDeleted(this.#clusterName, service, { signal });
      } catch (err) {
        if (!isImplementedElsewhere(err)) throw new Error(`failed to delete load balancer: ${errorMessage(err)}`, { cause: err });
        log.v(4).info('LoadBalancer implemented by a different controller; ignoring error on deletion', { provider: this.#ctx.cloud.name });
      }
    }
    // Only now, with the cloud load balancer gone, may the finalizer go. One patch removes it and
    // clears the status (upstream sends two; the second then often meets a deleted Service).
    await this.#patch(service, { finalizer: false, ingress: [] }, 'failed to remove load balancer cleanup finalizer', log);
    this.#event(service, 'Normal', 'DeletedLoadBalancer', 'Deleted load balancer');
  }

  /** Picks the node set, records it and calls Ensure, serialised with host updates of this Service. */
  async #ensureLoadBalancer(service: Readonly<Service>, key: string, signal: AbortSignal): Promise<unknown> {
    return this.#cloudLocks.run(key, async () => {
      const set = this.#nodeSet.current();
      if (set.nodes.length === 0) {
        this.#event(service, 'Warning', 'UnAvailableLoadBalancer', 'There are no available nodes for LoadBalancer');
      }
      this.#recordSent(key, set.sent);
      return this.#balancer.ensureLoadBalancer(this.#clusterName, service, set.nodes, { signal });
    });
  }

  /**
   * Sends the patch for `intent` to `services/status`, or nothing when nothing would change;
   * resolves with the Service as it now is (the server's answer, else `service`).
   */
  async #patch(service: Readonly<Service>, intent: ServicePatchIntent, failure: string, log: Logger): Promise<Readonly<Service>> {
    const patch = servicePatch(service, intent);
    if (patch === undefined) return service;
    const namespace = service.metadata?.namespace ?? '';
    const name = service.metadata?.name ?? '';
    log.v(2).info('Patching service', { finalizer: intent.finalizer, status: intent.ingress !== undefined });
    try {
      return await this.#ctx.kube.services.patchStatus({ namespace, name }, patch, { fieldManager: SERVICE_CONTROLLER_EVENT_SOURCE });
    } catch (err) {
      // A Service gone after its last finalizer was removed has nothing left to patch (upstream).
      if (isNotFound(err)) return service;
      throw new Error(`${failure}: ${errorMessage(err)}`, { cause: err });
    }
  }

  #event(service: Readonly<Service>, type: EventType, reason: string, message: string): void {
    this.#ctx.recorder.event({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata ?? {} }, type, reason, message);
  }

  // -------------------------------------------------------------------------------------------
  // Host updates

  /**
   * One host-update pass (upstream `syncNodes`): the stable node set is taken once for the pass,
   * and only the Services last sent a different set are visited (upstream visits every cached
   * Service); Services whose hosts failed to update go to the Service queue. Never throws.
   */
  async #syncNodes({ signal, log }: ReconcileContext): Promise<void> {
    const started = this.#ctx.clock.now();
    const set = this.#nodeSet.current();
    const comparer = this.#nodeSet.comparer();
    const keys: string[] = [];
    for (const [backends, group] of this.#sentGroups) if (!comparer.equalBackends(backends, set.backends)) keys.push(...group);
    const retry: string[] = [];
    log.v(2).info('Syncing backends for all LB services', { services: this.#cache.size, changed: keys.length, nodes: set.nodes.length });
    await parallelizeUntil(signal, this.#workers, keys.length, async (i) => {
      const key = keys[i] as string;
      if (await this.#nodeSyncService(key, set, comparer, signal, log)) retry.push(key);
    });
    for (const key of retry) this.#serviceLoop.enqueue(key);
    this.#releaseNodeSetChanges();
    log.v(2).info('Updated load balancers to direct traffic to the updated set of nodes', {
      succeeded: this.#cache.size - retry.length,
      total: this.#cache.size,
    });
    this.#metrics.nodeSyncLatencySeconds?.((this.#ctx.clock.now() - started) / 1000);
  }

  /** Lets the node set forget the changes no remembered set can be compared across any more. */
  #releaseNodeSetChanges(): void {
    let oldest = Number.POSITIVE_INFINITY;
    for (const backends of this.#sentGroups.keys()) oldest = Math.min(oldest, backends.version);
    this.#nodeSet.releaseChangesBefore(oldest);
  }

  /** Brings one Service's backends to `set`; returns true when it must be retried. */
  async #nodeSyncService(key: string, set: NodeSet, comparer: NodeSetComparer, signal: AbortSignal, log: Logger): Promise<boolean> {
    return this.#cloudLocks.run(key, async () => {
      // The Service may have been deleted or re-read while we waited for the lock.
      const current = this.#cache.get(key);
      if (current === undefined || !wantsLoadBalancer(current)) return false;
      // Never ensured yet (its first sync is still adding the finalizer, or failed and will be
      // retried): that Ensure reads the current set itself. Upstream compares with an empty list
      // here and sends an Update to a load balancer that may not exist yet.
      const last = this.#lastSynced.get(key);
      if (last === undefined) return false;
      // A fresher set already went out (an Ensure after this pass began): never push an older
      // one over it. A later pass, queued by the node change, handles anything newer still.
      if (last.generation > set.generation) return false;
      // Recorded before the call, as upstream: a failure is retried through the Service queue
      // (a full Ensure), so the next pass need not repeat it.
      this.#recordSent(key, set.sent);
      if (comparer.equal(last, set)) return false;
      return !(await this.#updateLoadBalancerHosts(current, set.nodes, signal, log));
    });
  }

  /** Upstream `lockedUpdateLoadBalancerHosts`; returns true on success. */
  async #updateLoadBalancerHosts(service: Readonly<Service>, hosts: readonly Readonly<Node>[], signal: AbortSignal, log: Logger): Promise<boolean> {
    const started = this.#ctx.clock.now();
    this.#metrics.loadBalancerSyncTotal?.();
    const svcLog = log.withValues({ service: keyOf(service) });
    const v2 = svcLog.v(2);
    // The names are only worth building for a line that is written.
    if (v2.enabled()) v2.info('Updating backends for load balancer', { nodes: hosts.length, names: loggableNodeNames(hosts) });
    try {
      await this.#balancer.updateLoadBalancer(this.#clusterName, service, hosts, { signal });
      if (hosts.length === 0) {
        this.#event(service, 'Warning', 'UnAvailableLoadBalancer', 'There are no available nodes for LoadBalancer');
      } else {
        this.#event(service, 'Normal', 'UpdatedLoadBalancer', 'Updated load balancer with new hosts');
      }
      return true;
    } catch (err) {
      if (isImplementedElsewhere(err)) return true;
      try {
        const { exists } = await this.#balancer.getLoadBalancer(this.#clusterName, service, { signal });
        // Nothing to update: the Service sync will create it when it wants one.
        if (!exists) return true;
      } catch (lookupErr) {
        svcLog.error(lookupErr, 'Failed to check if load balancer exists for service');
      }
      this.#event(
        service,
        'Warning',
        'UpdateLoadBalancerFailed',
        `Error updating load balancer with new hosts ${loggableNodeNames(hosts)} [node names limited, total number of nodes: ${hosts.length}], error: ${errorMessage(err)}`,
      );
      svcLog.error(err, 'Failed to update load balancer hosts for service');
      this.#metrics.nodeSyncErrorTotal?.();
      return false;
    } finally {
      this.#metrics.updateLoadBalancerHostLatencySeconds?.((this.#ctx.clock.now() - started) / 1000);
    }
  }
}
