/**
 * The route controller (upstream controllers/route/route_controller.go): makes every Node's pod
 * CIDRs reachable through cloud routes, deletes the routes of the cluster's pod network that no
 * Node needs any more, and reports the outcome per Node in its `NetworkUnavailable` condition.
 *
 * It reconciles the whole cluster at once under the single key {@link ROUTES_KEY}. Two modes:
 * - periodic (default, as upstream): a pass right after the Node cache syncs, then one every
 *   `--route-reconciliation-period` (10 s) measured start to start;
 * - watch-based (KEP-5237, upstream feature gate `CloudControllerManagerWatchBasedRoutesReconciliation`,
 *   off by default): Node adds, deletes, pod-CIDR or address changes and informer resyncs trigger a
 *   pass, at most one per 10 s.
 *
 * @module
 */
import { formatGoDuration } from '../../kube/go-duration.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Route, Routes } from '../../cloud/routes.js';
import { NODE_ROUTE_CONTROLLER, ROUTE_CONTROLLER_CLIENT_NAME } from '../../cloud/constants.js';
import { ConcurrencyLimit } from '../../kube/concurrency-limit.js';
import { parallelizeUntil } from '../../kube/parallelize.js';
import type { Informer } from '../../kube/informer.js';
import { retryOnConflict } from '../../kube/retry.js';
import { NODES } from '../../kube/resources.js';
import type { Logger } from '../../log/logger.js';
import type { ControllerContext, Controller } from '../context.js';
import { ControllerLoop, type ReconcileContext, type ReconcileResult } from '../controller-loop.js';
import { informerHandler, whileHandling } from '../informer-handlers.js';
import { formatCidr, parseClusterCidrs, type Cidr } from './cidr.js';
import type { RouteControllerMetrics } from './metrics.js';
import { UPDATE_NETWORK_CONDITION_BACKOFF, updateNetworkCondition } from './network-condition.js';
import { planRoutes, routeToCreate, type RouteCreation, type RoutePlan } from './route-plan.js';
import { watchRoutesRateLimiter } from './watch-rate-limiter.js';
import { errorMessage } from '../../log/error-message.js';

// The route controller's client name and event component, defined with every controller's in the contract.
export { ROUTE_CONTROLLER_CLIENT_NAME, ROUTE_CONTROLLER_EVENT_COMPONENT } from '../../cloud/constants.js';
/** `--route-reconciliation-period` default. */
export const DEFAULT_ROUTE_RECONCILIATION_PERIOD_MS = 10_000;
/** `--cluster-name` default. */
export const DEFAULT_CLUSTER_NAME = 'kubernetes';
/** Upstream `maxConcurrentRouteOperations`: cloud route calls in flight per pass. */
export const MAX_CONCURRENT_ROUTE_OPERATIONS = 200;
/** Upstream `minRouteResyncInterval` (watch-based mode): at most one pass per 10 s. */
export const MIN_ROUTE_RESYNC_INTERVAL_MS = 10_000;
/** The single work-queue key: every pass covers the whole cluster. */
export const ROUTES_KEY = 'routes';
/** Event reason when a route cannot be created. */
export const REASON_FAILED_TO_CREATE_ROUTE = 'FailedToCreateRoute';
/**
 * Condition patches in flight per pass. Upstream starts one goroutine per Node and relies on the
 * client's QPS limit; a bound keeps a 5,000-Node pass from opening 5,000 requests at once.
 */
const MAX_CONCURRENT_CONDITION_UPDATES = 200;

/** The upstream flags the route controller honours, with upstream defaults. */
export interface RouteControllerOptions {
  /** `--cluster-name` (default `kubernetes`): passed to every cloud route call. */
  readonly clusterName?: string;
  /** `--cluster-cidr` (default empty): one CIDR or an IPv4,IPv6 pair; required when routes are configured. */
  readonly clusterCIDR?: string;
  /** `--configure-cloud-routes` (default true); false skips the controller. */
  readonly configureCloudRoutes?: boolean;
  /** `--route-reconciliation-period` in ms (default 10 s); periodic mode only. */
  readonly routeReconciliationPeriodMs?: number;
  /**
   * Upstream feature gate `CloudControllerManagerWatchBasedRoutesReconciliation` (alpha, default
   * false): reconcile on Node changes instead of on a timer.
   */
  readonly watchBasedReconciliation?: boolean;
  readonly metrics?: RouteControllerMetrics;
}

/** A route-controller configuration error (bad or missing `--cluster-cidr`); the manager refuses to start. */
export class RouteControllerConfigError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  override readonly name = 'RouteControllerConfigError';
  /** Stable code. */
  readonly code = 'RouteControllerConfig' as const;
}

/** What one reconcile pass did (for tests, logs and the benchmark). */
export interface RoutePassResult {
  readonly routesListed: number;
  readonly nodes: number;
  readonly deleted: number;
  readonly deleteFailures: number;
  readonly created: number;
  readonly createFailures: number;
  readonly conditionUpdates: number;
  readonly conditionFailures: number;
}



/**
 * The route controller.
 *
 * @example
 * ```ts
 * const controller = new RouteController(ctx, { clusterCIDR: '10.244.0.0/16,fd00:10:244::/56' });
 * await controller.run(signal); // skipped with a log line when the provider has no routes
 * ```
 */
export class RouteController implements Controller {
  /** Canonical controller name. */
  readonly name = NODE_ROUTE_CONTROLLER;
  /** Why the controller will not run (logged by {@link run}), or undefined when it will. */
  readonly skipReason: string | undefined;
  /** The parsed `--cluster-cidr` (empty when skipped). */
  readonly clusterCidrs: readonly Cidr[];
  /** The reconcile loop (exposed so tests can step it). */
  readonly loop: ControllerLoop;
  readonly #ctx: ControllerContext;
  readonly #routes: Routes | undefined;
  readonly #clusterName: string;
  readonly #periodMs: number;
  readonly #watchBased: boolean;
  readonly #metrics: RouteControllerMetrics;
  readonly #log: Logger;
  readonly #nodes: Informer<Node>;

  /**
   * Validates the options. Throws {@link RouteControllerConfigError} when routes are to be
   * configured (`--configure-cloud-routes`, default true, and a provider with routes) but
   * `--cluster-cidr` is empty or invalid; upstream exits the whole process there instead.
   */
  constructor(ctx: ControllerContext, options: RouteControllerOptions = {}) {
    this.#ctx = ctx;
    this.#log = ctx.logger.withName(ROUTE_CONTROLLER_CLIENT_NAME);
    this.#clusterName = options.clusterName ?? DEFAULT_CLUSTER_NAME;
    this.#periodMs = options.routeReconciliationPeriodMs ?? DEFAULT_ROUTE_RECONCILIATION_PERIOD_MS;
    if (!Number.isFinite(this.#periodMs) || this.#periodMs <= 0) {
      throw new RouteControllerConfigError(`--route-reconciliation-period must be a positive duration, got ${this.#periodMs} ms`);
    }
    this.#watchBased = options.watchBasedReconciliation ?? false;
    this.#metrics = options.metrics ?? {};
    // Same order of checks as upstream's start function: the flag, then the capability, then CIDRs.
    const routes = (options.configureCloudRoutes ?? true) ? ctx.cloud.routes?.() : undefined;
    this.#routes = routes;
    if (options.configureCloudRoutes === false) {
      this.skipReason = 'Will not configure cloud provider routes, --configure-cloud-routes: false';
    } else if (routes === undefined) {
      this.skipReason = `--configure-cloud-routes is set, but cloud provider ${JSON.stringify(ctx.cloud.name)} does not support routes. Will not configure cloud provider routes.`;
    } else {
      this.skipReason = undefined;
    }
    if (this.skipReason === undefined) {
      try {
        this.clusterCidrs = parseClusterCidrs(options.clusterCIDR ?? '');
      } catch (err) {
        throw new RouteControllerConfigError(
          `route controller: ${errorMessage(err)}. --cluster-cidr is required because --configure-cloud-routes is true (the default) ` +
            `and cloud provider ${JSON.stringify(ctx.cloud.name)} supports routes: set --cluster-cidr to the pod network range(s), ` +
            `or pass --configure-cloud-routes=false`,
          { cause: err },
        );
      }
    } else {
      this.clusterCidrs = [];
    }
    // Asked for now (as upstream's New takes the informer) so a factory started later includes it.
    this.#nodes = ctx.informers.informerFor(NODES);
    this.loop = new ControllerLoop({
      name: 'Routes',
      clock: ctx.clock,
      logger: this.#log,
      reconcile: (key, rctx) => this.#reconcile(key, rctx),
      ...(ctx.workQueueMetrics === undefined ? {} : { queueMetrics: ctx.workQueueMetrics }),
      ...(this.#watchBased ? { rateLimiter: watchRoutesRateLimiter(ctx.clock, MIN_ROUTE_RESYNC_INTERVAL_MS) } : {}),
    });
  }

  /** Runs until `signal` aborts; returns at once (after a log line) when skipped. */
  async run(signal: AbortSignal): Promise<void> {
    if (this.skipReason !== undefined) {
      this.#log.info(this.skipReason);
      return;
    }
    this.#log.info('Starting route controller', {
      clusterCIDRs: this.clusterCidrs.map(formatCidr),
      mode: this.#watchBased ? 'watch-based' : 'periodic',
      ...(this.#watchBased ? {} : { periodMs: this.#periodMs }),
    });
    // Periodic mode listens to nothing: the loop requeues its one key every period.
    const handlers = this.#watchBased ? [informerHandler(this.#nodes, this.#watchHandlers())] : [];
    try {
      await whileHandling(handlers, async () => {
        if (!(await this.#nodes.waitForSync(signal))) return;
        // Periodic mode: the first pass right after sync, then each pass schedules the next.
        if (!this.#watchBased) this.loop.enqueue(ROUTES_KEY);
        // One worker: every pass covers the whole cluster, so parallel passes would only race.
        await this.loop.run(signal, 1);
      });
    } finally {
      this.#log.info('Shutting down route controller');
    }
  }

  /**
   * Node events that can change routes trigger a pass: adds, deletes, and updates that change
   * `spec.podCIDRs` or `status.addresses`, or that are resyncs (same resourceVersion), which serve
   * as the periodic clean-up pass (upstream `handleNodeUpdate`).
   */
  #watchHandlers(): { onAdd: () => void; onUpdate: (oldNode: Node, newNode: Node) => void; onDelete: () => void } {
    const enqueue = (): void => this.loop.queue.addRateLimited(ROUTES_KEY);
    return {
      onAdd: enqueue,
      onDelete: enqueue,
      onUpdate: (oldNode, newNode) => {
        if (nodeUpdateAffectsRoutes(oldNode, newNode)) enqueue();
      },
    };
  }

  async #reconcile(_key: string, { signal, log }: ReconcileContext): Promise<ReconcileResult | undefined> {
    if (this.#watchBased) {
      // A failure throws: the loop re-adds the key through the 10 s bucket, as upstream.
      await this.reconcileOnce(signal, log);
      return undefined;
    }
    const started = this.#ctx.clock.now();
    try {
      await this.reconcileOnce(signal, log);
    } catch (err) {
      if (signal.aborted) throw err;
      // Periodic mode only logs; the next tick is the retry (upstream `wait.NonSlidingUntil`).
      log.error(err, "Couldn't reconcile node routes");
    }
    // Start to start, so a slow pass does not stretch the period (non-sliding).
    return { requeueAfterMs: Math.max(0, this.#periodMs - (this.#ctx.clock.now() - started)) };
  }

  /**
   * One reconcile pass over every cached Node and every listed route. Rejects only when listing
   * fails (or on abort); failed creates, deletes and condition writes are logged and evented.
   */
  async reconcileOnce(signal: AbortSignal, log: Logger = this.#log): Promise<RoutePassResult> {
    const routes = this.#routes;
    if (routes === undefined) throw new Error(`route controller is skipped: ${this.skipReason ?? ''}`);
    this.#metrics.routeSyncTotal?.inc();
    let listed: Route[];
    try {
      listed = await routes.listRoutes(this.#clusterName, { signal });
    } catch (err) {
      throw new Error(`error listing routes: ${errorMessage(err)}`, { cause: err });
    }
    const nodes = this.#nodes.list();
    const plan = planRoutes(nodes, listed, this.clusterCidrs);
    if (log.v(4).enabled()) {
      for (const [node, actions] of plan.actions) {
        for (const [cidr, action] of actions) log.v(4).info('Route action', { node, cidr, action });
      }
    }

    const limit = new ConcurrencyLimit(MAX_CONCURRENT_ROUTE_OPERATIONS);
    let deleted = 0;
    let deleteFailures = 0;
    // Pools rather than one promise per route: at 10,000 routes, 10,000 waiting closures (each
    // with its retry state) outlive many young-generation collections and are promoted, which
    // is most of a large pass's garbage. At most the limit's worth is started at a time.
    const deletions = parallelizeUntil(signal, MAX_CONCURRENT_ROUTE_OPERATIONS, plan.deletes.length, async (i) => {
      await limit.run(async () => {
        if (await this.#deleteRoute(routes, plan.deletes[i] as Route, signal, log)) deleted++;
        else deleteFailures++;
      });
    });
    // With node addresses on routes, an update deletes and recreates one destination: creates
    // must not overlap the deletes (kubernetes/kubernetes#98359). Otherwise they may.
    if (plan.deletesBeforeCreates) await deletions;

    let created = 0;
    let createFailures = 0;
    const creations = parallelizeUntil(signal, MAX_CONCURRENT_ROUTE_OPERATIONS, plan.creations.length, async (i) => {
      if (await this.#createRoute(routes, plan.creations[i] as RouteCreation, plan, limit, signal, log)) created++;
      else createFailures++;
    });
    await Promise.all([deletions, creations]);
    signal.throwIfAborted();

    const conditions = await this.#updateConditions(nodes, plan, signal, log);
    const result: RoutePassResult = {
      routesListed: listed.length,
      nodes: nodes.length,
      deleted,
      deleteFailures,
      created,
      createFailures,
      ...conditions,
    };
    log.v(2).info('Reconciled node routes', { ...result });
    return result;
  }

  async #deleteRoute(routes: Routes, route: Route, signal: AbortSignal, log: Logger): Promise<boolean> {
    const started = this.#ctx.clock.now();
    log.info('Deleting route', { route: route.name, destinationCIDR: route.destinationCIDR, targetNode: route.targetNode });
    try {
      await routes.deleteRoute(this.#clusterName, route, { signal });
    } catch (err) {
      log.error(err, 'Could not delete route', { route: route.name, destinationCIDR: route.destinationCIDR, after: formatGoDuration(this.#ctx.clock.now() - started) });
      return false;
    }
    log.info('Deleted route', { route: route.name, destinationCIDR: route.destinationCIDR, after: formatGoDuration(this.#ctx.clock.now() - started) });
    return true;
  }

  /** Creates one route; on success its action becomes `keep`, on failure the Node gets a Warning event. */
  async #createRoute(routes: Routes, creation: RouteCreation, plan: RoutePlan, limit: ConcurrencyLimit, signal: AbortSignal, log: Logger): Promise<boolean> {
    const { nodeName, nameHint } = creation;
    const route = routeToCreate(creation);
    const { clock, random, recorder } = this.#ctx;
    try {
      // Inside a retry-on-conflict loop as upstream (in practice one attempt for cloud errors).
      await retryOnConflict(
        UPDATE_NETWORK_CONDITION_BACKOFF,
        async () => {
          const started = clock.now();
          await limit.run(async () => {
            log.info('Creating route', { node: nodeName, destinationCIDR: route.destinationCIDR, nameHint, throttled: formatGoDuration(clock.now() - started) });
            try {
              await routes.createRoute(this.#clusterName, nameHint, route, { signal });
            } catch (err) {
              const message = `Could not create route ${nameHint} ${route.destinationCIDR} for node ${nodeName} after ${formatGoDuration(clock.now() - started)}: ${errorMessage(err)}`;
              recorder.event(
                { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName, ...(nameHint === '' ? {} : { uid: nameHint }) } },
                'Warning',
                REASON_FAILED_TO_CREATE_ROUTE,
                message,
              );
              throw err;
            }
          });
          plan.actions.get(nodeName)?.set(route.destinationCIDR, 'keep');
          log.info('Created route', { node: nodeName, destinationCIDR: route.destinationCIDR, nameHint, after: formatGoDuration(clock.now() - started) });
        },
        { clock, random, signal },
      );
      return true;
    } catch (err) {
      log.error(err, 'Could not create route', { nameHint, destinationCIDR: route.destinationCIDR, node: nodeName });
      return false;
    }
  }

  /**
   * Sets `NetworkUnavailable` on every Node the pass has an opinion on: False when all its pod
   * CIDRs have routes; True when one is missing or when it has routes but no pod CIDRs.
   */
  async #updateConditions(nodes: readonly Node[], plan: RoutePlan, signal: AbortSignal, log: Logger): Promise<{ conditionUpdates: number; conditionFailures: number }> {
    let conditionUpdates = 0;
    let conditionFailures = 0;
    // A pool, not a promise per Node (see reconcileOnce).
    await parallelizeUntil(signal, MAX_CONCURRENT_CONDITION_UPDATES, nodes.length, async (i) => {
      const node = nodes[i] as Node;
      const name = node.metadata?.name ?? '';
      const actions = plan.actions.get(name);
      if (actions === undefined) return;
      if (actions.size === 0) log.info('Node has no routes assigned to it; NetworkUnavailable will be set to true', { node: name });
      const routesCreated = actions.size > 0 && [...actions.values()].every((a) => a === 'keep');
      try {
        const patched = await updateNetworkCondition(node, routesCreated, { kube: this.#ctx.kube, clock: this.#ctx.clock, random: this.#ctx.random, signal });
        if (patched) {
          conditionUpdates++;
          log.info('Patched node NetworkUnavailable condition', { node: name, routesCreated });
        } else {
          log.v(2).info('NetworkUnavailable already set; not patching', { node: name, routesCreated });
        }
      } catch (err) {
        conditionFailures++;
        log.error(err, 'Error updating node NetworkUnavailable condition', { node: name });
      }
    });
    return { conditionUpdates, conditionFailures };
  }
}

function sameAddresses(a: Node, b: Node): boolean {
  return JSON.stringify(a.status?.addresses ?? null) === JSON.stringify(b.status?.addresses ?? null);
}

/**
 * Whether a Node update should trigger a watch-based pass: pod CIDRs or addresses changed
 * (compared in order, as upstream's `reflect.DeepEqual`), or it is an informer resync (same
 * resourceVersion).
 */
export function nodeUpdateAffectsRoutes(oldNode: Readonly<Node>, newNode: Readonly<Node>): boolean {
  const resync = oldNode.metadata?.resourceVersion === newNode.metadata?.resourceVersion;
  const cidrsChanged = JSON.stringify(oldNode.spec?.podCIDRs ?? null) !== JSON.stringify(newNode.spec?.podCIDRs ?? null);
  return resync || cidrsChanged || !sameAddresses(oldNode, newNode);
}
