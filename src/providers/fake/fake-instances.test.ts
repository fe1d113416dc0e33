import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { InstanceNotFoundError, isInstanceNotFound } from '../../cloud/errors.js';
import { deepFreeze } from '../../kube/json-value.js';
import { FakeInstanceStore } from './fake-instances.js';
import type { FakeInstanceSpec } from './fake-instances.js';

const node = (name: string, providerID?: string): Node =>
  deepFreeze({ metadata: { name }, ...(providerID === undefined ? {} : { spec: { providerID } }) });

const store = (): FakeInstanceStore => new FakeInstanceStore('fake', { failureDomain: 'zone-default', region: 'region-default' });

const notFound = (err: unknown): boolean => err instanceof InstanceNotFoundError && isInstanceNotFound(err);

describe('FakeInstanceStore: configuration', () => {
  const derivations: [string, FakeInstanceSpec, { nodeName: string | undefined; providerID: string; instanceID: string }][] = [
    ['node name only: providerID <provider>://<node name>', { nodeName: 'n1' }, { nodeName: 'n1', providerID: 'fake://n1', instanceID: 'n1' }],
    ['providerID only: instance ID is the part after the scheme', { providerID: 'aws:///us-east-1a/i-123' }, { nodeName: undefined, providerID: 'aws:///us-east-1a/i-123', instanceID: '/us-east-1a/i-123' }],
    ['providerID without a scheme: instance ID is all of it', { nodeName: 'n1', providerID: 'i-9' }, { nodeName: 'n1', providerID: 'i-9', instanceID: 'i-9' }],
    ['explicit instance ID: providerID derived from it', { nodeName: 'n1', instanceID: 'vm-7' }, { nodeName: 'n1', providerID: 'fake://vm-7', instanceID: 'vm-7' }],
    ['empty providerID: the cloud reports none', { nodeName: 'n1', providerID: '' }, { nodeName: 'n1', providerID: '', instanceID: 'n1' }],
  ];
  for (const [name, spec, expected] of derivations) {
    it(`derives defaults — ${name}`, () => {
      const instance = store().set(spec);
      assert.deepEqual({ nodeName: instance.nodeName, providerID: instance.providerID, instanceID: instance.instanceID }, expected);
    });
  }

  it('applies the remaining defaults: exists, running, no type, default zone, no addresses or labels', () => {
    const instance = store().set({ nodeName: 'n1' });
    assert.deepEqual(instance, {
      nodeName: 'n1',
      providerID: 'fake://n1',
      instanceID: 'n1',
      exists: true,
      shutdown: false,
      instanceType: '',
      zone: undefined,
      region: undefined,
      addresses: [],
      additionalLabels: {},
    });
    assert.equal(Object.isFrozen(instance), true);
  });

  const invalid: [string, FakeInstanceSpec, RegExp][] = [
    ['neither node name nor providerID', {}, /needs a nodeName or a non-empty providerID/],
    ['only an empty providerID', { providerID: '' }, /needs a nodeName or a non-empty providerID/],
    ['an empty node name', { nodeName: '' }, /nodeName must not be empty/],
    ['an empty instance ID', { nodeName: 'n1', instanceID: '' }, /instanceID must not be empty/],
  ];
  for (const [name, spec, message] of invalid) {
    it(`rejects a spec with ${name}`, () => assert.throws(() => store().set(spec), message));
  }

  it('finds an instance by node name, by providerID and by a string naming either', () => {
    const s = store();
    s.set({ nodeName: 'n1', providerID: 'fake://i-1' });
    assert.equal(s.get({ nodeName: 'n1' })?.instanceID, 'i-1');
    assert.equal(s.get({ providerID: 'fake://i-1' })?.nodeName, 'n1');
    assert.equal(s.get('n1')?.instanceID, 'i-1');
    assert.equal(s.get('fake://i-1')?.instanceID, 'i-1');
    assert.equal(s.get({ nodeName: 'fake://i-1' }), undefined);
    assert.equal(s.get('n2'), undefined);
  });

  it('set replaces the instance with the same node name or providerID, keeping its place', () => {
    const s = store();
    s.set({ nodeName: 'a' });
    s.set({ nodeName: 'b' });
    s.set({ nodeName: 'a', instanceType: 'large' });
    s.set({ providerID: 'fake://b', nodeName: 'b2' });
    assert.deepEqual(s.list().map((i) => [i.nodeName, i.instanceType]), [['a', 'large'], ['b2', '']]);
  });

  it('set refuses a spec whose name and providerID belong to two different instances', () => {
    const s = store();
    s.set({ nodeName: 'a' });
    s.set({ nodeName: 'b' });
    assert.throws(() => s.set({ nodeName: 'a', providerID: 'fake://b' }), /belong to two different instances/);
    assert.equal(s.list().length, 2);
  });

  it('update merges changes and derives providerID again from a new instance ID', () => {
    const s = store();
    s.set({ nodeName: 'n1', zone: 'z1' });
    const updated = s.update('n1', { shutdown: true, instanceID: 'vm-2' });
    assert.equal(updated.shutdown, true);
    assert.equal(updated.zone, 'z1');
    assert.equal(updated.providerID, 'fake://vm-2');
    assert.equal(s.get({ providerID: 'fake://n1' }), undefined);
    assert.equal(s.get({ providerID: 'fake://vm-2' })?.nodeName, 'n1');
  });

  it('update fails for an unknown instance and for a name taken by another instance', () => {
    const s = store();
    s.set({ nodeName: 'a' });
    s.set({ nodeName: 'b' });
    assert.throws(() => s.update({ nodeName: 'zz' }, { shutdown: true }), /updateInstance: no instance with node name "zz"/);
    assert.throws(() => s.update('a', { nodeName: 'b' }), /another instance already has node name "b"/);
    assert.equal(s.get('a')?.nodeName, 'a');
  });

  it('remove forgets the instance under both keys', () => {
    const s = store();
    s.set({ nodeName: 'n1' });
    assert.equal(s.remove({ providerID: 'fake://n1' }), true);
    assert.equal(s.get('n1'), undefined);
    assert.equal(s.remove('n1'), false);
  });

  it('copies inputs: changing the spec afterwards changes the instance neither now nor at the next update', () => {
    const s = store();
    const addresses = [{ type: 'InternalIP', address: '10.0.0.1' }];
    const labels: Record<string, string> = { a: '1' };
    s.set({ nodeName: 'n1', addresses, additionalLabels: labels });
    addresses[0] = { type: 'InternalIP', address: '10.9.9.9' };
    labels['b'] = '2';
    assert.deepEqual(s.get('n1')?.addresses, [{ type: 'InternalIP', address: '10.0.0.1' }]);
    assert.deepEqual(s.get('n1')?.additionalLabels, { a: '1' });
    s.update('n1', { shutdown: true });
    assert.deepEqual(s.get('n1')?.addresses, [{ type: 'InternalIP', address: '10.0.0.1' }]);
    assert.deepEqual(s.get('n1')?.additionalLabels, { a: '1' });
  });
});

describe('FakeInstanceStore: Instances (v1) semantics', () => {
  const s = store();
  s.set({ nodeName: 'running', instanceType: 'small', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] });
  s.set({ nodeName: 'stopped', shutdown: true, instanceType: 'large' });
  s.set({ nodeName: 'gone', exists: false, instanceType: 'tiny' });

  it('instanceID answers for running and shut-down instances (upstream: not InstanceNotFound when stopped)', () => {
    assert.equal(s.instanceID('running'), 'running');
    assert.equal(s.instanceID('stopped'), 'stopped');
  });

  const missing: [string, () => unknown][] = [
    ['instanceID of an unknown node', () => s.instanceID('unknown')],
    ['instanceID of an instance with exists: false', () => s.instanceID('gone')],
    ['nodeAddresses of an unknown node', () => s.nodeAddresses('unknown')],
    ['nodeAddressesByProviderID of an unknown providerID', () => s.nodeAddressesByProviderID('fake://unknown')],
    ['instanceType of a gone instance', () => s.instanceType('gone')],
    ['instanceTypeByProviderID of an unknown providerID', () => s.instanceTypeByProviderID('fake://unknown')],
    ['instanceShutdownByProviderID of a gone instance', () => s.instanceShutdownByProviderID('fake://gone')],
    ['zoneByNodeName of an unknown node', () => s.zoneByNodeName('unknown')],
    ['zoneByProviderID of a gone instance', () => s.zoneByProviderID('fake://gone')],
  ];
  for (const [name, act] of missing) {
    it(`throws InstanceNotFoundError for ${name}`, () => assert.throws(act, notFound));
  }

  it('reports existence by providerID: true for shut-down instances, false for unknown and gone ones', () => {
    assert.deepEqual(
      ['fake://running', 'fake://stopped', 'fake://gone', 'fake://unknown'].map((id) => s.instanceExistsByProviderID(id)),
      [true, true, false, false],
    );
  });

  it('reports shutdown by providerID, and refuses an empty providerID as upstream\'s fake does', () => {
    assert.equal(s.instanceShutdownByProviderID('fake://running'), false);
    assert.equal(s.instanceShutdownByProviderID('fake://stopped'), true);
    assert.throws(() => s.instanceShutdownByProviderID(''), /instanceShutdownByProviderID: the providerID is empty/);
  });

  it('answers addresses and types by name and by providerID, as fresh copies', () => {
    const addresses = s.nodeAddresses('running');
    assert.deepEqual(addresses, [{ type: 'InternalIP', address: '10.0.0.1' }]);
    addresses.push({ type: 'Hostname', address: 'x' });
    assert.deepEqual(s.nodeAddressesByProviderID('fake://running'), [{ type: 'InternalIP', address: '10.0.0.1' }]);
    assert.equal(s.instanceType('stopped'), 'large');
    assert.equal(s.instanceTypeByProviderID('fake://running'), 'small');
  });

  it('zones fall back to the default zone and region per field', () => {
    const z = store();
    z.set({ nodeName: 'a', zone: 'z-a' });
    z.set({ nodeName: 'b', region: 'r-b' });
    assert.deepEqual(z.zoneByNodeName('a'), { failureDomain: 'z-a', region: 'region-default' });
    assert.deepEqual(z.zoneByProviderID('fake://b'), { failureDomain: 'zone-default', region: 'r-b' });
    z.defaultZone = { failureDomain: 'z2', region: 'r2' };
    assert.deepEqual(z.zoneByNodeName('a'), { failureDomain: 'z-a', region: 'r2' });
    assert.deepEqual(z.defaultZone, { failureDomain: 'z2', region: 'r2' });
  });
});

describe('FakeInstanceStore: InstancesV2 lookup and semantics', () => {
  const s = store();
  s.set({ nodeName: 'by-name', providerID: 'fake://i-1' });
  s.set({ providerID: 'fake://i-2' });
  s.set({ nodeName: 'no-id', providerID: '' });

  const lookups: [string, Node, string | undefined][] = [
    ['by providerID when the Node has one', node('whatever', 'fake://i-2'), 'fake://i-2'],
    ['by providerID even when the name belongs to another instance', node('by-name', 'fake://i-2'), 'fake://i-2'],
    ['by node name when the Node has no providerID', node('by-name'), 'fake://i-1'],
    ['by node name when the Node has an empty providerID', node('by-name', ''), 'fake://i-1'],
    ['by node name when the instance reports no providerID', node('no-id', 'fake://other'), ''],
    ['not by name when the Node names a different providerID (a replaced machine)', node('by-name', 'fake://i-9'), undefined],
    ['nothing for an unknown Node', node('unknown'), undefined],
  ];
  for (const [name, n, expected] of lookups) {
    it(`finds the instance ${name}`, () => assert.equal(s.forNode(n)?.providerID, expected));
  }

  it('instanceExists is true for shut-down instances and false for unknown or gone ones', () => {
    const t = store();
    t.set({ nodeName: 'up' });
    t.set({ nodeName: 'down', shutdown: true });
    t.set({ nodeName: 'gone', exists: false });
    assert.deepEqual(['up', 'down', 'gone', 'unknown'].map((n) => t.instanceExists(node(n))), [true, true, false, false]);
    assert.equal(t.instanceShutdown(node('down')), true);
    assert.equal(t.instanceShutdown(node('up')), false);
    assert.throws(() => t.instanceShutdown(node('gone')), notFound);
  });

  it('instanceMetadata reports every configured field with zone fallbacks', () => {
    const t = store();
    t.set({
      nodeName: 'n1',
      instanceType: 'm5.large',
      zone: 'z1',
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      additionalLabels: { 'example.com/pool': 'a' },
    });
    assert.deepEqual(t.instanceMetadata(node('n1')), {
      providerID: 'fake://n1',
      instanceType: 'm5.large',
      nodeAddresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      zone: 'z1',
      region: 'region-default',
      additionalLabels: { 'example.com/pool': 'a' },
    });
  });

  it('instanceMetadata leaves out empty fields ("not provided") and fails for a missing instance', () => {
    const t = new FakeInstanceStore('fake', { failureDomain: '', region: '' });
    t.set({ nodeName: 'bare', providerID: '' });
    assert.deepEqual(t.instanceMetadata(node('bare')), { nodeAddresses: [] });
    assert.throws(() => t.instanceMetadata(node('missing')), notFound);
  });
});
