/**
 * The stable node set, kept incrementally from the Node informer's events instead of being
 * recomputed from the whole cache.
 *
 * Upstream lists and filters every Node for every Service in a host-update pass and on every
 * Ensure (O(services × nodes) per pass, and a pass per Node event), and remembers the list it sent
 * to each Service (O(services × nodes) memory once Ensures have seen many different sets). Here
 * every Node event updates the set in O(1) — a map name → position, and an order-independent
 * digest of the name → providerID pairs — and a snapshot (a frozen copy of the set, O(nodes)
 * pointer copies) is taken only when an Ensure or a pass asks for the set after a change.
 * Snapshots carry a generation so a slow pass can tell that a fresher set was already sent (the
 * race upstream's `TestSlowNodeSync` pins), and share one {@link Backends} object while the mapping
 * stays the same, so most comparisons are identity checks and the rest are decided by the digest
 * in O(1).
 *
 * What is remembered of a sent set is its {@link Backends}: a version, a size and a digest, never
 * the Nodes. The rare comparison the digest cannot decide (a mapping that came back, or a hash
 * collision) is answered exactly from the tracker's log of mapping changes between the two
 * versions, so memory stays O(nodes + changes) however many different sets were sent.
 *
 * @module
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { inStableNodeSet, nodeBackendHash, providerIDOf } from './node-predicates.js';

/**
 * One name → providerID mapping of the set: every snapshot taken while the mapping does not change
 * shares this object (a Node's status, conditions or labels changing leaves it alone).
 */
export interface Backends {
  /** Sum of the backends' hashes modulo 2^32 (order-independent; equal mappings ⇒ equal digests). */
  readonly digest: number;
  /** Number of backends. */
  readonly size: number;
  /**
   * How many mapping changes (a join, a leave, a providerID change) the tracker had seen when
   * this mapping was taken: the key into its change log for an exact comparison.
   */
  readonly version: number;
}

/** What is remembered of a set once sent to the provider (upstream `lastSyncedNodes`). */
export interface SentNodeSet {
  /** Increases with every snapshot; a higher generation was taken from a fresher state. */
  readonly generation: number;
  /** The mapping the snapshot held. */
  readonly backends: Backends;
}

/** One immutable snapshot of the stable node set. */
export interface NodeSet extends SentNodeSet {
  /** The backends, frozen, in no particular order (upstream's lister order is a map's). */
  readonly nodes: readonly Readonly<Node>[];
  /** This set as remembered once sent (one shared object per snapshot). */
  readonly sent: SentNodeSet;
}

/** One entry of the change log: `name`'s providerID before and after (`undefined`: not in the set). */
interface MappingChange {
  readonly name: string;
  readonly from: string | undefined;
  readonly to: string | undefined;
}

/**
 * Changes kept beyond those a live sent set needs: past this, the oldest are dropped and a
 * comparison reaching back before them answers "different" (one UpdateLoadBalancer too many,
 * never one too few).
 */
const MIN_RETAINED_CHANGES = 4096;

const NO_NODES: readonly Readonly<Node>[] = Object.freeze([]);

function nodeSet(generation: number, nodes: readonly Readonly<Node>[], backends: Backends): NodeSet {
  const sent: SentNodeSet = Object.freeze({ generation, backends });
  return Object.freeze({ generation, nodes, backends, sent });
}

/** The empty set every Service starts from (upstream compares against a nil list). */
export const EMPTY_NODE_SET: NodeSet = nodeSet(0, NO_NODES, Object.freeze({ digest: 0, size: 0, version: 0 }));

/**
 * Keeps the stable node set of a Node cache, fed with every add, update and delete the informer
 * reports (a resync's update with an unchanged object costs nothing).
 *
 * @example
 * ```ts
 * const tracker = new NodeSetTracker();
 * informer.addEventHandler({ onAdd: (n) => tracker.upsert(n), onUpdate: (_o, n) => tracker.upsert(n), onDelete: (n) => tracker.remove(objectFromTombstone(n)) });
 * const { nodes } = tracker.current();
 * ```
 */
export class NodeSetTracker {
  /** The backends, in no particular order (a removal moves the last one into the gap). */
  #nodes: Readonly<Node>[] = [];
  /** Name → position in {@link #nodes}. */
  #positions = new Map<string, number>();
  #digest = 0;
  /** The mapping of the last snapshot; `undefined` when the mapping changed since. */
  #backends: Backends | undefined;
  /** Mapping changes seen so far (the version of the current mapping). */
  #version = 0;
  /** The log of mapping changes; entry `i` made version `#logStart + i + 1`. */
  #log: MappingChange[] = [];
  #logStart = 0;
  #current: NodeSet | undefined = EMPTY_NODE_SET;
  #generation = 0;
  /** How many snapshots were taken (for tests and benchmarks). */
  #snapshots = 0;

  /** Forgets every Node (before a handler registration replays the cache as adds). */
  clear(): void {
    if (this.#nodes.length === 0) return;
    for (const node of this.#nodes) this.#logChange(node.metadata?.name ?? '', providerIDOf(node), undefined);
    this.#nodes = [];
    this.#positions = new Map();
    this.#digest = 0;
    this.#changed(true);
  }

  /** A Node was added or updated: it joins, stays in (possibly with a new providerID) or leaves the set. O(1). */
  upsert(node: Readonly<Node>): void {
    const name = node.metadata?.name ?? '';
    const at = this.#positions.get(name);
    const included = inStableNodeSet(node);
    if (at === undefined) {
      if (!included) return;
      this.#positions.set(name, this.#nodes.length);
      this.#nodes.push(node);
      this.#digest = (this.#digest + nodeBackendHash(node)) >>> 0;
      this.#logChange(name, undefined, providerIDOf(node));
      this.#changed(true);
      return;
    }
    const old = this.#nodes[at] as Readonly<Node>;
    if (old === node) return; // a resync: the same object again
    if (!included) {
      this.#removeAt(at, name, old);
      return;
    }
    this.#nodes[at] = node;
    const providerIDChanged = providerIDOf(old) !== providerIDOf(node);
    if (providerIDChanged) {
      this.#digest = (this.#digest - nodeBackendHash(old) + nodeBackendHash(node)) >>> 0;
      this.#logChange(name, providerIDOf(old), providerIDOf(node));
    }
    // Even when the mapping stays, the next snapshot carries the new object (its addresses, say).
    this.#changed(providerIDChanged);
  }

  /** A Node was deleted (pass the object of a tombstone). O(1). */
  remove(node: Readonly<Node>): void {
    const name = node.metadata?.name ?? '';
    const at = this.#positions.get(name);
    if (at !== undefined) this.#removeAt(at, name, this.#nodes[at] as Readonly<Node>);
  }

  #removeAt(at: number, name: string, old: Readonly<Node>): void {
    const last = this.#nodes.pop() as Readonly<Node>;
    if (at < this.#nodes.length) {
      this.#nodes[at] = last;
      this.#positions.set(last.metadata?.name ?? '', at);
    }
    this.#positions.delete(name);
    this.#digest = (this.#digest - nodeBackendHash(old)) >>> 0;
    this.#logChange(name, providerIDOf(old), undefined);
    this.#changed(true);
  }

  #logChange(name: string, from: string | undefined, to: string | undefined): void {
    this.#version++;
    this.#log.push({ name, from, to });
    // Bounded whatever the caller forgets to release: see MIN_RETAINED_CHANGES.
    const cap = 4 * (this.#nodes.length + MIN_RETAINED_CHANGES);
    if (this.#log.length > 2 * cap) this.#dropLog(this.#log.length - cap);
  }

  #dropLog(count: number): void {
    this.#log.splice(0, count);
    this.#logStart += count;
  }

  /**
   * Lets the log forget the changes that only comparisons with mappings older than `version` would
   * read; the owner calls it with the oldest version it still remembers (O(changes dropped)).
   */
  releaseChangesBefore(version: number): void {
    const count = Math.min(version, this.#version) - this.#logStart;
    if (count > 0) this.#dropLog(count);
  }

  /** Number of mapping changes held in the log (for tests). */
  get retainedChanges(): number {
    return this.#log.length;
  }

  /**
   * Whether two mappings taken from this tracker are the same, exactly: the changes between their
   * versions must cancel out name by name. `false` when the log no longer reaches back to the
   * older one (conservative: the caller then sends an update it may not have needed).
   */
  sameMapping(a: Backends, b: Backends): boolean {
    if (a === b) return true;
    if (a.size !== b.size) return false;
    if (a.size === 0) return true;
    const [older, newer] = a.version <= b.version ? [a, b] : [b, a];
    if (older.version < this.#logStart || newer.version > this.#version) return false;
    const before = new Map<string, string | undefined>();
    const after = new Map<string, string | undefined>();
    for (let v = older.version; v < newer.version; v++) {
      const change = this.#log[v - this.#logStart] as MappingChange;
      if (!before.has(change.name)) before.set(change.name, change.from);
      after.set(change.name, change.to);
    }
    for (const [name, from] of before) if (after.get(name) !== from) return false;
    return true;
  }

  #changed(mapping: boolean): void {
    this.#current = undefined;
    if (mapping) this.#backends = undefined;
  }

  /** Number of Nodes in the set now (O(1), no snapshot). */
  get size(): number {
    return this.#nodes.length;
  }

  /** The current snapshot; a new one (O(nodes) pointer copies) only if the set changed since the last call. */
  current(): NodeSet {
    if (this.#current === undefined) {
      this.#snapshots++;
      const nodes = Object.freeze(this.#nodes.slice());
      this.#backends ??= Object.freeze({ digest: this.#digest, size: nodes.length, version: this.#version });
      this.#current = nodeSet(++this.#generation, nodes, this.#backends);
    }
    return this.#current;
  }

  /** A comparer for the mappings of this tracker, for one pass. */
  comparer(): NodeSetComparer {
    return new NodeSetComparer((a, b) => this.sameMapping(a, b));
  }

  /** How many snapshots were taken. */
  get computations(): number {
    return this.#snapshots;
  }
}

/**
 * Compares node sets by name → providerID: by identity of their {@link Backends}, then size and
 * digest (O(1)); only two different mappings with equal digests — a mapping that came back, or a
 * hash collision — get the exact comparison ({@link NodeSetTracker.sameMapping}), remembered per
 * pair for the comparer's life (one pass).
 */
export class NodeSetComparer {
  readonly #memo = new Map<Backends, Map<Backends, boolean>>();
  readonly #exact: (a: Backends, b: Backends) => boolean;

  /** `exact` decides two different mappings with equal sizes and digests. */
  constructor(exact: (a: Backends, b: Backends) => boolean) {
    this.#exact = exact;
  }

  /** Whether `x` and `y` hold the same name → providerID mapping (upstream `nodesSufficientlyEqual`). */
  equal(x: SentNodeSet, y: SentNodeSet): boolean {
    return this.equalBackends(x.backends, y.backends);
  }

  /** {@link equal} on two mappings. */
  equalBackends(a: Backends, b: Backends): boolean {
    if (a === b) return true;
    if (a.size !== b.size || a.digest !== b.digest) return false;
    let row = this.#memo.get(a);
    if (row === undefined) {
      row = new Map();
      this.#memo.set(a, row);
    }
    let answer = row.get(b);
    if (answer === undefined) {
      answer = this.#exact(a, b);
      row.set(b, answer);
    }
    return answer;
  }
}
