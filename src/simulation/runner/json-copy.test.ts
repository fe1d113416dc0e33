import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonCopy } from './json-copy.js';

describe('jsonCopy', () => {
  it('gives what a JSON round trip gives', () => {
    const names = Object.freeze(['a', 'b']);
    const value = {
      n: 1,
      neg: -0,
      nan: Number.NaN,
      inf: Infinity,
      s: 'x',
      b: false,
      nil: null,
      gone: undefined,
      fn: () => 1,
      arr: [1, undefined, () => 2, Symbol('s'), { deep: [names] }],
      date: new Date(0),
      map: new Map([[1, 2]]),
      nested: Object.freeze({ names, again: names }),
      ['__proto__']: 'own',
    };
    Object.defineProperty(value, '__proto__', { value: { p: 1 }, enumerable: true });
    const copied = jsonCopy(value);
    assert.deepEqual(copied, JSON.parse(JSON.stringify(value)));
    assert.equal(JSON.stringify(copied), JSON.stringify(value));
    assert.equal(Object.isFrozen((copied as { nested: object }).nested), false);
  });

  it('copies a repeated frozen array once, and never shares the input', () => {
    const names = Object.freeze(['n1', 'n2']);
    const copied = jsonCopy({ lbs: [{ nodes: names }, { nodes: names }] });
    const [a, b] = copied.lbs;
    assert.notEqual(a?.nodes, names);
    assert.equal(a?.nodes, b?.nodes);
    assert.deepEqual(a?.nodes, ['n1', 'n2']);
  });

  it('throws on cycles as JSON.stringify does', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    assert.throws(() => jsonCopy(cyclic), TypeError);
  });
});
