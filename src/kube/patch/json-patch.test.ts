import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { applyJsonPatch } from './json-patch.js';
import { PatchError } from './patch-error.js';
import type { PatchErrorKind } from './patch-error.js';

const doc = { metadata: { name: 'n1', labels: { a: '1' } }, status: { addresses: [{ type: 'InternalIP' }, { type: 'Hostname' }] } };

describe('applyJsonPatch', () => {
  const applies: ReadonlyArray<{ name: string; target: unknown; ops: unknown; want: unknown }> = [
    { name: 'add creates an object member', target: { a: 1 }, ops: [{ op: 'add', path: '/b', value: 2 }], want: { a: 1, b: 2 } },
    { name: 'add on an existing member replaces it', target: { a: 1 }, ops: [{ op: 'add', path: '/a', value: [2] }], want: { a: [2] } },
    { name: 'add inserts into an array at an index', target: { a: [1, 3] }, ops: [{ op: 'add', path: '/a/1', value: 2 }], want: { a: [1, 2, 3] } },
    { name: 'add at index == length appends', target: { a: [1] }, ops: [{ op: 'add', path: '/a/1', value: 2 }], want: { a: [1, 2] } },
    { name: 'add with "-" appends', target: { a: [1] }, ops: [{ op: 'add', path: '/a/-', value: 2 }], want: { a: [1, 2] } },
    { name: 'add at the root replaces the document', target: { a: 1 }, ops: [{ op: 'add', path: '', value: { b: 2 } }], want: { b: 2 } },
    { name: 'add accepts a null value', target: {}, ops: [{ op: 'add', path: '/a', value: null }], want: { a: null } },
    {
      name: '~1 and ~0 unescape to "/" and "~" in keys',
      target: { annotations: {} },
      ops: [
        { op: 'add', path: '/annotations/example.com~1owner', value: 'x' },
        { op: 'add', path: '/annotations/a~0b', value: 'y' },
        { op: 'add', path: '/annotations/~01', value: 'z' },
      ],
      want: { annotations: { 'example.com/owner': 'x', 'a~b': 'y', '~1': 'z' } },
    },
    { name: 'remove deletes an object member', target: { a: 1, b: 2 }, ops: [{ op: 'remove', path: '/a' }], want: { b: 2 } },
    { name: 'remove deletes an array element and shifts the rest', target: { a: [1, 2, 3] }, ops: [{ op: 'remove', path: '/a/0' }], want: { a: [2, 3] } },
    { name: 'replace changes an existing member', target: { a: 1 }, ops: [{ op: 'replace', path: '/a', value: 'x' }], want: { a: 'x' } },
    { name: 'replace changes an array element', target: { a: [1, 2] }, ops: [{ op: 'replace', path: '/a/1', value: 9 }], want: { a: [1, 9] } },
    { name: 'replace at the root replaces the document', target: { a: 1 }, ops: [{ op: 'replace', path: '', value: [1] }], want: [1] },
    {
      name: 'move relocates a member',
      target: { a: { x: 1 }, b: {} },
      ops: [{ op: 'move', from: '/a/x', path: '/b/y' }],
      want: { a: {}, b: { y: 1 } },
    },
    { name: 'move reorders an array', target: { a: [1, 2, 3] }, ops: [{ op: 'move', from: '/a/0', path: '/a/2' }], want: { a: [2, 3, 1] } },
    { name: 'move onto itself is a no-op', target: { a: 1 }, ops: [{ op: 'move', from: '/a', path: '/a' }], want: { a: 1 } },
    {
      name: 'copy duplicates a value',
      target: { a: { x: [1] } },
      ops: [{ op: 'copy', from: '/a', path: '/b' }],
      want: { a: { x: [1] }, b: { x: [1] } },
    },
    {
      name: 'test passes on a deep-equal value regardless of key order',
      target: { a: { x: 1, y: [1, { z: null }] } },
      ops: [{ op: 'test', path: '/a', value: { y: [1, { z: null }], x: 1 } }],
      want: { a: { x: 1, y: [1, { z: null }] } },
    },
    {
      name: 'test guards a later op (optimistic update of a label)',
      target: doc,
      ops: [
        { op: 'test', path: '/metadata/labels/a', value: '1' },
        { op: 'replace', path: '/metadata/labels/a', value: '2' },
      ],
      want: { ...doc, metadata: { name: 'n1', labels: { a: '2' } } },
    },
    { name: 'an empty operation list returns the document unchanged', target: { a: 1 }, ops: [], want: { a: 1 } },
  ];

  for (const { name, target, ops, want } of applies) {
    it(name, () => {
      assert.deepEqual(applyJsonPatch(target, ops), want);
    });
  }

  const failures: ReadonlyArray<{ name: string; target: unknown; ops: unknown; kind: PatchErrorKind; field?: string }> = [
    { name: 'a non-array patch is a bad request', target: {}, ops: { op: 'add' }, kind: 'bad-request' },
    { name: 'a non-object operation is a bad request', target: {}, ops: ['add'], kind: 'bad-request' },
    { name: 'an unknown op is a bad request', target: {}, ops: [{ op: 'upsert', path: '/a', value: 1 }], kind: 'bad-request' },
    { name: 'a missing path is a bad request', target: {}, ops: [{ op: 'remove' }], kind: 'bad-request' },
    { name: 'a pointer without a leading "/" is a bad request', target: { a: 1 }, ops: [{ op: 'remove', path: 'a' }], kind: 'bad-request' },
    { name: 'a "~" not followed by 0 or 1 is a bad request', target: { a: 1 }, ops: [{ op: 'remove', path: '/a~2' }], kind: 'bad-request' },
    { name: 'add without a value is a bad request', target: {}, ops: [{ op: 'add', path: '/a' }], kind: 'bad-request' },
    { name: 'move without from is a bad request', target: { a: 1 }, ops: [{ op: 'move', path: '/b' }], kind: 'bad-request' },
    { name: 'a failed test is invalid', target: { a: 1 }, ops: [{ op: 'test', path: '/a', value: 2 }], kind: 'invalid', field: 'a' },
    { name: 'test of a missing path is invalid', target: {}, ops: [{ op: 'test', path: '/a', value: null }], kind: 'invalid', field: 'a' },
    { name: 'remove of a missing member is invalid', target: { a: 1 }, ops: [{ op: 'remove', path: '/b' }], kind: 'invalid', field: 'b' },
    { name: 'replace of a missing member is invalid', target: {}, ops: [{ op: 'replace', path: '/spec/x', value: 1 }], kind: 'invalid', field: 'spec' },
    {
      name: 'add under a missing parent is invalid',
      target: { spec: {} },
      ops: [{ op: 'add', path: '/spec/taints/0', value: {} }],
      kind: 'invalid',
      field: 'spec.taints',
    },
    {
      name: 'an array index past the end is invalid and names the field',
      target: doc,
      ops: [{ op: 'replace', path: '/status/addresses/2', value: {} }],
      kind: 'invalid',
      field: 'status.addresses[2]',
    },
    { name: 'add past length + 1 is invalid', target: { a: [] }, ops: [{ op: 'add', path: '/a/1', value: 1 }], kind: 'invalid', field: 'a[1]' },
    { name: 'an index with a leading zero is invalid', target: { a: [1, 2] }, ops: [{ op: 'remove', path: '/a/01' }], kind: 'invalid' },
    { name: '"-" is only valid for add', target: { a: [1] }, ops: [{ op: 'remove', path: '/a/-' }], kind: 'invalid' },
    { name: 'adding a member to a string is invalid', target: { a: 'x' }, ops: [{ op: 'add', path: '/a/b', value: 1 }], kind: 'invalid' },
    { name: 'moving a value into its own child is invalid', target: { a: { b: {} } }, ops: [{ op: 'move', from: '/a', path: '/a/b/c' }], kind: 'invalid' },
    { name: 'removing the whole document is invalid', target: { a: 1 }, ops: [{ op: 'remove', path: '' }], kind: 'invalid' },
  ];

  for (const { name, target, ops, kind, field } of failures) {
    it(name, () => {
      assert.throws(
        () => applyJsonPatch(target, ops),
        (err: unknown) => {
          assert.ok(err instanceof PatchError);
          assert.equal(err.code, 'PatchError');
          assert.equal(err.kind, kind);
          if (field !== undefined) assert.equal(err.field, field);
          return true;
        },
      );
    });
  }

  it('applies nothing when a later operation fails (all or nothing)', () => {
    const target = { a: 1 };
    assert.throws(() =>
      applyJsonPatch(target, [
        { op: 'replace', path: '/a', value: 2 },
        { op: 'test', path: '/a', value: 3 },
      ]),
    );
    assert.deepEqual(target, { a: 1 });
  });

  it('inserts a copy of the op value, not the value itself', () => {
    const value = { x: [1] };
    const ops = [
      { op: 'add', path: '/a', value },
      { op: 'add', path: '/b', value },
    ];
    const got = applyJsonPatch({}, ops) as { a: { x: number[] }; b: { x: number[] } };
    got.a.x.push(2);
    assert.deepEqual(got.b, { x: [1] });
    assert.deepEqual(value, { x: [1] });
  });

  it('never mutates its inputs and only ever throws PatchError (property)', () => {
    const pointer = fc.constantFrom('', '/a', '/a/0', '/a/-', '/a/1', '/b', '/b/c', '/~1x', '/a/b/c', 'bad', '/~2');
    const op = fc.record(
      {
        op: fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test', 'bogus'),
        path: pointer,
        from: pointer,
        value: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: ['op'], noNullPrototype: true },
    );
    const target = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record({ a: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }), b: fc.dictionary(fc.constantFrom('c', 'd'), fc.integer(), { noNullPrototype: true }) }, { noNullPrototype: true }),
    );
    fc.assert(
      fc.property(target, fc.oneof(fc.array(op, { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })), (t, ops) => {
        const targetCopy = structuredClone(t);
        const opsCopy = structuredClone(ops);
        try {
          applyJsonPatch(t, ops);
        } catch (err) {
          assert.ok(err instanceof PatchError, `unexpected ${String(err)}`);
        }
        assert.deepStrictEqual(t, targetCopy);
        assert.deepStrictEqual(ops, opsCopy);
      }),
    );
  });
});
