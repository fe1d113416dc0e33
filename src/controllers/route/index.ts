/**
 * The route controller: cloud routes for every Node's pod CIDRs and the `NetworkUnavailable`
 * Node condition (upstream controllers/route).
 *
 * @module
 */
export {
  DEFAULT_CLUSTER_NAME,
  DEFAULT_ROUTE_RECONCILIATION_PERIOD_MS,
  MAX_CONCURRENT_ROUTE_OPERATIONS,
  MIN_ROUTE_RESYNC_INTERVAL_MS,
  REASON_FAILED_TO_CREATE_ROUTE,
  ROUTE_CONTROLLER_CLIENT_NAME,
  ROUTE_CONTROLLER_EVENT_COMPONENT,
  ROUTES_KEY,
  RouteController,
  RouteControllerConfigError,
  nodeUpdateAffectsRoutes,
} from './route-controller.js';
export type { RouteControllerOptions, RoutePassResult } from './route-controller.js';
export type { CounterHook, RouteControllerMetrics } from './metrics.js';
export { CidrParseError, cidrContains, formatCidr, lastAddress, parseCidr, parseClusterCidrs, parseIp, tryParseCidr } from './cidr.js';
export type { Cidr, IpFamily } from './cidr.js';
export {
  NETWORK_UNAVAILABLE,
  REASON_NO_ROUTE_CREATED,
  REASON_ROUTE_CREATED,
  MESSAGE_NO_ROUTE_CREATED,
  MESSAGE_ROUTE_CREATED,
} from './network-condition.js';
export { equalNodeAddresses, isResponsibleForRoute, planRoutes } from './route-plan.js';
export type { RouteAction, RouteCreation, RoutePlan } from './route-plan.js';
