import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { boundedMemo } from './bounded-memo.js';

describe('boundedMemo', () => {
  it('computes each key once while it is held, and forgets every key at once when full', () => {
    const calls: string[] = [];
    const upper = boundedMemo(2, (key) => {
      calls.push(key);
      return key.toUpperCase();
    });
    assert.equal(upper('a'), 'A');
    assert.equal(upper('a'), 'A');
    assert.equal(upper('b'), 'B');
    assert.deepEqual(calls, ['a', 'b']);
    assert.equal(upper('c'), 'C', 'a third key clears the two held');
    assert.equal(upper('a'), 'A');
    assert.deepEqual(calls, ['a', 'b', 'c', 'a']);
    assert.throws(() => boundedMemo(0, (k) => k), /limit/);
  });
});
