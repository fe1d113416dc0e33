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
import { backendsDigest, backendsSufficientlyEqual, nodeBackends } from './node-predicates.js';
import type { NodeBackends } from './node-predicates.js';
import { inStableNodeSet } from './node-predicates.js';

/**
 * What is remembered of a set once sent to the provider (upstream `lastSyncedNodes`): its
 * generation and its names and providerIDs — not its Node objects, which would keep a whole
 * generation of the Node cache alive per distinct set still remembered.
 */
export interface SentNodeSet {
  /** Increases with every recomputation; a higher generation was computed from a fresher cache. */
  readonly generation: number;
  /** Names and providerIDs in cache order; shared by consecutive sets that do not differ in them. */
  readonly backends: NodeBackends;
}

/** One immutable snapshot of the stable node set. */
export interface NodeSet extends SentNodeSet {
  /** The backends, in cache order; frozen. */
  readonly nodes: readonly Readonly<Node>[];
  /** This set as remembered once sent (one shared object per snapshot). */
  readonly sent: SentNodeSet;
}

function nodeSet(generation: number, nodes: readonly Readonly<Node>[], backends: NodeBackends): NodeSet {
  const sent: SentNodeSet = Object.freeze({ generation, backends });
  return Object.freeze({ generation, nodes, backends, sent });
}

/** The empty set every Service starts from (upstream compares against a nil list). */
export const EMPTY_NODE_SET: NodeSet = nodeSet(0, Object.freeze([]), nodeBackends([]));

/** Keeps the current stable node set of a Node cache. */
export class NodeSetTracker {
  readonly #list: () => readonly Readonly<Node>[];
  #current: NodeSet | undefined;
  #backends: NodeBackends | undefined;
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
      // One pass: filter, collect names and providerIDs, and compare them with the last set's.
      const nodes: Readonly<Node>[] = [];
      const names: string[] = [];
      const providerIDs: string[] = [];
      const prev = this.#backends;
      let same = prev !== undefined;
      for (const node of this.#list()) {
        if (!inStableNodeSet(node)) continue;
        const name = node.metadata?.name ?? '';
        const providerID = node.spec?.providerID ?? '';
        if (same && (prev?.names[nodes.length] !== name || prev.providerIDs[nodes.length] !== providerID)) same = false;
        nodes.push(node);
        names.push(name);
        providerIDs.push(providerID);
      }
      // Most Node changes (status, conditions, labels) leave names and providerIDs alone: share
      // the previous backends, so remembered sets stay few and compare by identity.
      // Names are the cache's keys, so unique: the digest lets a changed set be told apart in O(1)
      // — without it, every Node change during a rollout costs O(nodes) per remembered set.
      const backends =
        same && prev !== undefined && prev.names.length === nodes.length
          ? prev
          : Object.freeze({ names: Object.freeze(names), providerIDs: Object.freeze(providerIDs), digest: backendsDigest(names, providerIDs) });
      this.#backends = backends;
      this.#current = nodeSet(++this.#generation, Object.freeze(nodes), backends);
    }
    return this.#current;
  }

  /** How many times the set was recomputed. */
  get computations(): number {
    return this.#computations;
  }
}

/**
 * Compares node sets by name → providerID, remembering answers per pair of backends: within one
 * pass every Service compares one of a handful of old sets with the same new one, so the O(nodes)
 * comparison runs once per distinct old set, not once per Service.
 */
export class NodeSetComparer {
  readonly #memo = new Map<NodeBackends, Map<NodeBackends, boolean>>();

  /** Whether `a` and `b` hold the same name → providerID mapping. */
  equal(x: SentNodeSet, y: SentNodeSet): boolean {
    const a = x.backends;
    const b = y.backends;
    if (a === b) return true;
    let row = this.#memo.get(a);
    if (row === undefined) {
      row = new Map();
      this.#memo.set(a, row);
    }
    let answer = row.get(b);
    if (answer === undefined) {
      answer = backendsSufficientlyEqual(a, b);
      row.set(b, answer);
    }
    return answer;
  }
}
