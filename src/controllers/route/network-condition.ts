/**
 * The `NetworkUnavailable` Node condition the route controller owns: `False`/`RouteCreated` once
 * every pod CIDR of a Node has its route, `True`/`NoRouteCreated` otherwise (upstream
 * `updateNetworkingCondition`). Written as a strategic-merge patch of that single condition on
 * `nodes/status`, so other conditions (kubelet's) are never touched.
 *
 * @module
 */
import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../kube/clock.js';
import type { Backoff } from '../../kube/backoff.js';
import { retryOnConflict } from '../../kube/retry.js';
import { formatMetav1Time } from '../../kube/metav1-time.js';

/** The condition type (k8s.io/api `NodeNetworkUnavailable`). */
export const NETWORK_UNAVAILABLE = 'NetworkUnavailable';
/** Reason when all routes of the Node exist. */
export const REASON_ROUTE_CREATED = 'RouteCreated';
/** Reason when at least one route of the Node is missing. */
export const REASON_NO_ROUTE_CREATED = 'NoRouteCreated';
/** Message accompanying {@link REASON_ROUTE_CREATED}, as upstream. */
export const MESSAGE_ROUTE_CREATED = 'RouteController created a route';
/** Message accompanying {@link REASON_NO_ROUTE_CREATED}, as upstream. */
export const MESSAGE_NO_ROUTE_CREATED = 'RouteController failed to create a route';

/** Upstream `updateNetworkConditionBackoff`: 5 tries, 100 ms apart, jitter 1.0 (conflicts only). */
export const UPDATE_NETWORK_CONDITION_BACKOFF: Backoff = Object.freeze({ steps: 5, durationMs: 100, factor: 1, jitter: 1 });

/** The Node's current `NetworkUnavailable` condition, if any. */
export function networkUnavailableCondition(node: Readonly<Node>): NodeCondition | undefined {
  return node.status?.conditions?.find((c) => c.type === NETWORK_UNAVAILABLE);
}

/**
 * True when the condition must be written: it is missing, has the other status, or has the right
 * status but another reason (a CNI such as Calico set it; upstream overwrites it since Jan 2026).
 */
export function needsNetworkConditionUpdate(node: Readonly<Node>, routesCreated: boolean): boolean {
  const current = networkUnavailableCondition(node);
  if (current === undefined) return true;
  const [status, reason] = routesCreated ? ['False', REASON_ROUTE_CREATED] : ['True', REASON_NO_ROUTE_CREATED];
  return current.status !== status || current.reason !== reason;
}

/** The condition to write at `nowMs` (both timestamps set to now, as upstream's `SetNodeCondition`). */
export function desiredNetworkCondition(routesCreated: boolean, nowMs: number): NodeCondition {
  const now = formatMetav1Time(nowMs);
  return routesCreated
    ? { type: NETWORK_UNAVAILABLE, status: 'False', reason: REASON_ROUTE_CREATED, message: MESSAGE_ROUTE_CREATED, lastTransitionTime: now, lastHeartbeatTime: now }
    : { type: NETWORK_UNAVAILABLE, status: 'True', reason: REASON_NO_ROUTE_CREATED, message: MESSAGE_NO_ROUTE_CREATED, lastTransitionTime: now, lastHeartbeatTime: now };
}

/** What {@link updateNetworkCondition} needs. */
export interface NetworkConditionDeps {
  readonly kube: KubeClient;
  readonly clock: Clock;
  readonly random: () => number;
  readonly signal: AbortSignal;
}

/**
 * Writes the condition unless `node` (as cached) already has the wanted status and reason.
 * Returns whether a patch was sent. Rejects after the conflict retries are spent, or on any other
 * API error.
 */
export async function updateNetworkCondition(node: Readonly<Node>, routesCreated: boolean, deps: NetworkConditionDeps): Promise<boolean> {
  if (!needsNetworkConditionUpdate(node, routesCreated)) return false;
  const name = node.metadata?.name ?? '';
  await retryOnConflict(
    UPDATE_NETWORK_CONDITION_BACKOFF,
    async () => {
      // Re-stamped on each attempt, as upstream builds the condition inside its retry loop.
      const condition = desiredNetworkCondition(routesCreated, deps.clock.now());
      await deps.kube.nodes.patchStatus(
        { name },
        { type: 'strategic', body: { status: { conditions: [condition] } } },
        { signal: deps.signal },
      );
    },
    { clock: deps.clock, random: deps.random, signal: deps.signal },
  );
  return true;
}
