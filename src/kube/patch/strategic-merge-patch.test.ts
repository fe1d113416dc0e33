import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { deepFreeze } from '../json-value.js';
import { applyStrategicMergePatch, strategicSchemaFor } from './strategic-merge-patch.js';
import type { PatchSchema } from './strategic-merge-patch.js';
import { PatchError } from './patch-error.js';
import type { PatchErrorKind } from './patch-error.js';

function schema(group: string, kind: string): PatchSchema {
  const found = strategicSchemaFor(group, kind);
  assert.ok(found, `no schema for ${kind}`);
  return found;
}

const NODE = schema('', 'Node');
const SERVICE = schema('', 'Service');

const node = {
  metadata: { name: 'n1', labels: { zone: 'a', pool: 'p' }, finalizers: ['x.io/a', 'x.io/b'] },
  spec: { providerID: 'fake://n1', taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] },
  status: {
    conditions: [
      { type: 'Ready', status: 'False', reason: 'KubeletNotReady' },
      { type: 'MemoryPressure', status: 'False' },
    ],
    addresses: [
      { type: 'InternalIP', address: '10.0.0.1' },
      { type: 'Hostname', address: 'n1' },
    ],
  },
};

interface Case {
  readonly name: string;
  readonly target: unknown;
  readonly patch: unknown;
  readonly schema?: PatchSchema;
  readonly want: unknown;
}

function withStatus(status: Record<string, unknown>): unknown {
  return { ...node, status: { ...node.status, ...status } };
}

describe('applyStrategicMergePatch', () => {
  const cases: Case[] = [
    {
      name: 'null deletes a map key and maps merge recursively',
      target: node,
      patch: { metadata: { labels: { zone: null, tier: 'web' } } },
      want: { ...node, metadata: { ...node.metadata, labels: { pool: 'p', tier: 'web' } } },
    },
    {
      name: 'null for a key the object lacks is ignored',
      target: { a: 1 },
      patch: { b: null, c: { d: null, e: 1 } },
      want: { a: 1, c: { e: 1 } },
    },
    {
      name: 'conditions merge by type: a matching condition is updated in place, fields merged',
      target: node,
      patch: { status: { conditions: [{ type: 'Ready', status: 'True', reason: null }] } },
      want: withStatus({
        conditions: [
          { type: 'Ready', status: 'True' },
          { type: 'MemoryPressure', status: 'False' },
        ],
      }),
    },
    {
      // Upstream places patch elements the live list does not know ahead of it (no $setElementOrder).
      name: 'conditions merge by type: a new type is added ahead of the existing ones, as upstream',
      target: node,
      patch: { status: { conditions: [{ type: 'DiskPressure', status: 'False' }] } },
      want: withStatus({
        conditions: [{ type: 'DiskPressure', status: 'False' }, ...node.status.conditions],
      }),
    },
    {
      name: 'finalizers are a set: the patch values are united with the existing ones',
      target: node,
      patch: { metadata: { finalizers: ['x.io/b', 'x.io/c'] } },
      want: { ...node, metadata: { ...node.metadata, finalizers: ['x.io/a', 'x.io/b', 'x.io/c'] } },
    },
    {
      name: '$deleteFromPrimitiveList removes values from a set list',
      target: node,
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['x.io/a', 'x.io/absent'] } },
      want: { ...node, metadata: { ...node.metadata, finalizers: ['x.io/b'] } },
    },
    {
      name: '$deleteFromPrimitiveList on a missing list does not create it',
      target: { metadata: { name: 'n' } },
      patch: { metadata: { '$deleteFromPrimitiveList/finalizers': ['x.io/a'] } },
      schema: NODE,
      want: { metadata: { name: 'n' } },
    },
    {
      name: 'podCIDRs are a set list',
      target: { spec: { podCIDRs: ['10.1.0.0/24'] } },
      patch: { spec: { podCIDRs: ['10.1.0.0/24', 'fd00::/64'] } },
      want: { spec: { podCIDRs: ['10.1.0.0/24', 'fd00::/64'] } },
    },
    {
      name: 'taints are atomic (+listType=atomic): a patch replaces the whole list',
      target: node,
      patch: { spec: { taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] } },
      want: { ...node, spec: { ...node.spec, taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }] } },
    },
    {
      name: 'taints are atomic: an empty list removes every taint',
      target: node,
      patch: { spec: { taints: [] } },
      want: { ...node, spec: { ...node.spec, taints: [] } },
    },
    {
      name: 'addresses merge by type without $patch: a stale address of another type survives',
      target: node,
      patch: { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.2' }] } },
      want: withStatus({
        addresses: [
          { type: 'InternalIP', address: '10.0.0.2' },
          { type: 'Hostname', address: 'n1' },
        ],
      }),
    },
    {
      name: '$patch: replace on addresses replaces the list',
      target: node,
      patch: { status: { addresses: [{ $patch: 'replace' }, { type: 'ExternalIP', address: '203.0.113.7' }] } },
      want: withStatus({ addresses: [{ type: 'ExternalIP', address: '203.0.113.7' }] }),
    },
    {
      name: 'an element with $patch: delete removes the element with that merge key',
      target: node,
      patch: { status: { conditions: [{ type: 'MemoryPressure', $patch: 'delete' }] } },
      want: withStatus({ conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }] }),
    },
    {
      name: '$patch: delete of an absent element is a no-op',
      target: node,
      patch: { status: { addresses: [{ type: 'ExternalIP', $patch: 'delete' }] } },
      want: node,
    },
    {
      name: '$patch: replace in a map replaces that map',
      target: node,
      patch: { metadata: { labels: { $patch: 'replace', only: 'this' } } },
      want: { ...node, metadata: { ...node.metadata, labels: { only: 'this' } } },
    },
    {
      name: '$patch: delete in a map removes it',
      target: node,
      patch: { metadata: { labels: { $patch: 'delete' } } },
      want: { ...node, metadata: { name: 'n1', finalizers: node.metadata.finalizers } },
    },
    {
      name: '$retainKeys keeps only the named keys of a map',
      target: { spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } } } },
      patch: { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } },
      schema: NODE,
      want: { spec: { strategy: { type: 'Recreate' } } },
    },
    {
      name: '$setElementOrder reorders a merged list',
      target: node,
      patch: { status: { '$setElementOrder/addresses': [{ type: 'Hostname' }, { type: 'InternalIP' }] } },
      want: withStatus({
        addresses: [
          { type: 'Hostname', address: 'n1' },
          { type: 'InternalIP', address: '10.0.0.1' },
        ],
      }),
    },
    {
      name: '$setElementOrder with a patch list puts a new element where the order says',
      target: node,
      patch: {
        status: {
          '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'MemoryPressure' }, { type: 'PIDPressure' }],
          conditions: [{ type: 'PIDPressure', status: 'False' }],
        },
      },
      want: withStatus({ conditions: [...node.status.conditions, { type: 'PIDPressure', status: 'False' }] }),
    },
    {
      name: 'service ports merge by port number',
      target: { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } },
      patch: { spec: { ports: [{ port: 443, nodePort: 30443 }] } },
      schema: SERVICE,
      want: { spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP', nodePort: 30443 }] } },
    },
    {
      name: 'service status.loadBalancer.ingress is atomic',
      target: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { ip: '192.0.2.2' }] } } },
      patch: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.3' }] } } },
      schema: SERVICE,
      want: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.3' }] } } },
    },
    {
      name: 'service status.conditions merge by type',
      target: { status: { conditions: [{ type: 'A', status: 'True' }] } },
      patch: { status: { conditions: [{ type: 'A', status: 'False' }] } },
      schema: SERVICE,
      want: { status: { conditions: [{ type: 'A', status: 'False' }] } },
    },
    {
      name: 'ownerReferences merge by uid',
      target: { metadata: { ownerReferences: [{ uid: 'u1', name: 'a' }] } },
      patch: { metadata: { ownerReferences: [{ uid: 'u1', controller: true }, { uid: 'u2', name: 'b' }] } },
      schema: SERVICE,
      want: { metadata: { ownerReferences: [{ uid: 'u1', name: 'a', controller: true }, { uid: 'u2', name: 'b' }] } },
    },
    {
      name: 'volumesAttached is atomic, as k8s.io/api declares it (+listType=atomic)',
      target: { status: { volumesAttached: [{ name: 'v1', devicePath: '/a' }] } },
      patch: { status: { volumesAttached: [{ name: 'v2', devicePath: '/b' }] } },
      want: { status: { volumesAttached: [{ name: 'v2', devicePath: '/b' }] } },
    },
    {
      name: 'a list the schema does not name is atomic',
      target: { spec: { other: [1, 2] } },
      patch: { spec: { other: [3] } },
      want: { spec: { other: [3] } },
    },
    {
      name: 'a list added where none existed has its directive elements and nulls removed',
      target: { status: {} },
      patch: { status: { addresses: [{ $patch: 'replace' }, { type: 'Hostname', address: 'h', extra: null }] } },
      want: { status: { addresses: [{ type: 'Hostname', address: 'h' }] } },
    },
    {
      name: '$patch: delete at the top leaves an empty object',
      target: node,
      patch: { $patch: 'delete' },
      want: {},
    },
    {
      name: 'a "__proto__" key is patched as plain data',
      target: {},
      patch: JSON.parse('{"metadata": {"__proto__": {"x": 1}}}') as unknown,
      want: { metadata: JSON.parse('{"__proto__": {"x": 1}}') as unknown },
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(applyStrategicMergePatch(c.target, c.patch, c.schema ?? NODE), c.want);
    });
  }

  // Ordering rules of upstream's normalizeElementOrder, on a generic merge-keyed list.
  const ORDERED: PatchSchema = { lists: new Map([['items', { kind: 'merge', mergeKey: 'id' }]]) };
  const items = (...ids: string[]): Array<{ id: string }> => ids.map((id) => ({ id }));
  const orderCases: ReadonlyArray<{ name: string; live: string[]; order: string[]; patch?: string[]; want: string[] }> = [
    {
      name: 'server-only items keep their live position between reordered patch items',
      live: ['p', 'q', 'z', 'r', 's'],
      order: ['q', 'p', 's', 'r'],
      want: ['q', 'p', 'z', 's', 'r'],
    },
    {
      name: 'a run of server-only items stays together',
      live: ['p', 'q', 'x', 'z', 'y', 'r', 's'],
      order: ['q', 'p', 's', 'r'],
      want: ['q', 'p', 'x', 'z', 'y', 's', 'r'],
    },
    {
      name: 'existing elements named in a patch follow the patch order',
      live: ['a', 'b', 'c'],
      order: ['c', 'a'],
      patch: ['c', 'a'],
      want: ['b', 'c', 'a'],
    },
  ];
  for (const c of orderCases) {
    it(`$setElementOrder: ${c.name}`, () => {
      const patch: Record<string, unknown> = { '$setElementOrder/items': items(...c.order) };
      if (c.patch !== undefined) patch['items'] = items(...c.patch);
      const got = applyStrategicMergePatch({ items: items(...c.live) }, patch, ORDERED) as { items: Array<{ id: string }> };
      assert.deepEqual(
        got.items.map((i) => i.id),
        c.want,
      );
    });
  }

  const failures: ReadonlyArray<{ name: string; target: unknown; patch: unknown; schema?: PatchSchema; kind: PatchErrorKind; field?: string }> = [
    { name: 'a patch that is not an object is a bad request', target: node, patch: [1], kind: 'bad-request' },
    { name: 'an unknown $ directive is a bad request', target: node, patch: { metadata: { $merge: true } }, kind: 'bad-request', field: 'metadata' },
    { name: 'an unknown $patch value is a bad request', target: node, patch: { metadata: { labels: { $patch: 'drop' } } }, kind: 'bad-request' },
    {
      name: 'an unknown $patch value in a merged list is a bad request',
      target: node,
      patch: { status: { conditions: [{ type: 'Ready', $patch: 'merge' }] } },
      kind: 'bad-request',
      field: 'status.conditions[0]',
    },
    {
      name: '$deleteFromPrimitiveList without a field name is a bad request',
      target: node,
      patch: { metadata: { '$deleteFromPrimitiveList/': ['a'] } },
      kind: 'bad-request',
    },
    { name: '$retainKeys that is not a list is a bad request', target: node, patch: { metadata: { $retainKeys: 'name' } }, kind: 'bad-request' },
    {
      name: '$retainKeys must name every field the patch sets',
      target: node,
      patch: { metadata: { $retainKeys: ['name'], labels: {} } },
      kind: 'bad-request',
    },
    {
      name: '$setElementOrder disagreeing with the patch list order is a bad request',
      target: node,
      patch: {
        status: {
          '$setElementOrder/conditions': [{ type: 'Ready' }, { type: 'MemoryPressure' }],
          conditions: [{ type: 'MemoryPressure' }, { type: 'Ready' }],
        },
      },
      kind: 'bad-request',
      field: 'status.conditions',
    },
    {
      name: 'a string where the object has a list is invalid, naming the field',
      target: node,
      patch: { spec: { taints: 'none' } },
      kind: 'invalid',
      field: 'spec.taints',
    },
    {
      name: 'a string where the schema has a list is invalid even when the object lacks it',
      target: { status: {} },
      patch: { status: { addresses: '10.0.0.1' } },
      kind: 'invalid',
      field: 'status.addresses',
    },
    {
      name: 'a map where the object has a list is invalid',
      target: node,
      patch: { status: { conditions: { type: 'Ready' } } },
      kind: 'invalid',
      field: 'status.conditions',
    },
    {
      name: 'a list where the object has a map is invalid',
      target: node,
      patch: { metadata: { labels: ['a'] } },
      kind: 'invalid',
      field: 'metadata.labels',
    },
    {
      name: 'a merged element without its merge key is invalid, naming the element',
      target: node,
      patch: { status: { addresses: [{ type: 'Hostname', address: 'h' }, { address: '10.0.0.9' }] } },
      kind: 'invalid',
      field: 'status.addresses[1]',
    },
    {
      name: 'a non-map element in a merged list is invalid',
      target: node,
      patch: { status: { conditions: ['Ready'] } },
      kind: 'invalid',
      field: 'status.conditions[0]',
    },
    {
      name: 'a map in a set list is invalid',
      target: node,
      patch: { metadata: { finalizers: [{ name: 'x' }] } },
      kind: 'invalid',
      field: 'metadata.finalizers[0]',
    },
  ];

  for (const { name, target, patch, schema: s, kind, field } of failures) {
    it(name, () => {
      assert.throws(
        () => applyStrategicMergePatch(target, patch, s ?? NODE),
        (err: unknown) => {
          assert.ok(err instanceof PatchError);
          assert.equal(err.kind, kind);
          if (field !== undefined) assert.equal(err.field, field);
          return true;
        },
      );
    });
  }

  it('never mutates its inputs and only ever throws PatchError (property)', () => {
    const type = fc.constantFrom('Ready', 'MemoryPressure', 'DiskPressure');
    const element = fc.oneof(
      fc.record({ type, status: fc.constantFrom('True', 'False', null) }, { requiredKeys: ['type'], noNullPrototype: true }),
      fc.record({ type, $patch: fc.constantFrom('delete', 'replace', 'merge') }, { requiredKeys: ['$patch'], noNullPrototype: true }),
      fc.jsonValue({ maxDepth: 1 }),
    );
    const finalizer = fc.constantFrom('x.io/a', 'x.io/b', 'x.io/c');
    const status = fc.record(
      {
        conditions: fc.oneof(fc.array(element, { maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
        addresses: fc.array(element, { maxLength: 3 }),
        '$setElementOrder/conditions': fc.array(fc.record({ type }, { noNullPrototype: true }), { maxLength: 3 }),
        $patch: fc.constantFrom('replace', 'delete'),
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    const metadata = fc.record(
      {
        finalizers: fc.array(finalizer, { maxLength: 3 }),
        '$deleteFromPrimitiveList/finalizers': fc.array(finalizer, { maxLength: 2 }),
        labels: fc.dictionary(fc.constantFrom('a', 'b'), fc.oneof(fc.string(), fc.constant(null)), { noNullPrototype: true }),
        $retainKeys: fc.array(fc.constantFrom('name', 'labels', 'finalizers'), { maxLength: 2 }),
      },
      { requiredKeys: [], noNullPrototype: true },
    );
    const patch = fc.oneof(
      fc.record({ metadata, status, spec: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [], noNullPrototype: true }),
      fc.jsonValue({ maxDepth: 3 }),
    );
    const target = fc.oneof(fc.constant(node), fc.jsonValue({ maxDepth: 3 }));
    fc.assert(
      fc.property(target, patch, (t, p) => {
        const targetCopy = structuredClone(t);
        const patchCopy = structuredClone(p);
        try {
          applyStrategicMergePatch(t, p, NODE);
        } catch (err) {
          assert.ok(err instanceof PatchError, `unexpected ${String(err)}`);
        }
        assert.deepStrictEqual(t, targetCopy);
        assert.deepStrictEqual(p, patchCopy);
        // A deep-frozen target (shared where the patch does not reach) answers exactly the same.
        const answer = (target: unknown): unknown => {
          try {
            return applyStrategicMergePatch(target, p, NODE);
          } catch (err) {
            assert.ok(err instanceof PatchError, `unexpected ${String(err)}`);
            return err.message;
          }
        };
        assert.deepStrictEqual(answer(deepFreeze(structuredClone(t))), answer(structuredClone(t)));
      }),
      { numRuns: 300 },
    );
  });

  it('shares the deep-frozen members a patch does not name, copies the ones it names, and answers as for an unfrozen target', () => {
    const frozen = deepFreeze(structuredClone(node));
    const patch = { status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    const result = applyStrategicMergePatch(frozen, patch, NODE) as Record<string, unknown>;
    assert.equal(result['metadata'], frozen['metadata'], 'metadata is not named: shared');
    assert.equal(result['spec'], frozen['spec'], 'spec is not named: shared');
    assert.notEqual(result['status'], frozen['status'], 'status is named: a private copy');
    const status = result['status'] as Record<string, unknown>;
    const frozenStatus = frozen['status'] as Record<string, unknown>;
    assert.equal(status['addresses'], frozenStatus['addresses'], 'inside status, addresses are not named: shared');
    assert.notEqual(status['conditions'], frozenStatus['conditions'], 'conditions are named: a private copy');
    assert.deepEqual(result, applyStrategicMergePatch(structuredClone(node), patch, NODE));
    // A top-level directive may touch any member: nothing is shared.
    const retained = applyStrategicMergePatch(frozen, { $retainKeys: ['metadata', 'spec'], spec: { podCIDR: '10.0.0.0/24' } }, NODE) as Record<string, unknown>;
    assert.notEqual(retained['metadata'], frozen['metadata']);
  });
});

describe('strategicSchemaFor', () => {
  const known: ReadonlyArray<readonly [string, string]> = [
    ['', 'Node'],
    ['', 'Service'],
    ['', 'Event'],
    ['coordination.k8s.io', 'Lease'],
  ];
  for (const [group, kind] of known) {
    it(`has a schema for ${group || 'core'}/${kind} with finalizers as a set`, () => {
      assert.deepEqual(strategicSchemaFor(group, kind)?.lists.get('metadata.finalizers'), { kind: 'set' });
    });
  }

  const unknown: ReadonlyArray<readonly [string, string]> = [
    ['example.com', 'Widget'],
    ['', 'Lease'],
    ['coordination.k8s.io', 'Node'],
  ];
  for (const [group, kind] of unknown) {
    it(`has no schema for ${group || 'core'}/${kind} (the server answers 415)`, () => {
      assert.equal(strategicSchemaFor(group, kind), undefined);
    });
  }

  it('declares the Node and Service list strategies of k8s.io/api', () => {
    assert.deepEqual(NODE.lists.get('spec.taints'), { kind: 'atomic' });
    assert.deepEqual(NODE.lists.get('spec.podCIDRs'), { kind: 'set' });
    assert.deepEqual(NODE.lists.get('status.conditions'), { kind: 'merge', mergeKey: 'type' });
    assert.deepEqual(NODE.lists.get('status.addresses'), { kind: 'merge', mergeKey: 'type' });
    assert.deepEqual(NODE.lists.get('metadata.ownerReferences'), { kind: 'merge', mergeKey: 'uid' });
    assert.deepEqual(SERVICE.lists.get('spec.ports'), { kind: 'merge', mergeKey: 'port' });
    assert.deepEqual(SERVICE.lists.get('status.loadBalancer.ingress'), { kind: 'atomic' });
  });
});
