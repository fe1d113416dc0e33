/**
 * Copying a provider's load-balancer status into a Service and comparing statuses (upstream
 * `servicehelper.LoadBalancerStatusEqual`: semantic deep equality of the ingress list, where
 * ipMode and per-port status count).
 *
 * @module
 */
import type { LoadBalancerIngress as KubeLoadBalancerIngress, PortStatus } from 'kubernetes-types/core/v1.js';
import type { LoadBalancerIngress } from '../../cloud/load-balancer.js';

function copyPort(port: Readonly<PortStatus>): PortStatus {
  const copy: PortStatus = { port: port.port, protocol: port.protocol };
  if (port.error !== undefined) copy.error = port.error;
  return copy;
}

/**
 * The Service-side copy of the provider's ingress list: `ip`, `hostname`, `ipMode` and `ports`,
 * exactly as given. The controller never invents an entry or an ipMode (as upstream).
 */
export function copyIngress(ingress: readonly Readonly<LoadBalancerIngress>[]): KubeLoadBalancerIngress[] {
  return ingress.map((entry) => {
    const copy: KubeLoadBalancerIngress = {};
    if (entry.ip !== undefined) copy.ip = entry.ip;
    if (entry.hostname !== undefined) copy.hostname = entry.hostname;
    if (entry.ipMode !== undefined) copy.ipMode = entry.ipMode;
    if (entry.ports !== undefined) copy.ports = entry.ports.map(copyPort);
    return copy;
  });
}

/**
 * The ingress list as the apiserver stores it: an entry with an IP and no ipMode gets `VIP`
 * (`SetDefaults_Service`, LoadBalancerIPMode on by default since 1.30). Only for comparing — the
 * controller writes what the provider said and lets the apiserver default it, so a provider that
 * never sets ipMode does not cause a status patch on every sync.
 */
export function withApiServerDefaults(ingress: readonly Readonly<KubeLoadBalancerIngress>[]): KubeLoadBalancerIngress[] {
  return ingress.map((entry) => (entry.ip !== undefined && entry.ip !== '' && entry.ipMode === undefined ? { ...entry, ipMode: 'VIP' } : { ...entry }));
}

// Go's semantic equality: absent and empty strings are one zero value, and so are absent and
// empty lists; pointer fields (ipMode, port error) differ when only one side is set.
function portsEqual(a: readonly Readonly<PortStatus>[] | undefined, b: readonly Readonly<PortStatus>[] | undefined): boolean {
  const xs = a ?? [];
  const ys = b ?? [];
  if (xs.length !== ys.length) return false;
  return xs.every((x, i) => {
    const y = ys[i];
    return y !== undefined && x.port === y.port && (x.protocol ?? '') === (y.protocol ?? '') && x.error === y.error;
  });
}

function ingressEqual(a: Readonly<KubeLoadBalancerIngress>, b: Readonly<KubeLoadBalancerIngress>): boolean {
  return (a.ip ?? '') === (b.ip ?? '') && (a.hostname ?? '') === (b.hostname ?? '') && a.ipMode === b.ipMode && portsEqual(a.ports, b.ports);
}

/** Whether two ingress lists are semantically equal, in order; absent equals empty. */
export function loadBalancerIngressEqual(
  a: readonly Readonly<KubeLoadBalancerIngress>[] | undefined,
  b: readonly Readonly<KubeLoadBalancerIngress>[] | undefined,
): boolean {
  const xs = a ?? [];
  const ys = b ?? [];
  if (xs.length !== ys.length) return false;
  return xs.every((x, i) => {
    const y = ys[i];
    return y !== undefined && ingressEqual(x, y);
  });
}
