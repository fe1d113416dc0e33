import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { NotImplementedError } from '../../cloud/errors.js';
import type { InstanceMetadata } from '../../cloud/instances-v2.js';
import { FakeClock } from '../../kube/clock.js';
import { noopLogger } from '../../log/logger.js';
import { FakeCloudProvider } from '../../providers/fake/index.js';
import type { FakeCapability, FakeInstanceSpec, FakeMethod } from '../../providers/fake/index.js';
import { getInstanceMetadata, getInstanceNodeAddresses } from './instance-metadata.js';

const node = (providerID?: string): Node => ({ metadata: { name: 'node0' }, spec: providerID === undefined ? {} : { providerID } });
const addresses = [{ type: 'InternalIP', address: '10.0.0.1' }];

describe('getInstanceMetadata', () => {
  const cases: ReadonlyArray<{
    name: string;
    capabilities: readonly FakeCapability[];
    instance: FakeInstanceSpec;
    node: Node;
    fail?: readonly (readonly [FakeMethod, Error])[];
    want?: InstanceMetadata;
    error?: RegExp;
  }> = [
    {
      name: 'cloud implemented with Instances and provider ID',
      capabilities: ['instances', 'zones'],
      instance: { nodeName: 'node0', instanceType: 'big', zone: 'z1', region: 'r1', addresses },
      node: node(),
      want: { providerID: 'fake://node0', instanceType: 'big', nodeAddresses: addresses, zone: 'z1', region: 'r1' },
    },
    {
      name: 'cloud implemented with Instances (providerID not implemented)',
      capabilities: ['instances'],
      instance: { nodeName: 'node0', instanceType: 'big', addresses },
      node: node(),
      fail: [['instanceID', new NotImplementedError()]],
      want: { providerID: '', instanceType: 'big', nodeAddresses: addresses },
    },
    {
      name: 'cloud implemented with Instances (providerID not implemented) and node with providerID',
      capabilities: ['instances'],
      instance: { nodeName: 'node0', providerID: 'fake://node0', instanceType: 'big', addresses },
      node: node('fake://node0'),
      fail: [['instanceID', new NotImplementedError()]],
      want: { providerID: 'fake://node0', instanceType: 'big', nodeAddresses: addresses },
    },
    {
      name: 'Instances lookups by providerID fall back to lookups by node name',
      capabilities: ['instances', 'zones'],
      instance: { nodeName: 'node0', instanceType: 'big', zone: 'z1', region: 'r1', addresses },
      node: node('fake://stale'),
      want: { providerID: 'fake://stale', instanceType: 'big', nodeAddresses: addresses, zone: 'z1', region: 'r1' },
    },
    {
      name: 'zone lookups failing both ways fail with a zone error',
      capabilities: ['instances', 'zones'],
      instance: { nodeName: 'node0', addresses },
      node: node(),
      fail: [
        ['getZoneByProviderID', new Error('by id')],
        ['getZoneByNodeName', new Error('by name')],
      ],
      error: /failed to get zone from cloud provider: zone: error fetching by providerID: by id, and error by node name: by name/,
    },
    {
      name: 'cloud implemented with InstancesV2 (with providerID)',
      capabilities: ['instances', 'instancesV2', 'zones'],
      instance: { nodeName: 'node0', providerID: 'fake://abc', instanceType: 'big', zone: 'z1', addresses },
      node: node(),
      want: { providerID: 'fake://abc', instanceType: 'big', nodeAddresses: addresses, zone: 'z1' },
    },
    {
      name: 'cloud implemented with InstancesV2 (without providerID)',
      capabilities: ['instancesV2'],
      instance: { nodeName: 'node0', providerID: '', addresses },
      node: node(),
      error: /cloud provider "fake" broke the provider contract: cloud provider does not set node provider ID for node "node0"/,
    },
    {
      name: 'cloud implemented with InstancesV2 (without providerID) and node with providerID',
      capabilities: ['instancesV2'],
      instance: { nodeName: 'node0', providerID: '', addresses },
      node: node('custom://node0'),
      want: { providerID: 'custom://node0', nodeAddresses: addresses },
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const cloud = new FakeCloudProvider({ clock: new FakeClock(), capabilities: c.capabilities, instances: [c.instance] });
      for (const [method, error] of c.fail ?? []) cloud.failAlways(method, error);
      const result = getInstanceMetadata(cloud, c.node, { log: noopLogger });
      if (c.error !== undefined) await assert.rejects(result, c.error);
      else assert.deepEqual(await result, c.want);
      // InstancesV2 is used exclusively when offered: Zones and Instances are never called.
      if (c.capabilities.includes('instancesV2')) assert.deepEqual(cloud.calls().map((call) => call.method), ['instanceMetadata']);
    });
  }
});

describe('getInstanceNodeAddresses', () => {
  it('asks Instances only for addresses (no type, no zone)', async () => {
    const cloud = new FakeCloudProvider({ clock: new FakeClock(), capabilities: ['instances', 'zones'], instances: [{ nodeName: 'node0', addresses }] });
    assert.deepEqual(await getInstanceNodeAddresses(cloud, node('fake://node0'), {}), { nodeAddresses: addresses });
    assert.deepEqual(cloud.calls().map((call) => call.method), ['nodeAddressesByProviderID']);
  });
});
