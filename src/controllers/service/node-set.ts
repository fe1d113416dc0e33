/**
 * The stable node set, computed once per change of the Node cache instead of once per Service.
 *
 * Upstream lists and filters every Node for every Service in a host-update pass and on every
 * Ensure (O(services × nodes) per pass). Here the filtered set is a snapshot recomputed lazily
 * after the Node informer reported a change, shared by every Service, and stamped with a
 * generation so a slow pass can tell that a fresher set was already sent (the race upstream's
 * `TestSlowNodeSync` pins).
 *
 * @module
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { inStableNodeSet, nodesSufficientlyEqual } from './node-predicates.js';

/** One immutable snapshot of the stable node set. */
export interface NodeSet {
  /** Increases with every recomputation; a higher generation was computed from a fresher cache. */
  readonly generation: number;
  /** The backends, in cache order; frozen. */
  readonly nodes: readonly Readonly<Node>[];
}

/** The empty set every Service starts from (upstream compares against a nil list). */
export const EMPTY_NODE_SET: NodeSet = Object.freeze({ generation: 0, nodes: Object.freeze([]) });

/** Keeps the current stable node set of a Node cache. */
export class NodeSetTracker {
  readonly #list: () => readonly Readonly<Node>[];
  #current: NodeSet | undefined;
  #generation = 0;
  /** How many times the set was recomputed (for tests and benchmarks). */
  #computations = 0;

  /** @param list - reads every cached Node (e.g. `informer.list()`). */
  constructor(list: () => readonly Readonly<Node>[]) {
    this.#list = list;
  }

  /** Marks the snapshot stale; call it from every Node add, update and delete. */
  invalidate(): void {
    this.#current = undefined;
  }

  /** The current snapshot, recomputed in O(nodes) only if the cache changed since the last call. */
  current(): NodeSet {
    if (this.#current === undefined) {
      this.#computations++;
      const nodes = Object.freeze(this.#list().filter((node) => inStableNodeSet(node)));
      this.#current = Object.freeze({ generation: ++this.#generation, nodes });
    }
    return this.#current;
  }

  /** How many times the set was recomputed. */
  get computations(): number {
    return this.#computations;
  }
}

/**
 * Compares node sets by name → providerID, remembering answers per pair of snapshots: within one
 * pass every Service compares one of a handful of old snapshots with the same new one, so the
 * O(nodes) comparison runs once per distinct old snapshot, not once per Service.
 */
export class NodeSetComparer {
  readonly #memo = new Map<NodeSet, Map<NodeSet, boolean>>();

  /** Whether `a` and `b` hold the same name → providerID mapping. */
  equal(a: NodeSet, b: NodeSet): boolean {
    if (a === b) return true;
    let row = this.#memo.get(a);
    if (row === undefined) {
      row = new Map();
      this.#memo.set(a, row);
    }
    let answer = row.get(b);
    if (answer === undefined) {
      answer = nodesSufficientlyEqual(a.nodes, b.nodes);
      row.set(b, answer);
    }
    return answer;
  }
}
