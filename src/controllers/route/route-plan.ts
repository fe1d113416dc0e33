/**
 * The pure half of a route reconcile pass: from the Nodes in the cache and the routes the cloud
 * lists, decide per Node and pod CIDR whether its route is kept, added or replaced, and which
 * listed routes to delete. No I/O here, so the decision table is tested on its own and the
 * controller only executes the plan (upstream does both in one function,
 * `RouteController.reconcile` in controllers/route/route_controller.go).
 *
 * @module
 */
import type { Node, NodeAddress } from 'kubernetes-types/core/v1.js';
import type { Route } from '../../cloud/routes.js';
import { cidrContains, lastAddress, tryParseCidr, type Cidr } from './cidr.js';

/**
 * What to do about one pod CIDR of one Node: `keep` the existing route, `add` a missing one, or
 * `update` one whose target addresses are stale (delete, then create). Upstream also declares a
 * `remove` action that nothing ever produces; it is left out.
 */
export type RouteAction = 'keep' | 'add' | 'update';

/**
 * One route to create. The Route itself is made only when it is created ({@link routeToCreate}):
 * a plan for 10,000 Nodes lives as long as their creations take, and a copy of every route (with
 * its addresses) held that long was 2.4 MB of it.
 */
export interface RouteCreation {
  readonly nodeName: string;
  /** The Node's UID, passed to the provider as the route's name hint (as upstream). */
  readonly nameHint: string;
  readonly destinationCIDR: string;
  /** The Node's addresses as the cache holds them (frozen there; copied into the route). */
  readonly targetNodeAddresses: readonly NodeAddress[];
}

/** The route a creation asks for: a private copy, since the provider may keep what it is given. */
export function routeToCreate(creation: RouteCreation): Route {
  return {
    name: '',
    targetNode: creation.nodeName,
    targetNodeAddresses: creation.targetNodeAddresses.map((a) => ({ type: a.type, address: a.address })),
    destinationCIDR: creation.destinationCIDR,
  };
}

/** Everything one reconcile pass will do. */
export interface RoutePlan {
  /**
   * Per Node name, the action per pod CIDR. A Node that has routes but no pod CIDRs has an empty
   * map (it ends up `NetworkUnavailable=True`); a Node with neither has no entry and is left alone.
   */
  readonly actions: ReadonlyMap<string, Map<string, RouteAction>>;
  /** Listed routes to delete: in a cluster CIDR and blackholed, orphaned, or stale. */
  readonly deletes: readonly Route[];
  /** Routes to create: every `add` and `update`, Node by Node in cache order. */
  readonly creations: readonly RouteCreation[];
  /**
   * True when routes carry node addresses (upstream looks at the *first* listed route's
   * `enableNodeAddresses`): then an update deletes and creates the same destination, so creates
   * must wait for deletes (kubernetes/kubernetes#98359). Otherwise both may overlap.
   */
  readonly deletesBeforeCreates: boolean;
}

/**
 * True when the route's range starts or ends inside one of the cluster CIDRs, i.e. the controller
 * owns it (upstream `isResponsibleForRoute`). Unparsable destinations are never ours.
 */
export function isResponsibleForRoute(route: Readonly<Route>, clusterCidrs: readonly Cidr[]): boolean {
  const cidr = tryParseCidr(route.destinationCIDR);
  if (cidr === undefined) return false;
  const first = cidr.network;
  const last = lastAddress(cidr);
  return clusterCidrs.some((c) => cidrContains(c, cidr.family, first) || cidrContains(c, cidr.family, last));
}

/**
 * True when both lists hold the same (type, address) pairs regardless of order, as upstream's
 * `equalNodeAddrs` (same length, and every entry of one found in the other).
 */
export function equalNodeAddresses(a: readonly NodeAddress[] | undefined, b: readonly NodeAddress[] | undefined): boolean {
  const left = a ?? [];
  const right = b ?? [];
  if (left.length !== right.length) return false;
  return left.every((x) => right.some((y) => x.type === y.type && x.address === y.address));
}

/** The action for one pod CIDR given the Node's existing routes (upstream `getRouteAction`). */
export function routeAction(nodeRoutes: readonly Route[], cidr: string, nodeAddresses: readonly NodeAddress[] | undefined): RouteAction {
  const existing = nodeRoutes.find((r) => r.destinationCIDR === cidr);
  if (existing === undefined) return 'add';
  // Providers that do not report addresses leave enableNodeAddresses off; their routes are kept
  // as long as the destination matches, or they would be recreated on every pass.
  if (existing.enableNodeAddresses !== true || equalNodeAddresses(nodeAddresses, existing.targetNodeAddresses)) return 'keep';
  return 'update';
}

/** A Node's pod CIDRs without repeats, in order (a duplicated entry yields one route, see docs/deviations/route.md). */
export function podCidrsOf(node: Readonly<Node>): string[] {
  return [...new Set(node.spec?.podCIDRs ?? [])];
}

/**
 * Plans one reconcile pass.
 *
 * @example
 * ```ts
 * const plan = planRoutes(nodeInformer.list(), await routes.listRoutes(clusterName), clusterCidrs);
 * ```
 */
export function planRoutes(nodes: readonly Node[], routes: readonly Route[], clusterCidrs: readonly Cidr[]): RoutePlan {
  // Existing routes by target Node; routes without a target belong to no Node.
  const routesByNode = new Map<string, Route[]>();
  const actions = new Map<string, Map<string, RouteAction>>();
  for (const route of routes) {
    if (route.targetNode === '') continue;
    const list = routesByNode.get(route.targetNode);
    if (list === undefined) routesByNode.set(route.targetNode, [route]);
    else list.push(route);
    if (!actions.has(route.targetNode)) actions.set(route.targetNode, new Map());
  }

  const creations: RouteCreation[] = [];
  for (const node of nodes) {
    const cidrs = podCidrsOf(node);
    // A Node without pod CIDRs has not been allocated a range yet: nothing to route.
    if (cidrs.length === 0) continue;
    const name = node.metadata?.name ?? '';
    const nodeActions = actions.get(name) ?? new Map<string, RouteAction>();
    actions.set(name, nodeActions);
    const addresses = node.status?.addresses ?? [];
    for (const cidr of cidrs) {
      const action = routeAction(routesByNode.get(name) ?? [], cidr, addresses);
      nodeActions.set(cidr, action);
      if (action === 'keep') continue;
      creations.push({ nodeName: name, nameHint: node.metadata?.uid ?? '', destinationCIDR: cidr, targetNodeAddresses: addresses });
    }
  }

  const deletes = routes.filter((route) => {
    if (!isResponsibleForRoute(route, clusterCidrs)) return false;
    if (route.blackhole === true) return true;
    const action = actions.get(route.targetNode)?.get(route.destinationCIDR);
    // No such Node, no such pod CIDR on it, or a stale target: the route goes.
    return action === undefined || action === 'update';
  });

  return { actions, deletes, creations, deletesBeforeCreates: routes[0]?.enableNodeAddresses === true };
}
