import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cloneJson, deepFreeze, getOwn, isDeepFrozen, jsonEqual, jsonTypeOf, setOwn } from './json-value.js';
import type { JsonObject } from './json-value.js';

describe('cloneJson', () => {
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
      boxed: Object(3) as number,
      nested: Object.freeze({ names, again: names }),
      ['__proto__']: 'own',
    };
    Object.defineProperty(value, '__proto__', { value: { p: 1 }, enumerable: true });
    const copied = cloneJson(value);
    assert.deepEqual(copied, JSON.parse(JSON.stringify(value)));
    assert.equal(JSON.stringify(copied), JSON.stringify(value));
    assert.equal(Object.isFrozen((copied as { nested: object }).nested), false);
  });

  it('keeps `__proto__` an own data member and never touches a prototype', () => {
    const copied = cloneJson(JSON.parse('{"__proto__": {"polluted": true}}') as JsonObject);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copied, '__proto__')?.value, { polluted: true });
    assert.equal(({} as JsonObject)['polluted'], undefined);
  });

  it('shares nothing with its input', () => {
    const input = { a: { b: [1, { c: 2 }] } };
    const copied = cloneJson(input);
    copied.a.b.push(3);
    (copied.a.b[1] as { c: number }).c = 9;
    assert.deepEqual(input, { a: { b: [1, { c: 2 }] } });
  });

  it('drops null members, but not null list items, in the stored form (omitNullMembers)', () => {
    const copied = cloneJson({ metadata: { labels: null, name: 'n' }, list: [null, { x: null, nan: Number.NaN }], gone: undefined }, { omitNullMembers: true });
    assert.deepEqual(copied, { metadata: { name: 'n' }, list: [null, {}] });
  });

  it('copies a repeated frozen array once when asked (shareFrozenArrays), and never shares the input', () => {
    const names = Object.freeze(['n1', 'n2']);
    const shared = cloneJson({ lbs: [{ nodes: names }, { nodes: names }] }, { shareFrozenArrays: true });
    const [a, b] = shared.lbs;
    assert.notEqual(a?.nodes, names);
    assert.equal(a?.nodes, b?.nodes);
    assert.deepEqual(a?.nodes, ['n1', 'n2']);
    const separate = cloneJson({ lbs: [{ nodes: names }, { nodes: names }] });
    assert.notEqual(separate.lbs[0]?.nodes, separate.lbs[1]?.nodes);
  });

  it('throws on cycles as JSON.stringify does', () => {
    const cyclic: JsonObject = {};
    cyclic['self'] = { back: cyclic };
    assert.throws(() => cloneJson(cyclic), TypeError);
  });

  it('equals a JSON round trip for any JSON value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.deepEqual(cloneJson(value), JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

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
    assert.equal(isDeepFrozen(value), true);
  });

  it('descends into objects that were frozen only shallowly, and survives cycles', () => {
    const inner = { n: 1 };
    const outer = Object.freeze({ inner });
    const cyclic: { self?: unknown; list?: unknown[] } = {};
    cyclic.self = cyclic;
    cyclic.list = [cyclic, Object.freeze([{ deep: true }])];
    deepFreeze(outer);
    deepFreeze(cyclic);
    assert.equal(Object.isFrozen(inner), true);
    assert.equal(Object.isFrozen(cyclic), true);
    assert.equal(Object.isFrozen(cyclic.list), true);
    assert.equal(Object.isFrozen((cyclic.list?.[1] as object[])[0]), true, 'looked into the shallowly frozen list');
  });

  it('leaves typed arrays writable (they cannot be frozen)', () => {
    const value = deepFreeze({ key: new Uint8Array([1, 2]) });
    value.key[0] = 9;
    assert.equal(value.key[0], 9);
  });

  it('returns primitives as they are', () => {
    assert.equal(deepFreeze('x'), 'x');
    assert.equal(deepFreeze(null), null);
  });
});

describe('isDeepFrozen', () => {
  const cases: ReadonlyArray<readonly [string, unknown, boolean]> = [
    ['a primitive is', 1, true],
    ['an unfrozen object is not', { a: 1 }, false],
    ['a frozen object with an unfrozen member is not', Object.freeze({ a: { b: 1 } }), false],
    ['a frozen list with an unfrozen item is not', Object.freeze([{}]), false],
    ['a deep-frozen tree is', deepFreeze({ a: [{ b: 1 }] }), true],
  ];
  for (const [name, value, want] of cases) it(name, () => assert.equal(isDeepFrozen(value), want));
});

describe('jsonEqual', () => {
  const cases: ReadonlyArray<readonly [string, unknown, unknown, boolean]> = [
    ['objects regardless of member order', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, true],
    ['lists by position', [1, 2], [2, 1], false],
    ['a missing member against an undefined one', { a: undefined }, { b: undefined }, false],
    ['a list is not a map', [], {}, false],
    ['null equals only null', null, {}, false],
    ['leaves by identity', 'x', 'x', true],
    ['numbers and strings differ', 1, '1', false],
  ];
  for (const [name, a, b, want] of cases) it(name, () => assert.equal(jsonEqual(a, b), want));

  it('holds between a value and its copy (property)', () => {
    fc.assert(fc.property(fc.jsonValue(), (value) => jsonEqual(value, cloneJson(value))));
  });
});

describe('getOwn, setOwn, jsonTypeOf', () => {
  it('reads only own members and writes `__proto__` as data', () => {
    const obj: JsonObject = {};
    assert.equal(getOwn(obj, 'toString'), undefined);
    setOwn(obj, '__proto__', { polluted: true });
    assert.deepEqual(getOwn(obj, '__proto__'), { polluted: true });
    assert.equal(Object.getPrototypeOf(obj), Object.prototype);
  });

  it('names the JSON types as the patch errors do', () => {
    assert.deepEqual([null, [], {}, 'x', 1, true].map(jsonTypeOf), ['null', 'list', 'map', 'string', 'number', 'boolean']);
  });
});
