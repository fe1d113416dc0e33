/**
 * Which Nodes back load balancers (KEP-3458 "stable node set", upstream `nodeIncludedPredicate`,
 * `nodeUnTaintedPredicate`, `nodeNotDeletedPredicate`, `shouldSyncUpdatedNode` and
 * `nodesSufficientlyEqual` in `controllers/service/controller.go`). Readiness deliberately plays
 * no part: a NotReady node stays a backend and the load balancer's health checks decide.
 *
 * @module
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { TO_BE_DELETED_TAINT } from '../../cloud/constants.js';

/** Label that takes a Node out of every load balancer's backend set (core/v1 `LabelNodeExcludeBalancers`). */
export const LABEL_NODE_EXCLUDE_BALANCERS = 'node.kubernetes.io/exclude-from-external-load-balancers';

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

/** Go's `strconv.ParseBool`: the accepted spellings of true and false, `undefined` for anything else. */
export function parseGoBool(value: string): boolean | undefined {
  if (GO_TRUE.has(value)) return true;
  if (GO_FALSE.has(value)) return false;
  return undefined;
}

/**
 * Whether the exclude label lets the Node in: absent ⇒ included; a Go false ⇒ included; a Go true
 * or an unparsable value (the empty string too) ⇒ excluded, as upstream errs on the side of exclusion.
 */
export function nodeIncluded(node: Readonly<Node>): boolean {
  const value = node.metadata?.labels?.[LABEL_NODE_EXCLUDE_BALANCERS];
  if (value === undefined) return true;
  return parseGoBool(value) === false;
}

/** Whether the Node lacks the cluster autoscaler's `ToBeDeletedByClusterAutoscaler` taint. */
export function nodeUnTainted(node: Readonly<Node>): boolean {
  const taints = node.spec?.taints;
  if (taints === undefined) return true;
  for (const taint of taints) if (taint.key === TO_BE_DELETED_TAINT) return false;
  return true;
}

/** Whether the Node is not being deleted (no `deletionTimestamp`). */
export function nodeNotDeleted(node: Readonly<Node>): boolean {
  return node.metadata?.deletionTimestamp === undefined;
}

/**
 * Whether the Node belongs to the stable node set every Ensure and Update receives: not being
 * deleted, not excluded by label, not tainted for deletion by the autoscaler.
 */
export function inStableNodeSet(node: Readonly<Node>): boolean {
  return nodeNotDeleted(node) && nodeIncluded(node) && nodeUnTainted(node);
}

/**
 * Whether a Node update must trigger a host update: the exclude label flipped inclusion, or
 * `spec.providerID` was set, unset or changed. Taint, readiness and deletionTimestamp changes alone
 * do not (upstream picks those up at the next sync for another reason).
 */
export function shouldSyncUpdatedNode(oldNode: Readonly<Node>, newNode: Readonly<Node>): boolean {
  if (nodeIncluded(oldNode) !== nodeIncluded(newNode)) return true;
  return (oldNode.spec?.providerID ?? '') !== (newNode.spec?.providerID ?? '');
}

/**
 * What makes two backend sets the same for a load balancer: each Node's name and providerID, in
 * list order (parallel arrays, frozen). Holding these instead of the Nodes lets a controller
 * remember a set without keeping a whole generation of Node objects alive.
 */
export interface NodeBackends {
  readonly names: readonly string[];
  readonly providerIDs: readonly string[];
  /**
   * An order-independent digest of the name → providerID pairs, when the names are known to be
   * unique (sets built from the Node cache): different digests prove different mappings in O(1).
   */
  readonly digest?: number;
}

/** FNV-1a of `name \0 providerID`, 32 bits. */
function pairHash(name: string, providerID: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0, 0x01000193);
  for (let i = 0; i < providerID.length; i++) h = Math.imul(h ^ providerID.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The {@link NodeBackends.digest} of pairs with unique names: the sum of the pair hashes, so that
 * it does not depend on order (a mapping is a set of pairs).
 */
export function backendsDigest(names: readonly string[], providerIDs: readonly string[]): number {
  let sum = 0;
  for (let i = 0; i < names.length; i++) sum = (sum + pairHash(names[i] as string, providerIDs[i] as string)) >>> 0;
  return sum;
}

/** The {@link NodeBackends} of a node list (frozen). */
export function nodeBackends(nodes: readonly Readonly<Node>[]): NodeBackends {
  const names = new Array<string>(nodes.length);
  const providerIDs = new Array<string>(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const node = nodes[i] as Readonly<Node>;
    names[i] = node.metadata?.name ?? '';
    providerIDs[i] = node.spec?.providerID ?? '';
  }
  return Object.freeze({ names: Object.freeze(names), providerIDs: Object.freeze(providerIDs) });
}

/**
 * {@link nodesSufficientlyEqual} on {@link NodeBackends}: same size and the same
 * name → providerID mapping.
 */
export function backendsSufficientlyEqual(oldSet: NodeBackends, newSet: NodeBackends): boolean {
  if (oldSet === newSet) return true;
  if (oldSet.names.length !== newSet.names.length) return false;
  // Equal mappings have equal digests; only equal digests need the full comparison.
  if (oldSet.digest !== undefined && newSet.digest !== undefined && oldSet.digest !== newSet.digest) return false;
  const byName = new Map<string, string>();
  for (let i = 0; i < oldSet.names.length; i++) byName.set(oldSet.names[i] as string, oldSet.providerIDs[i] as string);
  const seen = new Set<string>();
  for (let i = 0; i < newSet.names.length; i++) {
    const name = newSet.names[i] as string;
    const providerID = byName.get(name);
    if (providerID === undefined || providerID !== newSet.providerIDs[i]) return false;
    seen.add(name);
  }
  // Duplicate names can make equal lengths hide a difference; the name sets must match too.
  return seen.size === byName.size;
}

/**
 * Whether two backend sets are the same for a load balancer: same size and the same
 * name → providerID mapping (upstream `nodesSufficientlyEqual`).
 */
export function nodesSufficientlyEqual(oldNodes: readonly Readonly<Node>[], newNodes: readonly Readonly<Node>[]): boolean {
  return backendsSufficientlyEqual(nodeBackends(oldNodes), nodeBackends(newNodes));
}
