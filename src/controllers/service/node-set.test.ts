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

  it('shares one Backends object while names and providerIDs stay the same, and it holds only the newest snapshot', () => {
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
    assert.equal(first.backends.nodes, second.nodes, 'the mapping refers to the newest snapshot, so older ones can be collected');
    // A providerID change: a new mapping, told apart by its digest.
    tracker.upsert(n('b', {}, 'p://b2'));
    const third = tracker.current();
    assert.notEqual(third.backends, first.backends);
    assert.notEqual(third.backends.digest, first.backends.digest);
    assert.deepEqual(Object.keys(third.sent).sort(), ['backends', 'generation'], 'a sent set is remembered without its snapshot');
    assert.equal(tracker.current().sent, third.sent, 'one shared object per snapshot');
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
    assert.equal(new NodeSetComparer().equal(before, after), true, 'the same mapping as before');
  });

  it('matches a full recomputation after any sequence of Node events (property)', () => {
    const nameArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    const event = fc.oneof(
      fc.record({ op: fc.constant('upsert' as const), name: nameArb, pid: fc.constantFrom('', 'x', 'y'), excluded: fc.boolean(), tainted: fc.boolean(), deleting: fc.boolean() }),
      fc.record({ op: fc.constant('remove' as const), name: nameArb }),
      fc.record({ op: fc.constant('snapshot' as const) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (events) => {
        const tracker = new NodeSetTracker();
        const cache = new Map<string, Node>();
        const comparer = new NodeSetComparer();
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
          } else {
            taken.push(tracker.current());
          }
        }
        const set = tracker.current();
        const want = [...cache.values()].filter(inStableNodeSet);
        assert.deepEqual(names(set.nodes), names(want));
        assert.equal(set.backends.digest, backendsDigest(want));
        assert.equal(set.backends.size, want.length);
        for (const old of taken) assert.equal(comparer.equal(old, set), nodesSufficientlyEqual(old.nodes, set.nodes));
      }),
    );
  });
});

describe('NodeSetComparer', () => {
  const backends = (nodes: Node[]): Backends => ({ digest: backendsDigest(nodes), size: nodes.length, nodes });
  it('compares by name → providerID, in O(1) unless two different mappings have equal digests', () => {
    const comparer = new NodeSetComparer();
    const a = { generation: 1, backends: backends([n('a')]) };
    const b = { generation: 2, backends: backends([n('a')]) };
    const c = { generation: 3, backends: backends([n('a'), n('b')]) };
    assert.equal(comparer.equal(a, b), true);
    assert.equal(comparer.equal(a, c), false);
    assert.equal(comparer.equal(EMPTY_NODE_SET, { generation: 4, backends: backends([]) }), true);
    assert.equal(comparer.equal(c, { generation: 5, backends: backends([n('b'), n('a')]) }), true, 'order does not matter');
    assert.equal(comparer.equal(c, { generation: 6, backends: backends([n('a'), n('b', {}, 'other')]) }), false);
  });

  it('decides equal digests by the exact comparison, once per pair of mappings', () => {
    let reads = 0;
    const counted = (nodes: Node[], digest: number): Backends => ({
      digest,
      size: nodes.length,
      get nodes() {
        reads++;
        return nodes;
      },
    });
    const comparer = new NodeSetComparer();
    // A forged collision: same size, same digest, different mappings.
    const x = counted([n('a')], 7);
    const y = counted([n('b')], 7);
    assert.equal(comparer.equalBackends(x, y), false);
    assert.equal(comparer.equalBackends(x, y), false);
    assert.equal(reads, 2, 'both mappings read once, then remembered');
    assert.equal(comparer.equalBackends(x, counted([n('a')], 8)), false, 'different digests: no read');
    assert.equal(reads, 2);
  });
});
