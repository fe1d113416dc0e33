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

/** A Node's `spec.providerID`, `''` when absent: the value a backend maps its name to. */
export function providerIDOf(node: Readonly<Node>): string {
  return node.spec?.providerID ?? '';
}

/**
 * Whether a Node update must trigger a host update: the exclude label flipped inclusion, or
 * `spec.providerID` was set, unset or changed. Taint, readiness and deletionTimestamp changes alone
 * do not (upstream picks those up at the next sync for another reason).
 */
export function shouldSyncUpdatedNode(oldNode: Readonly<Node>, newNode: Readonly<Node>): boolean {
  if (nodeIncluded(oldNode) !== nodeIncluded(newNode)) return true;
  return providerIDOf(oldNode) !== providerIDOf(newNode);
}

/**
 * The hash of one backend, FNV-1a of `name \0 providerID` (32 bits): the unit of the
 * order-independent digest of a node set (the sum of its backends' hashes), which a set kept
 * incrementally updates in O(1) per Node change.
 */
export function backendHash(name: string, providerID: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h, 0x01000193); // the \0 separator: h ^ 0 === h
  for (let i = 0; i < providerID.length; i++) h = Math.imul(h ^ providerID.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** {@link backendHash} of a Node: its name and `spec.providerID` (absent ⇒ empty). */
export function nodeBackendHash(node: Readonly<Node>): number {
  return backendHash(node.metadata?.name ?? '', providerIDOf(node));
}

/**
 * The digest of a set of Nodes with unique names: the sum of their {@link backendHash}es modulo
 * 2^32, so it does not depend on order (a mapping is a set of pairs). Equal name → providerID
 * mappings have equal digests; different digests prove different mappings.
 */
export function backendsDigest(nodes: readonly Readonly<Node>[]): number {
  let sum = 0;
  for (const node of nodes) sum = (sum + nodeBackendHash(node)) >>> 0;
  return sum;
}

/**
 * Whether two backend sets are the same for a load balancer: same size and the same
 * name → providerID mapping (upstream `nodesSufficientlyEqual`).
 */
export function nodesSufficientlyEqual(oldNodes: readonly Readonly<Node>[], newNodes: readonly Readonly<Node>[]): boolean {
  if (oldNodes === newNodes) return true;
  if (oldNodes.length !== newNodes.length) return false;
  const byName = new Map<string, string>();
  for (const node of oldNodes) byName.set(node.metadata?.name ?? '', providerIDOf(node));
  const seen = new Set<string>();
  for (const node of newNodes) {
    const name = node.metadata?.name ?? '';
    const providerID = byName.get(name);
    if (providerID === undefined || providerID !== providerIDOf(node)) return false;
    seen.add(name);
  }
  // Duplicate names can make equal lengths hide a difference; the name sets must match too.
  return seen.size === byName.size;
}
