import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatPath } from './field-path.js';
import { matchPartial } from './match-partial.js';
import type { ListMode } from './scenario-types.js';

const node = {
  metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1', 'node.kubernetes.io/instance-type': 'small' } },
  spec: { providerID: 'fake://n1', taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }] },
  status: {
    addresses: [
      { type: 'InternalIP', address: '10.0.0.2' },
      { type: 'Hostname', address: 'n1' },
    ],
    conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated', lastTransitionTime: '2026-01-01T00:00:00Z' }],
  },
};

describe('matchPartial', () => {
  const cases: { name: string; expected: unknown; mode?: ListMode; mismatches: string[] }[] = [
    { name: 'a map matches by subset', expected: { metadata: { name: 'n1' } }, mismatches: [] },
    { name: 'list items match partially, in order', expected: { status: { conditions: [{ type: 'NetworkUnavailable', status: 'False' }] } }, mismatches: [] },
    {
      name: 'a different leaf names its full path',
      expected: { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname' }] } },
      mismatches: ['status.addresses[0].address: expected "10.0.0.1", got "10.0.0.2"'],
    },
    {
      name: 'a key that is not an identifier is quoted',
      expected: { metadata: { labels: { 'topology.kubernetes.io/zone': 'z2' } } },
      mismatches: ['metadata.labels["topology.kubernetes.io/zone"]: expected "z2", got "z1"'],
    },
    { name: 'a missing field is reported as nothing', expected: { spec: { podCIDR: '10.244.0.0/24' } }, mismatches: ['spec.podCIDR: expected "10.244.0.0/24", got nothing'] },
    {
      name: 'lists compare by length in equal mode',
      expected: { spec: { taints: [{ key: 'a' }] } },
      mismatches: ['spec.taints: expected 1 item(s), got 2: [{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoExecute"}]'],
    },
    { name: 'lists compare by order in equal mode', expected: { spec: { taints: [{ key: 'b' }, { key: 'a' }] } }, mismatches: ['spec.taints[0].key: expected "b", got "a"', 'spec.taints[1].key: expected "a", got "b"'] },
    { name: 'contains mode accepts any-order subsets', expected: { spec: { taints: [{ key: 'b' }] } }, mode: 'contains', mismatches: [] },
    {
      name: 'contains mode names the item nothing matches',
      expected: { spec: { taints: [{ key: 'c' }] } },
      mode: 'contains',
      mismatches: ['spec.taints: no item matches {"key":"c"}; got [{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoExecute"}]'],
    },
    {
      name: 'contains mode needs a distinct item per expected item',
      expected: { spec: { taints: [{ key: 'a' }, { effect: 'NoSchedule' }] } },
      mode: 'contains',
      mismatches: ['spec.taints: expected items cannot each match a different item; got [{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoExecute"}]'],
    },
    { name: 'contains mode backtracks to find an assignment', expected: { spec: { taints: [{}, { key: 'a' }] } }, mode: 'contains', mismatches: [] },
    { name: 'an empty expected list matches an absent field (omitempty)', expected: { spec: { podCIDRs: [] } }, mismatches: [] },
    { name: 'null expects the field to be absent', expected: { spec: { unschedulable: null } }, mismatches: [] },
    { name: 'null fails on a present field', expected: { spec: { providerID: null } }, mismatches: ['spec.providerID: expected nothing, got "fake://n1"'] },
    { name: 'a map where a scalar is', expected: { spec: { providerID: { a: 1 } } }, mismatches: ['spec.providerID: expected a map, got "fake://n1"'] },
    { name: 'a list where a map is', expected: { spec: [] }, mismatches: ['spec: expected a list, got {"providerID":"fake://n1","taints":[{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoExecute"}]}'] },
    { name: 'scalars are not coerced', expected: { metadata: { name: 1 } }, mismatches: ['metadata.name: expected 1, got "n1"'] },
    { name: 'the root is named when it differs', expected: 'x', mismatches: ['(root): expected "x", got {"metadata":{"name":"n1","labels":{"topology.kubernetes.io/zone":"z1","node.kubernetes.io/instance-type":"small"}},"spec":{"providerID":"fake://n1","taints":[{"key":"a","effect":"NoSchedule"},{"key":"b","effect":"NoExecute"}]},"status":{"addresses":[{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"n1"}],"conditions":[{"type":"NetworkUnavailable","status":"False","reason":"RouteCreated","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = matchPartial(node, c.expected, c.mode);
      assert.deepEqual(result.mismatches, c.mismatches);
      assert.equal(result.ok, c.mismatches.length === 0);
    });
  }

  /** Drops map keys where `keep` says so, recursively: a fragment of the value as an author writes it. */
  function subset(value: unknown, keep: (path: string) => boolean, path = ''): unknown {
    if (Array.isArray(value)) return (value as unknown[]).map((v, i) => subset(v, keep, `${path}[${i}]`));
    if (typeof value !== 'object' || value === null) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (keep(`${path}.${k}`)) Object.defineProperty(out, k, { value: subset(v, keep, `${path}.${k}`), enumerable: true, writable: true, configurable: true });
    return out;
  }

  /** Paths of scalar leaves. */
  function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
    if (typeof value === 'object' && value !== null) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
    return [path];
  }

  function changeLeaf(value: unknown, path: readonly (string | number)[]): unknown {
    const [head, ...rest] = path;
    if (head === undefined) {
      if (typeof value === 'string') return `${value}~`;
      if (typeof value === 'number') return value === 0 ? 1 : -value;
      if (typeof value === 'boolean') return !value;
      return 'changed';
    }
    if (Array.isArray(value)) return (value as unknown[]).map((v, i) => (i === head ? changeLeaf(v, rest) : v));
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) Object.defineProperty(copy, k, { value: k === head ? changeLeaf(v, rest) : v, enumerable: true, writable: true, configurable: true });
    return copy;
  }

  it('any value matches itself, in both list modes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        assert.deepEqual(matchPartial(value, value).mismatches, []);
        assert.deepEqual(matchPartial(value, value, 'contains').mismatches, []);
      }),
    );
  });

  it('any value matches any subset of its maps', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.func(fc.boolean()), (value, keep) => {
        assert.deepEqual(matchPartial(value, subset(value, keep)).mismatches, []);
      }),
    );
  });

  it('changing one leaf gives a mismatch naming that path', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => leaves(v).length > 0),
        fc.nat(),
        (value, pick) => {
          const all = leaves(value);
          const path = all[pick % all.length] ?? [];
          const result = matchPartial(value, changeLeaf(value, path));
          assert.equal(result.ok, false);
          const name = path.length === 0 ? '(root)' : formatPath(path);
          assert.ok(result.mismatches.some((m) => m.startsWith(`${name}: `)), `${JSON.stringify(result.mismatches)} should name ${name}`);
        },
      ),
    );
  });
});
