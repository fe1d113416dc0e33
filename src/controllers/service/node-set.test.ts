import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { KeyedMutex } from './keyed-mutex.js';
import { LABEL_NODE_EXCLUDE_BALANCERS } from './node-predicates.js';
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
  it('compares by name → providerID and memoises per pair of snapshots', () => {
    const comparer = new NodeSetComparer();
    const a = { generation: 1, nodes: [n('a')] };
    const b = { generation: 2, nodes: [n('a')] };
    const c = { generation: 3, nodes: [n('a'), n('b')] };
    assert.equal(comparer.equal(a, b), true);
    assert.equal(comparer.equal(a, c), false);
    assert.equal(comparer.equal(EMPTY_NODE_SET, { generation: 4, nodes: [] }), true);
    // Memoised: mutating the array behind a snapshot does not change an answer already given.
    b.nodes.push(n('z'));
    assert.equal(comparer.equal(a, b), true);
  });
});

describe('KeyedMutex', () => {
  it('runs tasks of one key one at a time in order, and other keys independently', async () => {
    const mutex = new KeyedMutex();
    const log: string[] = [];
    let releaseFirst!: () => void;
    const first = mutex.run('k', async () => {
      log.push('k1 start');
      await new Promise<void>((r) => {
        releaseFirst = r;
      });
      log.push('k1 end');
    });
    const second = mutex.run('k', async () => {
      log.push('k2');
    });
    const other = mutex.run('j', async () => {
      log.push('j');
    });
    await other;
    assert.deepEqual(log, ['k1 start', 'j']);
    releaseFirst();
    await Promise.all([first, second]);
    assert.deepEqual(log, ['k1 start', 'j', 'k1 end', 'k2']);
    assert.equal(mutex.size, 0, 'no key left behind');
  });

  it('releases the key when a task throws', async () => {
    const mutex = new KeyedMutex();
    await assert.rejects(mutex.run('k', async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await mutex.run('k', async () => 42), 42);
    assert.equal(mutex.size, 0);
  });
});
