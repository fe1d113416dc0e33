/**
 * The service (load balancer) controller and its building blocks.
 *
 * @module
 */
export {
  MAX_NODE_NAMES_TO_LOG,
  MAX_RETRY_DELAY_MS,
  MIN_RETRY_DELAY_MS,
  NODE_SYNC_PERIOD_MS,
  SERVICE_CONTROLLER_EVENT_SOURCE,
  SERVICE_SYNC_PERIOD_MS,
  ServiceController,
} from './service-controller.js';
export type { ServiceControllerOptions } from './service-controller.js';
export type { ServiceControllerMetrics } from './metrics.js';
export { hasLoadBalancerFinalizer, needsCleanup, needsUpdate, portEqualForLB, portsEqualForLB, wantsLoadBalancer } from './service-predicates.js';
export {
  inStableNodeSet,
  LABEL_NODE_EXCLUDE_BALANCERS,
  nodeIncluded,
  nodeNotDeleted,
  nodesSufficientlyEqual,
  nodeUnTainted,
  parseGoBool,
  shouldSyncUpdatedNode,
} from './node-predicates.js';
export { copyIngress, loadBalancerIngressEqual } from './load-balancer-status.js';
