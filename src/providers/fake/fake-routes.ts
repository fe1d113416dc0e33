/**
 * The fake cloud's route tables, one per cluster name, kept in memory: what the Routes capability
 * lists, creates and deletes, and what tests assert on.
 *
 * @module
 */
import type { NodeAddress } from 'kubernetes-types/core/v1.js';
import type { Route } from '../../cloud/routes.js';
import { deepFreeze } from '../../kube/json-value.js';

/** A route as the fake cloud holds it (frozen snapshot). */
export interface FakeRouteState {
  readonly clusterName: string;
  /** The fake's name for it (see {@link fakeRouteName}). */
  readonly name: string;
  /** The `nameHint` it was created with (the target Node's UID, from the route controller). */
  readonly nameHint: string;
  readonly targetNode: string;
  readonly destinationCIDR: string;
  /** The addresses it was created with (listed only when the fake reports node addresses). */
  readonly targetNodeAddresses: readonly Readonly<NodeAddress>[];
  /** Whether the cloud reports it as a blackhole (its target is gone); only seeded routes can be. */
  readonly blackhole: boolean;
}

/** A route placed in the table directly by a test (e.g. left over from an earlier run, or a blackhole). */
export interface FakeRouteSeed {
  /** Default: derived from `nameHint` (or `targetNode`) and the CIDR, as for created routes. */
  readonly name?: string;
  readonly nameHint?: string;
  readonly targetNode: string;
  readonly destinationCIDR: string;
  readonly targetNodeAddresses?: readonly NodeAddress[];
  readonly blackhole?: boolean;
}

/**
 * The name the fake gives a route: `<nameHint>-<destinationCIDR>` (the target node's name stands
 * in for an empty hint). The CIDR is part of it because with dual-stack one Node — one hint — has
 * a route per address family, and names from the hint alone would collide.
 */
export function fakeRouteName(nameHint: string, targetNode: string, destinationCIDR: string): string {
  return `${nameHint !== '' ? nameHint : targetNode}-${destinationCIDR}`;
}

/** Route tables by cluster name. */
export class FakeRoutes {
  readonly #enableNodeAddresses: boolean;
  readonly #tables = new Map<string, Map<string, FakeRouteState>>();

  /**
   * @param enableNodeAddresses - list routes with `enableNodeAddresses: true` and the addresses
   * they were created with, so the route controller recreates a route when its Node's addresses
   * change; otherwise listed routes carry no addresses (a provider that does not track them).
   */
  constructor(enableNodeAddresses = false) {
    this.#enableNodeAddresses = enableNodeAddresses;
  }

  /** The routes of `clusterName`, sorted by name, as fresh objects the caller may keep. */
  list(clusterName: string): Route[] {
    return this.#sorted(clusterName).map((state) => {
      const route: Route = { name: state.name, targetNode: state.targetNode, destinationCIDR: state.destinationCIDR };
      if (state.blackhole) route.blackhole = true;
      if (this.#enableNodeAddresses) {
        route.enableNodeAddresses = true;
        route.targetNodeAddresses = copyAddresses(state.targetNodeAddresses);
      }
      return route;
    });
  }

  /**
   * Creates `route` under the name {@link fakeRouteName} derives (its own `name` is ignored, as
   * the contract says).
   * @throws Error when the CIDR is empty or a route of that name already exists (as upstream's fake).
   */
  create(clusterName: string, nameHint: string, route: Readonly<Route>): void {
    if (route.destinationCIDR === '') throw new Error('fake cloud provider: createRoute: the route has no destinationCIDR');
    const name = fakeRouteName(nameHint, route.targetNode, route.destinationCIDR);
    const table = this.#table(clusterName);
    if (table.has(name)) throw new Error(`fake cloud provider: createRoute: route ${JSON.stringify(name)} already exists in cluster ${JSON.stringify(clusterName)}`);
    table.set(name, this.#state(clusterName, name, nameHint, route.targetNode, route.destinationCIDR, route.targetNodeAddresses ?? [], false));
  }

  /**
   * Deletes `route`, found by name, or failing that by target node and CIDR (a hand-built route
   * may lack the name).
   * @throws Error when no such route exists in `clusterName` (as upstream's fake).
   */
  delete(clusterName: string, route: Readonly<Route>): void {
    const table = this.#table(clusterName);
    if (table.delete(route.name)) return;
    for (const [name, state] of table) {
      if (state.targetNode === route.targetNode && state.destinationCIDR === route.destinationCIDR) {
        table.delete(name);
        return;
      }
    }
    throw new Error(
      `fake cloud provider: deleteRoute: no route ${JSON.stringify(route.name)} (node ${JSON.stringify(route.targetNode)}, ` +
        `destination ${JSON.stringify(route.destinationCIDR)}) in cluster ${JSON.stringify(clusterName)}`,
    );
  }

  /** Places a route in the table directly (no call recorded), replacing one of the same name. */
  put(clusterName: string, seed: FakeRouteSeed): FakeRouteState {
    const nameHint = seed.nameHint ?? '';
    const name = seed.name ?? fakeRouteName(nameHint, seed.targetNode, seed.destinationCIDR);
    const state = this.#state(clusterName, name, nameHint, seed.targetNode, seed.destinationCIDR, seed.targetNodeAddresses ?? [], seed.blackhole ?? false);
    this.#table(clusterName).set(name, state);
    return state;
  }

  /** Every route of `clusterName`, or of every cluster (by cluster, then name). */
  state(clusterName?: string): FakeRouteState[] {
    const clusters = clusterName === undefined ? [...this.#tables.keys()].sort() : [clusterName];
    return clusters.flatMap((cluster) => this.#sorted(cluster));
  }

  #table(clusterName: string): Map<string, FakeRouteState> {
    let table = this.#tables.get(clusterName);
    if (table === undefined) {
      table = new Map();
      this.#tables.set(clusterName, table);
    }
    return table;
  }

  #sorted(clusterName: string): FakeRouteState[] {
    return [...(this.#tables.get(clusterName)?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  #state(
    clusterName: string,
    name: string,
    nameHint: string,
    targetNode: string,
    destinationCIDR: string,
    addresses: readonly Readonly<NodeAddress>[],
    blackhole: boolean,
  ): FakeRouteState {
    return deepFreeze({ clusterName, name, nameHint, targetNode, destinationCIDR, targetNodeAddresses: copyAddresses(addresses), blackhole });
  }
}

function copyAddresses(addresses: readonly Readonly<NodeAddress>[]): NodeAddress[] {
  return addresses.map((a) => ({ type: a.type, address: a.address }));
}
