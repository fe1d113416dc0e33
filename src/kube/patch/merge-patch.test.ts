import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { applyMergePatch } from './merge-patch.js';

describe('applyMergePatch', () => {
  // The worked examples of RFC 7386 Appendix A, as (target, patch, result) rows.
  const rfcExamples: ReadonlyArray<{ name: string; target: unknown; patch: unknown; want: unknown }> = [
    { name: 'a member is replaced', target: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
    { name: 'a new member is added', target: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
    { name: 'null deletes the only member', target: { a: 'b' }, patch: { a: null }, want: {} },
    { name: 'null deletes one member and keeps the rest', target: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
    { name: 'a scalar replaces an array', target: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
    { name: 'an array replaces a scalar', target: { a: 'c' }, patch: { a: ['b'] }, want: { a: ['b'] } },
    {
      name: 'nested objects merge and nested nulls delete',
      target: { a: { b: 'c' } },
      patch: { a: { b: 'd', c: null } },
      want: { a: { b: 'd' } },
    },
    { name: 'arrays are replaced, never merged', target: { a: [{ b: 'c' }] }, patch: { a: [1] }, want: { a: [1] } },
    { name: 'an array patch replaces an array document', target: ['a', 'b'], patch: ['c', 'd'], want: ['c', 'd'] },
    { name: 'an array patch replaces an object document', target: { a: 'b' }, patch: ['c'], want: ['c'] },
    { name: 'a null patch replaces the document with null', target: { a: 'foo' }, patch: null, want: null },
    { name: 'a string patch replaces the document', target: { a: 'foo' }, patch: 'bar', want: 'bar' },
    { name: 'a null already in the target is kept', target: { e: null }, patch: { a: 1 }, want: { e: null, a: 1 } },
    { name: 'a non-object target is treated as empty', target: [1, 2], patch: { a: 'b', c: null }, want: { a: 'b' } },
    {
      name: 'nulls inside a newly added object are dropped',
      target: {},
      patch: { a: { bb: { ccc: null } } },
      want: { a: { bb: {} } },
    },
  ];

  for (const { name, target, patch, want } of rfcExamples) {
    it(`RFC 7386: ${name}`, () => {
      assert.deepEqual(applyMergePatch(target, patch), want);
    });
  }

  it('removes one label of a Kubernetes object and keeps the others', () => {
    const node = { metadata: { name: 'n1', labels: { a: '1', b: '2' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
    const got = applyMergePatch(node, { metadata: { labels: { a: null } }, spec: { taints: [] } });
    assert.deepEqual(got, { metadata: { name: 'n1', labels: { b: '2' } }, spec: { taints: [] } });
  });

  it('treats a "__proto__" member as plain data', () => {
    const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    const got = applyMergePatch({}, patch) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(got), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(got, '__proto__')?.value, { polluted: true });
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('returns a result that shares no structure with its inputs', () => {
    const target = { keep: { deep: [1] } };
    const patch = { added: { deep: [2] } };
    const got = applyMergePatch(target, patch) as { keep: { deep: number[] }; added: { deep: number[] } };
    got.keep.deep.push(9);
    got.added.deep.push(9);
    assert.deepEqual(target, { keep: { deep: [1] } });
    assert.deepEqual(patch, { added: { deep: [2] } });
  });

  it('never mutates its inputs (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (target, patch) => {
        const targetCopy = structuredClone(target);
        const patchCopy = structuredClone(patch);
        applyMergePatch(target, patch);
        assert.deepStrictEqual(target, targetCopy);
        assert.deepStrictEqual(patch, patchCopy);
      }),
    );
  });

  it('is idempotent: applying a patch twice equals applying it once (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (target, patch) => {
        const once = applyMergePatch(target, patch);
        assert.deepStrictEqual(applyMergePatch(once, patch), once);
      }),
    );
  });
});
