import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ResourceStore } from './store.js';
import type { StoredChange } from './store.js';
import type { JsonObject } from '../json-value.js';

const obj = (name: string, rv: number, extra: JsonObject = {}): JsonObject => ({ metadata: { name, resourceVersion: String(rv) }, ...extra });

function change(rv: number, type: StoredChange['type'], key: string, object: JsonObject, prev?: JsonObject): StoredChange {
  return { rv, type, key, object, prev };
}

describe('ResourceStore', () => {
  it('keeps current objects sorted by key', () => {
    const store = new ResourceStore(10, 1);
    store.commit(change(2, 'ADDED', 'ns/b', obj('b', 2)));
    store.commit(change(3, 'ADDED', 'ns-x/a', obj('a', 3)));
    store.commit(change(4, 'ADDED', 'ns/a', obj('a', 4)));
    assert.deepEqual(
      store.entries().map(([k]) => k),
      ['ns-x/a', 'ns/a', 'ns/b'],
    );
  });

  it('returns the changes after a version and undefined once they were evicted', () => {
    const store = new ResourceStore(2, 1);
    store.commit(change(2, 'ADDED', 'a', obj('a', 2)));
    store.commit(change(3, 'ADDED', 'b', obj('b', 3)));
    store.commit(change(5, 'ADDED', 'c', obj('c', 5)));
    assert.equal(store.historyStart, 2);
    assert.equal(store.changesSince(1), undefined);
    assert.deepEqual(
      store.changesSince(2)?.map((c) => c.rv),
      [3, 5],
    );
    assert.deepEqual(store.changesSince(5), []);
  });

  it('keeps the last historyLimit changes whole, across any number of wraps, as a list would (property)', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom('a', 'b')), { maxLength: 40 }), fc.nat(40), (limit, steps, compactAfter) => {
        const store = new ResourceStore(limit, 1);
        // The reference: a list trimmed from the front, as the history was kept before.
        let reference: StoredChange[] = [];
        let start = 1;
        let rv = 1;
        steps.forEach(([gap, key], i) => {
          rv += gap;
          const c = change(rv, 'MODIFIED', key, obj(key, rv), obj(key, rv - gap));
          store.commit(c);
          reference.push(c);
          while (reference.length > limit) start = (reference.shift() as StoredChange).rv;
          if (i === compactAfter) {
            store.compact(rv);
            reference = [];
            start = Math.max(start, rv);
          }
          assert.equal(store.historyStart, start);
          for (let from = start; from <= rv; from++) assert.deepEqual(store.changesSince(from), reference.filter((r) => r.rv > from));
          assert.equal(store.changesSince(start - 1), undefined);
        });
      }),
      { numRuns: 200 },
    );
  });

  it('forgets all history on compact', () => {
    const store = new ResourceStore(10, 1);
    store.commit(change(2, 'ADDED', 'a', obj('a', 2)));
    store.compact(7);
    assert.equal(store.changesSince(6), undefined);
    assert.deepEqual(store.changesSince(7), []);
    assert.equal(store.size, 1);
  });

  it('rebuilds the state at an older version by undoing later changes (property)', () => {
    // Random histories of adds, updates and deletes over a few keys: the state rebuilt at every
    // version equals the state recorded while writing.
    const op = fc.record({ key: fc.constantFrom('a', 'b', 'c'), del: fc.boolean(), value: fc.nat(5) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const store = new ResourceStore(100, 1);
        const states = new Map<number, string>();
        const current = new Map<string, JsonObject>();
        const render = (entries: readonly (readonly [string, JsonObject])[]): string => JSON.stringify(entries);
        states.set(1, render([]));
        let rv = 1;
        for (const { key, del, value } of ops) {
          const prev = current.get(key);
          if (del && prev === undefined) continue;
          rv++;
          if (del && prev !== undefined) {
            store.commit(change(rv, 'DELETED', key, prev, prev));
            current.delete(key);
          } else {
            const next = obj(key, rv, { value });
            store.commit(change(rv, prev === undefined ? 'ADDED' : 'MODIFIED', key, next, prev));
            current.set(key, next);
          }
          states.set(rv, render(store.entries()));
        }
        for (const [at, expected] of states) assert.equal(render(store.entriesAt(at) ?? []), expected);
      }),
      { numRuns: 100 },
    );
  });
});
