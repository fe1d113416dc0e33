import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deepFreeze } from './deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes nested objects and arrays so writes throw', () => {
    const value = deepFreeze({ metadata: { labels: { a: '1' } }, list: [{ x: 1 }] });
    assert.throws(() => {
      (value.metadata.labels as Record<string, string>)['b'] = '2';
    }, TypeError);
    assert.throws(() => {
      (value.list as unknown[]).push(1);
    }, TypeError);
    assert.throws(() => {
      (value.list[0] as { x: number }).x = 2;
    }, TypeError);
  });

  it('descends into objects that were frozen only shallowly, and survives cycles', () => {
    const inner = { n: 1 };
    const outer = Object.freeze({ inner });
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    deepFreeze(outer);
    deepFreeze(cyclic);
    assert.equal(Object.isFrozen(inner), true);
    assert.equal(Object.isFrozen(cyclic), true);
  });

  it('leaves typed arrays writable (they cannot be frozen)', () => {
    const value = deepFreeze({ key: new Uint8Array([1, 2]) });
    value.key[0] = 9;
    assert.equal(value.key[0], 9);
  });
});
