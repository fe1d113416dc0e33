import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node } from 'kubernetes-types/core/v1.js';
import { LocalInstances } from './local-instances.js';
import { parseLocalConfig } from './local-config.js';

const inventory = parseLocalConfig(`inventory:
- name: n1
  zone: z1
  region: r1
  instanceType: small
  addresses: [{ type: InternalIP, address: 127.0.20.1 }]
- name: n2
  providerID: local://custom-2
  shutdown: true
`).inventory;

const node = (name: string, extra: Partial<Node> = {}): Node => ({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '127.0.30.9' }] }, ...extra });

describe('LocalInstances', () => {
  it('with an inventory: metadata, existence and shutdown come from it', async () => {
    const instances = new LocalInstances(inventory);
    assert.deepEqual(await instances.instanceMetadata(node('n1')), {
      providerID: 'local://n1',
      nodeAddresses: [{ type: 'InternalIP', address: '127.0.20.1' }],
      zone: 'z1',
      region: 'r1',
      instanceType: 'small',
    });
    assert.equal(await instances.instanceExists(node('n1')), true);
    assert.equal(await instances.instanceShutdown(node('n1')), false);
    assert.equal(await instances.instanceShutdown(node('renamed', { spec: { providerID: 'local://custom-2' } })), true, 'found by providerID first');
    assert.equal(await instances.instanceExists(node('ghost')), false);
    assert.equal(await instances.instanceMetadata(node('ghost')), undefined);
  });

  it('an inventory entry without addresses uses the Node’s own InternalIP', async () => {
    const instances = new LocalInstances(inventory);
    assert.deepEqual((await instances.instanceMetadata(node('n2')))?.nodeAddresses, [
      { type: 'InternalIP', address: '127.0.30.9' },
      { type: 'Hostname', address: 'n2' },
    ]);
  });

  it('without an inventory: local://<name>, the Node’s InternalIP (or provided node IP), always existing and running', async () => {
    const instances = new LocalInstances(undefined);
    assert.deepEqual(await instances.instanceMetadata(node('w1')), {
      providerID: 'local://w1',
      nodeAddresses: [
        { type: 'InternalIP', address: '127.0.30.9' },
        { type: 'Hostname', address: 'w1' },
      ],
    });
    const bare: Node = { metadata: { name: 'w2', annotations: { 'alpha.kubernetes.io/provided-node-ip': '127.0.30.10' } } };
    assert.deepEqual((await instances.instanceMetadata(bare))?.nodeAddresses, [
      { type: 'InternalIP', address: '127.0.30.10' },
      { type: 'Hostname', address: 'w2' },
    ]);
    assert.equal(await instances.instanceExists(bare), true);
    assert.equal(await instances.instanceShutdown(bare), false);
  });
});
