import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Lru } from './lru.js';
import type { LruEntry } from './lru.js';

class Entry implements LruEntry<Entry> {
  newer: Entry | undefined;
  older: Entry | undefined;
  constructor(
    readonly key: string,
    readonly value: number,
  ) {}
}

/** The reference: groupcache's LRU as a Map in recency order (delete and re-insert on use). */
class ReferenceLru {
  readonly map = new Map<string, number>();
  constructor(readonly max: number) {}
  get(key: string): number | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }
  add(key: string, value: number): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as string);
  }
}

describe('Lru', () => {
  it('forgets the least recently used entry, where a get counts as a use', () => {
    const lru = new Lru<Entry>(2);
    lru.add(new Entry('a', 1));
    lru.add(new Entry('b', 2));
    assert.equal(lru.peek('a')?.value, 1);
    assert.deepEqual([...lru.keys()], ['a', 'b'], 'a peek is not a use');
    assert.equal(lru.get('a')?.value, 1);
    lru.add(new Entry('c', 3));
    assert.deepEqual([...lru.keys()], ['a', 'c']);
    assert.equal(lru.get('b'), undefined);
    lru.add(new Entry('a', 4));
    assert.deepEqual([...lru.keys()], ['c', 'a'], 'replacing a key makes it the newest');
    assert.equal(lru.get('a')?.value, 4);
    assert.equal(lru.size, 2);
    assert.throws(() => new Lru<Entry>(0), /capacity/);
  });

  it('answers as the Map-ordered reference does for any sequence of gets and adds', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('add' as const), key: fc.integer({ min: 0, max: 9 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('re-add' as const), key: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), (max, ops) => {
        const lru = new Lru<Entry>(max);
        const reference = new ReferenceLru(max);
        for (const o of ops) {
          const key = `k${o.key}`;
          if (o.kind === 'get') assert.equal(lru.get(key)?.value, reference.get(key));
          else if (o.kind === 'add') {
            lru.add(new Entry(key, o.value));
            reference.add(key, o.value);
          } else {
            // The held entry itself added again (the correlator updates its records in place).
            const held = lru.get(key);
            reference.get(key);
            if (held !== undefined) {
              lru.add(held);
              reference.add(key, held.value);
            }
          }
          assert.deepEqual([...lru.keys()], [...reference.map.keys()]);
          assert.equal(lru.size, reference.map.size);
        }
      }),
    );
  });
});
