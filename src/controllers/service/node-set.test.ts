import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { LABEL_NODE_EXCLUDE_BALANCERS, backendsDigest, nodeBackends } from './node-predicates.js';
import { EMPTY_NODE_SET, NodeSetComparer, NodeSetTracker } from './node-set.js';

const n = (name: string, labels: Record<string, string> = {}): Node => ({ metadata: { name, labels }, spec: { providerID: `p://${name}` } });

describe('NodeSetTracker', () => {
  it('computes the set once until invalidated, and stamps a higher generation each time', () => {
    let nodes = [n('a'), n('b', { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' })];
    let lists = 0;
    const tracker = new NodeSetTracker(() => {
      lists++;
      return nodes;
    });
    const first = tracker.current();
    assert.deepEqual(first.nodes.map((x) => x.metadata?.name), ['a']);
    assert.equal(tracker.current(), first, 'same snapshot while nothing changed');
    assert.equal(lists, 1);
    nodes = [...nodes, n('c')];
    tracker.invalidate();
    const second = tracker.current();
    assert.ok(second.generation > first.generation);
    assert.deepEqual(second.nodes.map((x) => x.metadata?.name), ['a', 'c']);
    assert.equal(tracker.computations, 2);
  });
});

describe('NodeSetComparer', () => {
  it('compares by name → providerID and memoises per pair of backends', () => {
    const comparer = new NodeSetComparer();
    const a = { generation: 1, backends: nodeBackends([n('a')]) };
    const b = { generation: 2, backends: nodeBackends([n('a')]) };
    const c = { generation: 3, backends: nodeBackends([n('a'), n('b')]) };
    assert.equal(comparer.equal(a, b), true);
    assert.equal(comparer.equal(a, c), false);
    assert.equal(comparer.equal(EMPTY_NODE_SET, { generation: 4, backends: nodeBackends([]) }), true);
    assert.equal(comparer.equal(c, { generation: 5, backends: nodeBackends([n('b'), n('a')]) }), true, 'order does not matter');
    assert.equal(comparer.equal(c, { generation: 6, backends: nodeBackends([n('a'), { metadata: { name: 'b' }, spec: { providerID: 'other' } }]) }), false);
  });
});

describe('NodeSetTracker backends', () => {
  it('shares one frozen backends object while names and providerIDs stay the same', () => {
    let nodes: Node[] = [n('a'), n('b')];
    const tracker = new NodeSetTracker(() => nodes);
    const first = tracker.current();
    assert.ok(Object.isFrozen(first.backends) && Object.isFrozen(first.backends.names) && Object.isFrozen(first.backends.providerIDs));
    assert.deepEqual(first.backends, { names: ['a', 'b'], providerIDs: ['p://a', 'p://b'], digest: backendsDigest(['a', 'b'], ['p://a', 'p://b']) });
    // A status-only change: a new set (new Node objects), the same backends.
    nodes = [{ ...n('a'), status: { phase: 'Running' } }, n('b')];
    tracker.invalidate();
    const second = tracker.current();
    assert.notEqual(second, first);
    assert.ok(second.generation > first.generation);
    assert.equal(second.backends, first.backends);
    // A providerID change: new backends.
    nodes = [n('a'), { metadata: { name: 'b' }, spec: { providerID: 'p://b2' } }];
    tracker.invalidate();
    const third = tracker.current();
    assert.notEqual(third.backends, first.backends);
    assert.deepEqual(third.backends.providerIDs, ['p://a', 'p://b2']);
    assert.notEqual(third.backends.digest, first.backends.digest, 'a changed mapping is told apart by its digest');
  });

  it('remembers a sent set without its Node objects', () => {
    const tracker = new NodeSetTracker(() => [n('a')]);
    const set = tracker.current();
    assert.deepEqual(Object.keys(set.sent).sort(), ['backends', 'generation']);
    assert.equal(set.sent.generation, set.generation);
    assert.equal(set.sent.backends, set.backends);
    assert.equal(tracker.current().sent, set.sent, 'one shared object per snapshot');
  });
});
