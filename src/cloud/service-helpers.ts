/**
 * Which Services a load-balancer implementation owns, for the service controller and for
 * providers alike (upstream keeps these in `cloud-provider/service/helpers`): providers use them
 * without importing a controller.
 *
 * @module
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER } from './constants.js';

/**
 * Whether the Service asks the cloud provider's load balancer for an address: `type:
 * LoadBalancer` and no `spec.loadBalancerClass` (any class, even the empty string, means another
 * implementation owns it).
 */
export function wantsLoadBalancer(service: Readonly<Service>): boolean {
  return service.spec?.type === 'LoadBalancer' && service.spec.loadBalancerClass === undefined;
}

/** Whether the Service carries the `service.kubernetes.io/load-balancer-cleanup` finalizer. */
export function hasLoadBalancerFinalizer(service: Readonly<Service>): boolean {
  return service.metadata?.finalizers?.includes(LOAD_BALANCER_CLEANUP_FINALIZER) ?? false;
}
