/**
 * The load-balancer capability, used by the service controller (upstream `LoadBalancer` in
 * `cloud.go`).
 *
 * @module
 */
import type { LoadBalancerIngress as KubeLoadBalancerIngress, Node, PortStatus, Service } from 'kubernetes-types/core/v1.js';
import type { ProviderCallOptions } from './call-options.js';

export type { PortStatus };

/**
 * How traffic to an ingress IP reaches the backends (core/v1 `LoadBalancerIPMode`): `VIP` — the
 * destination stays the load-balancer IP; `Proxy` — the destination is rewritten to the node or pod.
 */
export type LoadBalancerIPMode = 'VIP' | 'Proxy';

/** One ingress point of a load balancer: the core/v1 shape with `ipMode` narrowed to its legal values. */
export interface LoadBalancerIngress extends Omit<KubeLoadBalancerIngress, 'ipMode'> {
  /** Set for IP-based load balancers. */
  ip?: string;
  /** Set for DNS-based load balancers. */
  hostname?: string;
  /** Only meaningful together with `ip`; the apiserver rejects it otherwise. */
  ipMode?: LoadBalancerIPMode;
  /** Per-port status (`port`, `protocol`, `error`); if present, one entry per Service port. */
  ports?: PortStatus[];
}

/**
 * What the service controller writes to `service.status.loadBalancer`. Unlike core/v1 (where
 * `ingress` is optional), `ingress` is required here so a provider states "no ingress yet"
 * explicitly with `[]`.
 */
export interface LoadBalancerStatus {
  ingress: LoadBalancerIngress[];
}

/** Answer of {@link LoadBalancer.getLoadBalancer}. */
export interface LoadBalancerLookup {
  /** Whether a load balancer created by the service controller exists for the Service. */
  readonly exists: boolean;
  /** Its current status when it exists; the framework does not read it otherwise. */
  readonly status?: LoadBalancerStatus | undefined;
}

/**
 * Load balancers for Services of `type: LoadBalancer`.
 *
 * Contract (as upstream): a provider that serves some load balancers from a controller of its
 * own throws `ImplementedElsewhereError` from {@link ensureLoadBalancer} / {@link updateLoadBalancer}
 * for them, and then {@link getLoadBalancer} must report `exists: true` only for load balancers the
 * service controller created. The `service.kubernetes.io/load-balancer-cleanup` finalizer is still
 * managed by the service controller; any other finalizer belongs to the alternate implementation.
 * Every method must treat the Service and Node arguments as read-only.
 * `clusterName` is the manager's `--cluster-name` (default `kubernetes`).
 */
export interface LoadBalancer {
  /**
   * Whether the load balancer for `service` exists and, if so, its status. Must treat the
   * Service as read-only.
   */
  getLoadBalancer(clusterName: string, service: Readonly<Service>, options?: ProviderCallOptions): Promise<LoadBalancerLookup>;

  /**
   * The provider's name for the Service's load balancer (used in logs and events). Upstream
   * cannot fail here, so implementations should not throw. Must treat the Service as read-only.
   */
  getLoadBalancerName(clusterName: string, service: Readonly<Service>, options?: ProviderCallOptions): Promise<string>;

  /**
   * Creates the load balancer or brings an existing one up to date so that it points at
   * `nodes`, and returns the status the controller writes to the Service. Must treat the
   * Service and Nodes as read-only. Returning no status is a contract violation (the framework
   * reports it as a `ProviderContractError`). May throw (possibly wrapped, via `cause`) a
   * `RetryError` to ask for a retry after a fixed delay instead of exponential backoff, e.g.
   * while the load balancer is still provisioning. Throw `ImplementedElsewhereError` when
   * another controller of the provider owns this load balancer.
   */
  ensureLoadBalancer(
    clusterName: string,
    service: Readonly<Service>,
    nodes: readonly Readonly<Node>[],
    options?: ProviderCallOptions,
  ): Promise<LoadBalancerStatus>;

  /**
   * Updates only the backend set of an existing load balancer to `nodes`. Must treat the Service
   * and Nodes as read-only. `ImplementedElsewhereError` is treated as success.
   */
  updateLoadBalancer(
    clusterName: string,
    service: Readonly<Service>,
    nodes: readonly Readonly<Node>[],
    options?: ProviderCallOptions,
  ): Promise<void>;

  /**
   * Deletes the load balancer if it exists and must succeed when it is already gone (a lookup
   * may miss leftover parts, so deletion must be thorough and idempotent). Must not throw
   * `ImplementedElsewhereError`: teardown has to work after a type change or a migration away
   * from the service controller. Must treat the Service as read-only.
   */
  ensureLoadBalancerDeleted(clusterName: string, service: Readonly<Service>, options?: ProviderCallOptions): Promise<void>;
}
