import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeAddress } from 'kubernetes-types/core/v1.js';
import { addressesStatusPatch, getNodeAddressesFromNodeIP, nodeAddressesChangeDetected } from './node-addresses.js';

const HOST = 'hostname';
const internal = (address: string): NodeAddress => ({ type: 'InternalIP', address });
const external = (address: string): NodeAddress => ({ type: 'ExternalIP', address });
const hostname: NodeAddress = { type: 'Hostname', address: HOST };

describe('getNodeAddressesFromNodeIP', () => {
  const cases: ReadonlyArray<{ name: string; nodeIP: string; cloud: readonly NodeAddress[]; want?: readonly NodeAddress[] }> = [
    { name: 'A single InternalIP', nodeIP: '10.1.1.1', cloud: [internal('10.1.1.1'), hostname], want: [internal('10.1.1.1'), hostname] },
    {
      name: 'NodeIP is external',
      nodeIP: '55.55.55.55',
      cloud: [internal('10.1.1.1'), external('55.55.55.55'), hostname],
      want: [external('55.55.55.55'), internal('10.1.1.1'), hostname],
    },
    {
      name: 'InternalIP and ExternalIP are the same',
      nodeIP: '55.55.55.55',
      cloud: [internal('44.44.44.44'), external('44.44.44.44'), internal('55.55.55.55'), external('55.55.55.55'), hostname],
      want: [internal('55.55.55.55'), external('55.55.55.55'), hostname],
    },
    {
      name: 'An Internal/ExternalIP, an Internal/ExternalDNS',
      nodeIP: '10.1.1.1',
      cloud: [internal('10.1.1.1'), external('55.55.55.55'), { type: 'InternalDNS', address: 'ip-10-1-1-1.internal' }, { type: 'ExternalDNS', address: 'ec2.example' }, hostname],
      want: [internal('10.1.1.1'), external('55.55.55.55'), { type: 'InternalDNS', address: 'ip-10-1-1-1.internal' }, { type: 'ExternalDNS', address: 'ec2.example' }, hostname],
    },
    {
      name: 'An Internal with multiple internal IPs',
      nodeIP: '10.1.1.1',
      cloud: [internal('10.1.1.1'), internal('10.2.2.2'), internal('10.3.3.3'), external('55.55.55.55'), hostname],
      want: [internal('10.1.1.1'), external('55.55.55.55'), hostname],
    },
    { name: "An InternalIP that isn't valid: should error", nodeIP: '10.2.2.2', cloud: [internal('10.1.1.1'), external('55.55.55.55'), hostname] },
    {
      name: 'Dual-stack cloud, with nodeIP, different IPv6 formats',
      nodeIP: '2600:1f14:1d4:d101::ba3d',
      cloud: [internal('10.1.1.1'), internal('2600:1f14:1d4:d101:0:0:0:ba3d'), hostname],
      want: [internal('2600:1f14:1d4:d101:0:0:0:ba3d'), hostname],
    },
    { name: 'Single-stack cloud, dual-stack request', nodeIP: '10.1.1.1,fc01:1234::5678', cloud: [internal('10.1.1.1'), hostname] },
    {
      name: 'Dual-stack cloud, IPv4 first, IPv4-primary request',
      nodeIP: '10.1.1.1,fc01:1234::5678',
      cloud: [internal('10.1.1.1'), internal('fc01:1234::5678'), hostname],
      want: [internal('10.1.1.1'), internal('fc01:1234::5678'), hostname],
    },
    {
      name: 'Dual-stack cloud, IPv6 first, IPv4-primary request',
      nodeIP: '10.1.1.1,fc01:1234::5678',
      cloud: [internal('fc01:1234::5678'), internal('10.1.1.1'), hostname],
      want: [internal('10.1.1.1'), internal('fc01:1234::5678'), hostname],
    },
    {
      name: 'Dual-stack cloud, dual-stack request, multiple IPs',
      nodeIP: '10.1.1.1,fc01:1234::5678',
      cloud: [internal('10.1.1.1'), internal('10.1.1.2'), internal('fc01:1234::1234'), internal('fc01:1234::5678'), hostname],
      want: [internal('10.1.1.1'), internal('fc01:1234::5678'), hostname],
    },
    {
      name: 'Dual-stack cloud, dual-stack request, extra ExternalIP',
      nodeIP: '10.1.1.1,fc01:1234::5678',
      cloud: [internal('10.1.1.1'), external('55.55.55.55'), internal('fc01:1234::1234'), internal('fc01:1234::5678'), hostname],
      want: [internal('10.1.1.1'), internal('fc01:1234::5678'), external('55.55.55.55'), hostname],
    },
    {
      name: 'Dual-stack cloud, dual-stack request, multiple ExternalIPs',
      nodeIP: 'fc01:1234::5678,10.1.1.1',
      cloud: [internal('10.1.1.1'), external('55.55.55.55'), internal('fc01:1234::5678'), external('2001:db1::1'), hostname],
      want: [internal('fc01:1234::5678'), internal('10.1.1.1'), external('55.55.55.55'), external('2001:db1::1'), hostname],
    },
    {
      name: 'Dual-stack cloud, dual-stack request, mixed InternalIP/ExternalIP match',
      nodeIP: '55.55.55.55,fc01:1234::5678',
      cloud: [internal('10.1.1.1'), external('55.55.55.55'), internal('fc01:1234::5678'), external('2001:db1::1'), hostname],
      want: [external('55.55.55.55'), internal('fc01:1234::5678'), hostname],
    },
    { name: 'A malformed node IP: should error', nodeIP: '10.1.1.1,10.1.1.2', cloud: [internal('10.1.1.1'), internal('10.1.1.2')] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.want === undefined) assert.throws(() => getNodeAddressesFromNodeIP(c.nodeIP, c.cloud));
      else assert.deepEqual(getNodeAddressesFromNodeIP(c.nodeIP, c.cloud), c.want);
    });
  }
});

describe('nodeAddressesChangeDetected', () => {
  const base = [internal('10.0.0.1'), external('132.143.154.163')];
  const cases: ReadonlyArray<{ name: string; current: readonly NodeAddress[]; next: readonly NodeAddress[]; changed: boolean }> = [
    { name: 'same addresses: no change', current: base, next: [internal('10.0.0.1'), external('132.143.154.163')], changed: false },
    { name: 'another value for a type: change', current: base, next: [internal('10.0.0.1'), external('132.143.154.164')], changed: true },
    { name: 'an extra address: change', current: base, next: [...base, hostname], changed: true },
    { name: 'one address fewer: change', current: base, next: [internal('10.0.0.1')], changed: true },
    { name: 'reordered only: no change', current: base, next: [external('132.143.154.163'), internal('10.0.0.1')], changed: false },
    { name: 'a new type replacing another: change', current: [internal('10.0.0.1'), hostname], next: [internal('10.0.0.1'), external('10.0.0.2')], changed: true },
    { name: 'both empty: no change', current: [], next: [], changed: false },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(nodeAddressesChangeDetected(c.current, c.next), c.changed));
  }
});

describe('addressesStatusPatch', () => {
  for (const [name, next] of [
    ['replaces the list with one address', [internal('10.0.0.1')]],
    ['replaces the list with a dual-stack pair of one type (a merge by type would fold them)', [internal('10.0.0.1'), internal('fd00::1')]],
  ] as const) {
    it(name, () => {
      assert.deepEqual(addressesStatusPatch(next), { type: 'strategic', body: { status: { addresses: [{ $patch: 'replace' }, ...next] } } });
    });
  }
});
