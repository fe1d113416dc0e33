import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node } from 'kubernetes-types/core/v1.js';
import { TO_BE_DELETED_TAINT } from '../../cloud/constants.js';
import { LABEL_NODE_EXCLUDE_BALANCERS, backendsDigest, inStableNodeSet, nodesSufficientlyEqual } from './node-predicates.js';
import { EMPTY_NODE_SET, NodeSetComparer, NodeSetTracker } from './node-set.js';
import type { Backends } from './node-set.js';

const n = (name: string, labels: Record<string, string> = {}, providerID = `p://${name}`): Node => ({ metadata: { name, labels }, spec: { providerID } });
const names = (nodes: readonly Readonly<Node>[]): string[] => nodes.map((x) => x.metadata?.name ?? '').sort();

describe('NodeSetTracker', () => {
  it('keeps the included Nodes from adds, updates and deletes, one snapshot per change', () => {
    const tracker = new NodeSetTracker();
    assert.equal(tracker.current(), EMPTY_NODE_SET);
    tracker.upsert(n('a'));
    tracker.upsert(n('b', { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' }));
    const first = tracker.current();
    assert.deepEqual(names(first.nodes), ['a']);
    assert.equal(tracker.current(), first, 'same snapshot while nothing changed');
    tracker.upsert(n('c'));
    tracker.upsert(n('b'));
    const second = tracker.current();
    assert.ok(second.generation > first.generation);
    assert.deepEqual(names(second.nodes), ['a', 'b', 'c']);
    assert.deepEqual(names(first.nodes), ['a'], 'an earlier snapshot never changes');
    tracker.remove(n('a'));
    tracker.upsert({ ...n('c'), spec: { providerID: 'p://c', taints: [{ key: TO_BE_DELETED_TAINT, effect: 'NoSchedule' }] } });
    tracker.remove(n('never-seen'));
    assert.deepEqual(names(tracker.current().nodes), ['b']);
    assert.equal(tracker.size, 1);
    assert.equal(tracker.computations, 3);
  });

  it('a resync (the same object again) or a change to a Node outside the set takes no new snapshot', () => {
    const tracker = new NodeSetTracker();
    const a = n('a');
    tracker.upsert(a);
    tracker.upsert(n('x', { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' }));
    const first = tracker.current();
    tracker.upsert(a);
    tracker.upsert(n('x', { [LABEL_NODE_EXCLUDE_BALANCERS]: 'yes' }));
    tracker.remove(n('x'));
    assert.equal(tracker.current(), first);
    assert.equal(tracker.computations, 1);
  });

  it('snapshots are frozen private copies', () => {
    const tracker = new NodeSetTracker();
    tracker.upsert(n('a'));
    const set = tracker.current();
    assert.ok(Object.isFrozen(set) && Object.isFrozen(set.nodes) && Object.isFrozen(set.sent));
    tracker.upsert(n('b'));
    assert.equal(set.nodes.length, 1);
  });

  it('shares one Backends object while names and providerIDs stay the same, and it holds no Nodes', () => {
    const tracker = new NodeSetTracker();
    tracker.upsert(n('a'));
    tracker.upsert(n('b'));
    const first = tracker.current();
    assert.deepEqual({ digest: first.backends.digest, size: first.backends.size }, { digest: backendsDigest([n('a'), n('b')]), size: 2 });
    // A status-only change: a new set (new Node objects), the same mapping.
    tracker.upsert({ ...n('a'), status: { phase: 'Running' } });
    const second = tracker.current();
    assert.notEqual(second, first);
    assert.ok(second.generation > first.generation);
    assert.equal(second.backends, first.backends);
    // What is remembered of a sent set must not pin a snapshot: 10,000 Services each sent a
    // different set while Nodes joined would otherwise hold 10,000 lists of up to 10,000 Nodes.
    assert.deepEqual(Object.keys(first.backends).sort(), ['digest', 'size', 'version']);
    // A providerID change: a new mapping, told apart by its digest.
    tracker.upsert(n('b', {}, 'p://b2'));
    const third = tracker.current();
    assert.notEqual(third.backends, first.backends);
    assert.notEqual(third.backends.digest, first.backends.digest);
    assert.ok(third.backends.version > first.backends.version);
    assert.deepEqual(Object.keys(third.sent).sort(), ['backends', 'generation'], 'a sent set is remembered without its snapshot');
    assert.equal(tracker.current().sent, third.sent, 'one shared object per snapshot');
  });

  it('decides a mapping that came back exactly, from the change log, and forgets released changes', () => {
    const tracker = new NodeSetTracker();
    tracker.upsert(n('a'));
    tracker.upsert(n('b'));
    const before = tracker.current().backends;
    tracker.remove(n('b'));
    const without = tracker.current().backends;
    tracker.upsert(n('b'));
    const back = tracker.current().backends;
    tracker.upsert(n('b', {}, 'p://elsewhere'));
    tracker.upsert(n('c'));
    tracker.remove(n('c'));
    const moved = tracker.current().backends;
    assert.notEqual(back, before, 'a new Backends object');
    assert.equal(tracker.sameMapping(before, back), true);
    assert.equal(tracker.sameMapping(back, before), true, 'symmetric');
    assert.equal(tracker.sameMapping(before, without), false);
    assert.equal(tracker.sameMapping(before, moved), false, 'same size, b moved to another providerID');
    assert.equal(tracker.retainedChanges, 7);
    tracker.releaseChangesBefore(back.version);
    assert.equal(tracker.retainedChanges, 3);
    assert.equal(tracker.sameMapping(back, moved), false, 'still decidable after the release');
    // Beyond the log: "different" (one update too many), never "same" on a guess.
    assert.equal(tracker.sameMapping(before, back), false);
    assert.equal(tracker.sameMapping(EMPTY_NODE_SET.backends, { digest: 0, size: 0, version: 99 }), true, 'two empty sets need no log');
  });

  it('bounds its change log even when nothing is released (property: never a wrong "same")', () => {
    const tracker = new NodeSetTracker();
    tracker.upsert(n('a'));
    const first = tracker.current().backends;
    // Flapping far past the bound: the log stays bounded.
    for (let i = 0; i < 20_000; i++) {
      tracker.remove(n('b'));
      tracker.upsert(n('b'));
    }
    tracker.remove(n('b'));
    assert.ok(tracker.retainedChanges <= 2 * 4 * (1 + 4096), `log holds ${tracker.retainedChanges}`);
    assert.equal(tracker.sameMapping(first, tracker.current().backends), false, 'the old end is gone: conservatively different');
  });

  it('clear() forgets every Node (a handler registered again replays the cache)', () => {
    const tracker = new NodeSetTracker();
    tracker.upsert(n('a'));
    const before = tracker.current();
    tracker.clear();
    assert.deepEqual(tracker.current().nodes, []);
    tracker.upsert(n('a'));
    const after = tracker.current();
    assert.notEqual(after.backends, before.backends);
    assert.equal(tracker.comparer().equal(before, after), true, 'the same mapping as before');
  });

  it('matches a full recomputation, and its exact comparison upstream\'s, after any sequence of Node events (property)', () => {
    const nameArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const event = fc.oneof(
      fc.record({ op: fc.constant('upsert' as const), name: nameArb, pid: fc.constantFrom('', 'x', 'y'), excluded: fc.boolean(), tainted: fc.boolean(), deleting: fc.boolean() }),
      fc.record({ op: fc.constant('remove' as const), name: nameArb }),
      fc.record({ op: fc.constant('snapshot' as const) }),
      fc.record({ op: fc.constant('clear' as const) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const tracker = new NodeSetTracker();
        const cache = new Map<string, Node>();
        const comparer = tracker.comparer();
        const taken = [EMPTY_NODE_SET];
        for (const e of events) {
          if (e.op === 'upsert') {
            const node: Node = {
              metadata: { name: e.name, labels: e.excluded ? { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' } : {}, ...(e.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
              spec: { providerID: e.pid, ...(e.tainted ? { taints: [{ key: TO_BE_DELETED_TAINT, effect: 'NoSchedule' }] } : {}) },
            };
            cache.set(e.name, node);
            tracker.upsert(node);
          } else if (e.op === 'remove') {
            const node = cache.get(e.name);
            cache.delete(e.name);
            if (node !== undefined) tracker.remove(node);
          } else if (e.op === 'clear') {
            cache.clear();
            tracker.clear();
          } else {
            taken.push(tracker.current());
          }
        }
        const set = tracker.current();
        const want = [...cache.values()].filter(inStableNodeSet);
        assert.deepEqual(names(set.nodes), names(want));
        assert.equal(set.backends.digest, backendsDigest(want));
        assert.equal(set.backends.size, want.length);
        for (const old of taken) {
          const want = nodesSufficientlyEqual(old.nodes, set.nodes);
          assert.equal(comparer.equal(old, set), want);
          // The exact comparison itself, which the digest usually spares.
          assert.equal(tracker.sameMapping(old.backends, set.backends), want);
        }
      }),
    );
  });
});

describe('NodeSetComparer', () => {
  let version = 0;
  const backends = (nodes: Node[]): Backends => ({ digest: backendsDigest(nodes), size: nodes.length, version: ++version });
  const byNames = new Map<Backends, Node[]>();
  const exactByNames = (a: Backends, b: Backends): boolean => nodesSufficientlyEqual(byNames.get(a) ?? [], byNames.get(b) ?? []);
  const remembered = (nodes: Node[]): Backends => {
    const made = backends(nodes);
    byNames.set(made, nodes);
    return made;
  };

  it('compares by name → providerID, in O(1) unless two different mappings have equal digests', () => {
    const comparer = new NodeSetComparer(exactByNames);
    const a = { generation: 1, backends: remembered([n('a')]) };
    const b = { generation: 2, backends: remembered([n('a')]) };
    const c = { generation: 3, backends: remembered([n('a'), n('b')]) };
    assert.equal(comparer.equal(a, b), true);
    assert.equal(comparer.equal(a, c), false);
    assert.equal(comparer.equal(EMPTY_NODE_SET, { generation: 4, backends: remembered([]) }), true);
    assert.equal(comparer.equal(c, { generation: 5, backends: remembered([n('b'), n('a')]) }), true, 'order does not matter');
    assert.equal(comparer.equal(c, { generation: 6, backends: remembered([n('a'), n('b', {}, 'other')]) }), false);
  });

  it('decides equal digests by the exact comparison, once per pair of mappings', () => {
    let asked = 0;
    const comparer = new NodeSetComparer(() => {
      asked++;
      return false;
    });
    // A forged collision: same size, same digest, different mappings.
    const x: Backends = { digest: 7, size: 1, version: 1 };
    const y: Backends = { digest: 7, size: 1, version: 2 };
    assert.equal(comparer.equalBackends(x, y), false);
    assert.equal(comparer.equalBackends(x, y), false);
    assert.equal(asked, 1, 'asked once, then remembered');
    assert.equal(comparer.equalBackends(x, { digest: 8, size: 1, version: 3 }), false, 'different digests: not asked');
    assert.equal(asked, 1);
  });
});
