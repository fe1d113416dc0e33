import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { checkFieldSelector, fieldGettersFor, parseFieldSelector } from './field-selector.js';
import { SelectorError } from './selector-error.js';

const event = {
  metadata: { name: 'n1.17a', namespace: 'default' },
  involvedObject: { kind: 'Node', name: 'n1', uid: 'u-1', apiVersion: 'v1', resourceVersion: '42', fieldPath: '' },
  reason: 'Synced',
  type: 'Normal',
  source: { component: 'cloud-node-controller' },
  reportingComponent: 'cloud-node-controller',
};

describe('parseFieldSelector', () => {
  const EVENTS = fieldGettersFor('', 'Event');
  const rows: ReadonlyArray<{ selector: string; want: boolean }> = [
    { selector: '', want: true },
    { selector: 'involvedObject.kind=Node', want: true },
    { selector: 'involvedObject.kind==Node', want: true },
    { selector: 'involvedObject.kind=Service', want: false },
    { selector: 'involvedObject.kind!=Service', want: true },
    { selector: 'involvedObject.kind!=Node', want: false },
    { selector: 'involvedObject.kind=Node,reason=Synced', want: true },
    { selector: 'involvedObject.kind=Node,reason=Other', want: false },
    { selector: 'involvedObject.kind=Node,,type=Normal,', want: true },
    { selector: 'involvedObject.fieldPath=', want: true },
    { selector: 'involvedObject.namespace=', want: true },
    { selector: 'metadata.namespace=default', want: true },
    { selector: 'source=cloud-node-controller', want: true },
    { selector: 'involvedObject.uid!=u-2,involvedObject.resourceVersion=42', want: true },
  ];
  for (const { selector, want } of rows) {
    it(`"${selector}" ${want ? 'matches' : 'does not match'} the event`, () => {
      const sel = parseFieldSelector(selector);
      checkFieldSelector(sel, EVENTS);
      assert.equal(sel.matches(event, EVENTS), want);
    });
  }

  it('reads "==" as "=" and sorts terms as upstream', () => {
    const sel = parseFieldSelector('spec.type==LoadBalancer,metadata.name!=x');
    assert.deepEqual(sel.requirements, [
      { field: 'metadata.name', op: '!=', value: 'x' },
      { field: 'spec.type', op: '=', value: 'LoadBalancer' },
    ]);
    assert.equal(sel.toString(), 'metadata.name!=x,spec.type=LoadBalancer');
    assert.equal(sel.empty, false);
    assert.equal(parseFieldSelector('').empty, true);
  });

  it('unescapes \\, \\= and \\\\ in values and escapes them when printing', () => {
    const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d');
    assert.deepEqual(sel.requirements, [{ field: 'metadata.name', op: '=', value: 'a,b=c\\d' }]);
    assert.equal(sel.toString(), 'metadata.name=a\\,b\\=c\\\\d');
    assert.equal(sel.matches({ metadata: { name: 'a,b=c\\d' } }, fieldGettersFor('', 'Node')), true);
  });

  it('does not trim: spaces belong to the field name, as upstream', () => {
    const sel = parseFieldSelector('metadata.name = n1');
    assert.deepEqual(sel.requirements, [{ field: 'metadata.name ', op: '=', value: ' n1' }]);
    assert.throws(() => checkFieldSelector(sel, fieldGettersFor('', 'Node')), /field label not supported: metadata.name /);
  });

  const malformed: ReadonlyArray<readonly [string, string]> = [
    ['metadata.name', 'a term without an operator'],
    ['a=b,c', 'a second term without an operator'],
    ['a=b=c', 'an unescaped "=" in the value'],
    ['a=b\\x', 'an unknown escape'],
    ['a=b\\', 'a trailing backslash'],
  ];
  for (const [input, what] of malformed) {
    it(`rejects ${what}: "${input}"`, () => {
      assert.throws(() => parseFieldSelector(input), SelectorError);
    });
  }
});

describe('checkFieldSelector', () => {
  it('names the first unsupported field with the apiserver message', () => {
    const sel = parseFieldSelector('metadata.name=n1,spec.providerID=x');
    assert.throws(
      () => checkFieldSelector(sel, fieldGettersFor('', 'Node')),
      (err: unknown) => err instanceof SelectorError && err.code === 'SelectorError' && err.message === 'field label not supported: spec.providerID',
    );
  });

  it('accepts an empty selector for any kind', () => {
    assert.doesNotThrow(() => checkFieldSelector(parseFieldSelector(''), fieldGettersFor('example.com', 'Widget')));
  });
});

describe('fieldGettersFor', () => {
  const supported: ReadonlyArray<{ group: string; kind: string; fields: string[] }> = [
    { group: '', kind: 'Node', fields: ['metadata.name', 'spec.unschedulable'] },
    { group: '', kind: 'Service', fields: ['metadata.name', 'metadata.namespace', 'spec.clusterIP', 'spec.type'] },
    {
      group: '',
      kind: 'Event',
      fields: [
        'metadata.name',
        'metadata.namespace',
        'involvedObject.kind',
        'involvedObject.namespace',
        'involvedObject.name',
        'involvedObject.uid',
        'involvedObject.apiVersion',
        'involvedObject.resourceVersion',
        'involvedObject.fieldPath',
        'reason',
        'reportingComponent',
        'source',
        'type',
      ],
    },
    { group: 'coordination.k8s.io', kind: 'Lease', fields: ['metadata.name', 'metadata.namespace'] },
  ];
  for (const { group, kind, fields } of supported) {
    it(`supports exactly the apiserver's fields for ${kind}`, () => {
      assert.deepEqual([...fieldGettersFor(group, kind).keys()].sort(), [...fields].sort());
    });
  }

  it('does not offer metadata.namespace for cluster-scoped Nodes', () => {
    assert.equal(fieldGettersFor('', 'Node').has('metadata.namespace'), false);
  });

  const values: ReadonlyArray<{ name: string; kind: string; field: string; obj: unknown; want: string }> = [
    { name: 'spec.unschedulable is "true" when set', kind: 'Node', field: 'spec.unschedulable', obj: { spec: { unschedulable: true } }, want: 'true' },
    { name: 'spec.unschedulable is "false" when absent', kind: 'Node', field: 'spec.unschedulable', obj: {}, want: 'false' },
    { name: 'spec.type reads the service type', kind: 'Service', field: 'spec.type', obj: { spec: { type: 'LoadBalancer' } }, want: 'LoadBalancer' },
    { name: 'spec.clusterIP is "" when absent', kind: 'Service', field: 'spec.clusterIP', obj: { spec: {} }, want: '' },
    { name: 'metadata.name survives a non-object', kind: 'Service', field: 'metadata.name', obj: null, want: '' },
    {
      name: 'source falls back to reportingComponent',
      kind: 'Event',
      field: 'source',
      obj: { source: {}, reportingComponent: 'service-controller' },
      want: 'service-controller',
    },
    { name: 'source prefers source.component', kind: 'Event', field: 'source', obj: event, want: 'cloud-node-controller' },
  ];
  for (const { name, kind, field, obj, want } of values) {
    it(name, () => {
      const get = fieldGettersFor('', kind).get(field);
      assert.ok(get);
      assert.equal(get(obj), want);
    });
  }

  it('selects unschedulable nodes with spec.unschedulable=true', () => {
    const NODES = fieldGettersFor('', 'Node');
    const sel = parseFieldSelector('spec.unschedulable=true');
    checkFieldSelector(sel, NODES);
    assert.equal(sel.matches({ spec: { unschedulable: true } }, NODES), true);
    assert.equal(sel.matches({ spec: {} }, NODES), false);
  });
});
