import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { oneLine } from './one-line.js';

describe('oneLine', () => {
  it('escapes line breaks and control characters as JSON does, keeping tabs', () => {
    assert.equal(oneLine('a\nb\r\u0000\u2028\tc'), 'a\\nb\\r\\u0000\\u2028\tc');
  });
  it('leaves no line break in any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => !/[\n\r\u2028\u2029]/.test(oneLine(s))));
  });
});
