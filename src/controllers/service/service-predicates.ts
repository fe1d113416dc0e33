/**
 * Which Services the service controller cares about and which Service changes are worth a sync
 * (upstream `wantsLoadBalancer`, `needsCleanup`, `needsUpdate`, `portsEqualForLB` in
 * `controllers/service/controller.go`).
 *
 * Go compares zero values: an absent string equals `''`, an absent number equals `0`. The helpers
 * here read JSON objects, so they normalise absent fields the same way before comparing.
 *
 * @module
 */
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { hasLoadBalancerFinalizer, wantsLoadBalancer } from '../../cloud/service-helpers.js';
import { jsonEqual } from '../../kube/json-value.js';

// Shared with providers, so they live in the contract (src/cloud/); re-exported for the controller.
export { hasLoadBalancerFinalizer, wantsLoadBalancer } from '../../cloud/service-helpers.js';

/**
 * Whether the controller must tear the load balancer down: it holds the cleanup finalizer and the
 * Service is being deleted or is no longer of type LoadBalancer (as upstream, a Service that only
 * gained a loadBalancerClass keeps its load balancer until deleted).
 */
export function needsCleanup(service: Readonly<Service>): boolean {
  if (!hasLoadBalancerFinalizer(service)) return false;
  return service.metadata?.deletionTimestamp !== undefined || service.spec?.type !== 'LoadBalancer';
}

// IntOrString: an absent targetPort is Go's zero value, the integer 0.
function targetPortOf(port: Readonly<ServicePort>): number | string {
  return port.targetPort ?? 0;
}

/**
 * Whether two Service ports are the same for a load balancer: name, protocol, port, nodePort,
 * targetPort and appProtocol (absent and empty appProtocol differ, as Go's pointer comparison).
 */
export function portEqualForLB(x: Readonly<ServicePort>, y: Readonly<ServicePort>): boolean {
  return (
    (x.name ?? '') === (y.name ?? '') &&
    (x.protocol ?? '') === (y.protocol ?? '') &&
    x.port === y.port &&
    (x.nodePort ?? 0) === (y.nodePort ?? 0) &&
    targetPortOf(x) === targetPortOf(y) &&
    x.appProtocol === y.appProtocol
  );
}

/** Whether the port lists are equal for a load balancer: same length, pairwise equal in order. */
export function portsEqualForLB(x: Readonly<Service>, y: Readonly<Service>): boolean {
  const xs = x.spec?.ports ?? [];
  const ys = y.spec?.ports ?? [];
  if (xs.length !== ys.length) return false;
  return xs.every((port, i) => {
    const other = ys[i];
    return other !== undefined && portEqualForLB(port, other);
  });
}

// An absent map and an empty map are one thing on the wire (the apiserver omits empty maps), so
// they compare equal here; Go's reflect.DeepEqual would tell nil from empty.
function mapsEqual(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  return jsonEqual(a ?? {}, b ?? {});
}

/**
 * Whether a Service update needs a load-balancer sync (upstream `needsUpdate`): never when neither
 * version wants a load balancer; always when "wants" flipped; otherwise when any field a load
 * balancer is built from changed — source ranges, ports, session affinity (and its config),
 * loadBalancerIP, externalIPs, any annotation, the UID, externalTrafficPolicy,
 * healthCheckNodePort, or the number of IP families. Labels, status and other spec fields do not
 * count, so an informer resync (old === new) never triggers work.
 */
export function needsUpdate(oldService: Readonly<Service>, newService: Readonly<Service>): boolean {
  const oldWants = wantsLoadBalancer(oldService);
  const newWants = wantsLoadBalancer(newService);
  if (!oldWants && !newWants) return false;
  if (oldWants !== newWants) return true;
  const o = oldService.spec ?? {};
  const n = newService.spec ?? {};
  // Go's reflect.DeepEqual: a nil slice differs from an empty one, so absent differs from [].
  if (!jsonEqual(o.loadBalancerSourceRanges, n.loadBalancerSourceRanges)) return true;
  if (!portsEqualForLB(oldService, newService)) return true;
  if ((o.sessionAffinity ?? '') !== (n.sessionAffinity ?? '')) return true;
  if (!jsonEqual(o.sessionAffinityConfig, n.sessionAffinityConfig)) return true;
  if ((o.loadBalancerIP ?? '') !== (n.loadBalancerIP ?? '')) return true;
  const oldIPs = o.externalIPs ?? [];
  const newIPs = n.externalIPs ?? [];
  if (oldIPs.length !== newIPs.length || oldIPs.some((ip, i) => ip !== newIPs[i])) return true;
  if (!mapsEqual(oldService.metadata?.annotations, newService.metadata?.annotations)) return true;
  if ((oldService.metadata?.uid ?? '') !== (newService.metadata?.uid ?? '')) return true;
  if ((o.externalTrafficPolicy ?? '') !== (n.externalTrafficPolicy ?? '')) return true;
  if ((o.healthCheckNodePort ?? 0) !== (n.healthCheckNodePort ?? 0)) return true;
  return (o.ipFamilies ?? []).length !== (n.ipFamilies ?? []).length;
}
