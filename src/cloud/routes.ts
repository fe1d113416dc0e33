/**
 * The routes capability (upstream `Routes` and `Route` in `cloud.go`), used by the route
 * controller to make each node's pod CIDRs reachable.
 *
 * @module
 */
import type { NodeAddress } from 'kubernetes-types/core/v1.js';
import type { ProviderCallOptions } from './call-options.js';

/** A routing rule sending `destinationCIDR` to `targetNode`. */
export interface Route {
  /** The provider's name for the route. Ignored by {@link Routes.createRoute} (see `nameHint`). */
  name: string;
  /** Name of the Node the traffic goes to. */
  targetNode: string;
  /**
   * Tells the route controller to compare {@link targetNodeAddresses}; when false they are ignored
   * (otherwise a provider that never reports addresses would see its routes recreated every pass).
   */
  enableNodeAddresses?: boolean;
  /** Addresses of the target Node; only honoured when {@link enableNodeAddresses} is true. */
  targetNodeAddresses?: NodeAddress[];
  /** The routed range in CIDR notation, e.g. `10.244.1.0/24`. */
  destinationCIDR: string;
  /**
   * True when the route's target no longer exists; the route controller deletes blackhole routes
   * that fall inside the cluster CIDR.
   */
  blackhole?: boolean;
}

/** Manages the cloud routes of one cluster. */
export interface Routes {
  /** All routes this provider manages for `clusterName`. */
  listRoutes(clusterName: string, options?: ProviderCallOptions): Promise<Route[]>;

  /**
   * Creates `route` (its `name` is ignored). `nameHint` is the target Node's UID; a provider may
   * derive the route name from it, but with dual-stack one node has several CIDRs, so names
   * derived from the hint alone would collide. Must treat `route` as read-only.
   */
  createRoute(clusterName: string, nameHint: string, route: Readonly<Route>, options?: ProviderCallOptions): Promise<void>;

  /** Deletes `route`, which is one of the objects {@link listRoutes} returned. Must treat it as read-only. */
  deleteRoute(clusterName: string, route: Readonly<Route>, options?: ProviderCallOptions): Promise<void>;
}
