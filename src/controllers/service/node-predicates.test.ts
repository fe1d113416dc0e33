import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node } from 'kubernetes-types/core/v1.js';
import { TO_BE_DELETED_TAINT } from '../../cloud/constants.js';
import {
  backendsDigest,
  inStableNodeSet,
  LABEL_NODE_EXCLUDE_BALANCERS,
  nodeIncluded,
  nodesSufficientlyEqual,
  parseGoBool,
  shouldSyncUpdatedNode,
} from './node-predicates.js';

interface Tweaks {
  excluded?: string;
  tainted?: boolean;
  otherTaint?: boolean;
  otherLabel?: boolean;
  ready?: 'True' | 'False';
  otherCondition?: 'True' | 'False';
  deleted?: boolean;
  providerID?: string;
}

function node(name: string, t: Tweaks = {}): Node {
  const labels: Record<string, string> = {};
  if (t.excluded !== undefined) labels[LABEL_NODE_EXCLUDE_BALANCERS] = t.excluded;
  if (t.otherLabel === true) labels['example.com/other'] = 'x';
  const taints = [];
  if (t.tainted === true) taints.push({ key: TO_BE_DELETED_TAINT, effect: 'NoSchedule' });
  if (t.otherTaint === true) taints.push({ key: 'Other', effect: 'NoSchedule' });
  const conditions = [];
  if (t.ready !== undefined) conditions.push({ type: 'Ready', status: t.ready });
  if (t.otherCondition !== undefined) conditions.push({ type: 'MemoryPressure', status: t.otherCondition });
  return {
    metadata: { name, labels, ...(t.deleted === true ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: { taints, ...(t.providerID === undefined ? {} : { providerID: t.providerID }) },
    status: { conditions },
  };
}

describe('parseGoBool', () => {
  const cases: [string, boolean | undefined][] = [
    ['1', true], ['t', true], ['T', true], ['TRUE', true], ['true', true], ['True', true],
    ['0', false], ['f', false], ['F', false], ['FALSE', false], ['false', false], ['False', false],
    ['', undefined], ['yes', undefined], ['tRuE', undefined], [' true', undefined],
  ];
  for (const [input, want] of cases) it(`parses ${JSON.stringify(input)} as ${String(want)}`, () => assert.equal(parseGoBool(input), want));
});

describe('nodeIncluded (exclude label, Go bool parsing)', () => {
  const cases: { name: string; label: string | undefined; want: boolean }[] = [
    { name: 'no label ⇒ included', label: undefined, want: true },
    { name: 'label "false" ⇒ included', label: 'false', want: true },
    { name: 'label "0" ⇒ included', label: '0', want: true },
    { name: 'label "true" ⇒ excluded', label: 'true', want: false },
    { name: 'empty label ⇒ excluded (unparsable)', label: '', want: false },
    { name: 'unparsable label ⇒ excluded', label: 'nope', want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(nodeIncluded(node('n', c.label === undefined ? {} : { excluded: c.label })), c.want));
});

describe('inStableNodeSet', () => {
  const cases: { name: string; node: Node; want: boolean }[] = [
    { name: 'a plain node is in', node: node('n'), want: true },
    { name: 'a NotReady node is still in (readiness does not matter)', node: node('n', { ready: 'False' }), want: true },
    { name: 'a node with another taint is in', node: node('n', { otherTaint: true }), want: true },
    { name: 'a node tainted ToBeDeletedByClusterAutoscaler is out', node: node('n', { tainted: true }), want: false },
    { name: 'an excluded node is out', node: node('n', { excluded: 'true' }), want: false },
    { name: 'a node being deleted is out', node: node('n', { deleted: true }), want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(inStableNodeSet(c.node), c.want));
});

describe('shouldSyncUpdatedNode', () => {
  // Upstream Test_shouldSyncUpdatedNode_individualPredicates and _compoundedPredicates.
  const cases: { name: string; old: Tweaks; new: Tweaks; want: boolean }[] = [
    { name: 'nothing changed', old: {}, new: {}, want: false },
    { name: 'excluded F->T', old: {}, new: { excluded: 'true' }, want: true },
    { name: 'excluded changed T->F', old: { excluded: 'true' }, new: {}, want: true },
    { name: 'excluded changed T->T', old: { excluded: 'true' }, new: { excluded: '' }, want: false },
    { name: 'other taint F->T', old: {}, new: { otherTaint: true }, want: false },
    { name: 'other taint T->F', old: { otherTaint: true }, new: {}, want: false },
    { name: 'other label changed F->T', old: {}, new: { otherLabel: true }, want: false },
    { name: 'other label changed T->F', old: { otherLabel: true }, new: {}, want: false },
    { name: 'readiness changed F->F', old: { ready: 'False' }, new: { ready: 'False' }, want: false },
    { name: 'readiness changed F->unset', old: { ready: 'False' }, new: {}, want: false },
    { name: 'readiness changed unset->F', old: {}, new: { ready: 'False' }, want: false },
    { name: 'readiness changed T->F', old: { ready: 'True' }, new: { ready: 'False' }, want: false },
    { name: 'ready F, other condition changed F->T', old: { ready: 'False', otherCondition: 'False' }, new: { ready: 'False', otherCondition: 'True' }, want: false },
    { name: 'ready T, other condition changed T->F', old: { ready: 'True', otherCondition: 'True' }, new: { ready: 'True', otherCondition: 'False' }, want: false },
    { name: 'deletionTimestamp F -> T', old: {}, new: { deleted: true }, want: false },
    { name: 'ToBeDeleted taint F -> T', old: {}, new: { tainted: true }, want: false },
    { name: 'providerID set F -> T', old: {}, new: { providerID: 'p://1' }, want: true },
    { name: 'providerID set T-> F', old: { providerID: 'p://1' }, new: {}, want: true },
    { name: 'providerID change', old: { providerID: 'p://1' }, new: { providerID: 'p://2' }, want: true },
    { name: 'tainted T, excluded F->T', old: { tainted: true }, new: { tainted: true, excluded: 'true' }, want: true },
    { name: 'tainted T, providerID change', old: { tainted: true, providerID: 'a' }, new: { tainted: true, providerID: 'b' }, want: true },
    { name: 'tainted T, ready F->T', old: { tainted: true, ready: 'False' }, new: { tainted: true, ready: 'True' }, want: false },
    { name: 'excluded T, tainted F->T', old: { excluded: 'true' }, new: { excluded: 'true', tainted: true }, want: false },
    { name: 'excluded T, providerID set F->T', old: { excluded: 'true' }, new: { excluded: 'true', providerID: 'a' }, want: true },
    { name: 'ready F, excluded T->F', old: { ready: 'False', excluded: 'true' }, new: { ready: 'False' }, want: true },
    { name: 'providerID unset, tainted F->T', old: {}, new: { tainted: true }, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(shouldSyncUpdatedNode(node('n', c.old), node('n', c.new)), c.want));
});

describe('nodesSufficientlyEqual', () => {
  // Upstream TestNodesNotEqual.
  const cases: { name: string; old: Node[]; new: Node[]; want: boolean }[] = [
    { name: 'Nodes with updated providerID', old: [node('a', { providerID: 'x' })], new: [node('a', { providerID: 'y' })], want: false },
    { name: 'Nodes unchanged', old: [node('a', { providerID: 'x' }), node('b')], new: [node('b'), node('a', { providerID: 'x', ready: 'False' })], want: true },
    { name: 'Change node with empty providerID', old: [node('a')], new: [node('a', { providerID: 'x' })], want: false },
    { name: 'a node added', old: [node('a')], new: [node('a'), node('b')], want: false },
    { name: 'a node replaced by another name', old: [node('a')], new: [node('b')], want: false },
    { name: 'duplicate names do not hide a difference', old: [node('a'), node('a')], new: [node('a'), node('b')], want: false },
    { name: 'two empty sets are equal', old: [], new: [], want: true },
  ];
  for (const c of cases) it(c.name, () => assert.equal(nodesSufficientlyEqual(c.old, c.new), c.want));

  it('equal mappings have equal, order-independent digests; different digests mean different mappings (property)', () => {
    const arbPairs = fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'e'), pid: fc.constantFrom('', 'x', 'y', 'z') }), { selector: (n) => n.name });
    fc.assert(
      fc.property(arbPairs, arbPairs, (xs, ys) => {
        const a = xs.map((p) => node(p.name, { providerID: p.pid }));
        const b = ys.map((p) => node(p.name, { providerID: p.pid }));
        assert.equal(backendsDigest(a), backendsDigest([...a].reverse()), 'order-independent');
        if (nodesSufficientlyEqual(a, b)) assert.equal(backendsDigest(a), backendsDigest(b));
        if (backendsDigest(a) !== backendsDigest(b)) assert.equal(nodesSufficientlyEqual(a, b), false);
      }),
    );
  });

  it('is symmetric and order-insensitive for sets of distinct names (property)', () => {
    const arbNodes = fc.uniqueArray(fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd'), pid: fc.constantFrom('', 'x', 'y') }), { selector: (n) => n.name });
    fc.assert(
      fc.property(arbNodes, arbNodes, (xs, ys) => {
        const a = xs.map((n) => node(n.name, { providerID: n.pid }));
        const b = ys.map((n) => node(n.name, { providerID: n.pid }));
        assert.equal(nodesSufficientlyEqual(a, b), nodesSufficientlyEqual(b, a));
        assert.equal(nodesSufficientlyEqual(a, [...a].reverse()), true);
      }),
    );
  });
});
