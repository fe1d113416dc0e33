/**
 * The controllers `outrigger run` manages, as upstream's `DefaultInitFuncConstructors`: canonical
 * name, aliases, client identity (user agent `cloud-controller-manager/<client>`), event source
 * component, and a start function that builds the controller or says why it is skipped.
 *
 * @module
 */
import {
  CLOUD_CONTROLLER_MANAGER,
  CLOUD_NODE_CONTROLLER,
  CLOUD_NODE_LIFECYCLE_CONTROLLER,
  CONTROLLER_IDENTITIES,
  NODE_ROUTE_CONTROLLER,
  SERVICE_LB_CONTROLLER,
} from '../cloud/constants.js';
import type { Controller, ControllerContext } from '../controllers/context.js';
import { CloudNodeLifecycleController } from '../controllers/node-lifecycle/index.js';
import { CloudNodeController } from '../controllers/node/index.js';
import { RouteController } from '../controllers/route/index.js';
import { ServiceController } from '../controllers/service/index.js';
import type { ManagerMetrics } from './metrics/index.js';
import type { ControllerCatalog } from './options/controller-selection.js';
import type { ManagerOptions } from './options/manager-options.js';

/** The user agent and event component prefix of the manager (upstream's binary name). */
export const CCM_USER_AGENT = CLOUD_CONTROLLER_MANAGER;

/** A controller built, or the reason it was skipped (logged as upstream's "Skipping"). */
export type ControllerStart = { readonly controller: Controller } | { readonly skipped: string };

/** What a start function receives besides its context. */
export interface ControllerStartOptions {
  readonly options: ManagerOptions;
  readonly metrics?: ManagerMetrics;
}

/** One managed controller. */
export interface ManagedController {
  /** Canonical name (`--controllers`, healthz check, `running_managed_controllers{name}`). */
  readonly name: string;
  /** Short names accepted by `--controllers` (upstream `CCMControllerAliases`). */
  readonly aliases: readonly string[];
  /** Client name: the user agent becomes `cloud-controller-manager/<clientName>` (as upstream's ClientBuilder). */
  readonly clientName: string;
  /** Event source component (upstream's, including the route controller's underscore). */
  readonly eventComponent: string;
  /**
   * Builds the controller, or returns why it is skipped (missing capability, routes disabled).
   * @throws RouteControllerConfigError and other configuration errors: the manager exits 2.
   */
  start(ctx: ControllerContext, o: ControllerStartOptions): ControllerStart;
}

function hasInstances(ctx: ControllerContext): boolean {
  return ctx.cloud.instancesV2?.() !== undefined || ctx.cloud.instances?.() !== undefined;
}

/** The four library controllers, in start order. */
export const MANAGED_CONTROLLERS: readonly ManagedController[] = [
  {
    ...CONTROLLER_IDENTITIES[CLOUD_NODE_CONTROLLER],
    start(ctx, { options, metrics }) {
      if (!hasInstances(ctx)) return { skipped: `cloud provider ${JSON.stringify(ctx.cloud.name)} does not support instances` };
      return {
        controller: new CloudNodeController(ctx, {
          concurrentNodeSyncs: options.concurrentNodeSyncs,
          concurrentNodeStatusUpdates: options.concurrentNodeStatusUpdates,
          nodeStatusUpdateFrequencyMs: options.nodeStatusUpdateFrequencyMs,
          ...(metrics === undefined ? {} : { metrics: metrics.cloudNodeController }),
        }),
      };
    },
  },
  {
    ...CONTROLLER_IDENTITIES[CLOUD_NODE_LIFECYCLE_CONTROLLER],
    start(ctx, { options }) {
      if (!hasInstances(ctx)) return { skipped: `cloud provider ${JSON.stringify(ctx.cloud.name)} does not support instances` };
      return { controller: new CloudNodeLifecycleController(ctx, { nodeMonitorPeriodMs: options.nodeMonitorPeriodMs, workers: options.concurrentNodeLifecycleSyncs }) };
    },
  },
  {
    ...CONTROLLER_IDENTITIES[SERVICE_LB_CONTROLLER],
    start(ctx, { options, metrics }) {
      if (ctx.cloud.loadBalancer?.() === undefined) {
        return { skipped: `the cloud provider ${JSON.stringify(ctx.cloud.name)} does not support external load balancers` };
      }
      return {
        controller: new ServiceController(ctx, {
          clusterName: options.clusterName,
          concurrentServiceSyncs: options.concurrentServiceSyncs,
          ...(metrics === undefined ? {} : { metrics: metrics.serviceController }),
        }),
      };
    },
  },
  {
    ...CONTROLLER_IDENTITIES[NODE_ROUTE_CONTROLLER],
    start(ctx, { options, metrics }) {
      // The constructor applies upstream's order of checks (flag, capability, CIDRs) and throws
      // RouteControllerConfigError for a missing/bad --cluster-cidr.
      const controller = new RouteController(ctx, {
        clusterName: options.clusterName,
        clusterCIDR: options.clusterCidr,
        configureCloudRoutes: options.configureCloudRoutes,
        routeReconciliationPeriodMs: options.routeReconciliationPeriodMs,
        watchBasedReconciliation: options.featureGates.get('CloudControllerManagerWatchBasedRoutesReconciliation') ?? false,
        ...(metrics === undefined ? {} : { metrics: metrics.routeController }),
      });
      return controller.skipReason === undefined ? { controller } : { skipped: controller.skipReason };
    },
  },
];

/** The `--controllers` catalog of {@link MANAGED_CONTROLLERS}. */
export const CONTROLLER_CATALOG: ControllerCatalog = {
  names: MANAGED_CONTROLLERS.map((c) => c.name),
  aliases: new Map(MANAGED_CONTROLLERS.flatMap((c) => c.aliases.map((a) => [a, c.name] as const))),
};

/** The user agent of a client name (`cloud-controller-manager/service-controller`). */
export function userAgentFor(clientName: string): string {
  return `${CCM_USER_AGENT}/${clientName}`;
}
