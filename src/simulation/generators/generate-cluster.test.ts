import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import type { Service } from '../../kube/resources.js';
import { DEFAULT_NODE_PORT_COUNT, generateCluster } from './generate-cluster.js';

describe('generateCluster', () => {
  it('more LoadBalancer Services than node ports: none asks for node ports, and the API takes every one', async () => {
    // Before: the 2,769th Service was refused (the node port range was full), so the bench's
    // 10,000 + 10,000 run ended in exit 2 before it began.
    const cluster = generateCluster({ nodes: 0, services: DEFAULT_NODE_PORT_COUNT + 1 });
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const kube = server.client();
    for (const obj of cluster.objects) await kube.services.create(obj as Service);
    assert.equal(server.objects(kube.services.type).length, DEFAULT_NODE_PORT_COUNT + 1);
    assert.ok(cluster.objects.every((o) => (o as Service).spec?.allocateLoadBalancerNodePorts === false));
  });

  it('up to the node port range, Services get node ports as in any cluster', () => {
    const cluster = generateCluster({ nodes: 1, services: 3 });
    const services = cluster.objects.filter((o) => o.kind === 'Service') as Service[];
    assert.equal(services.length, 3);
    assert.ok(services.every((s) => s.spec?.allocateLoadBalancerNodePorts === undefined));
  });

  it('without objects, gives the same provider config as JSON text (a scale run keeps half the memory)', () => {
    const withObjects = generateCluster({ nodes: 5, services: 1 });
    const withoutObjects = generateCluster({ nodes: 5, services: 1, objects: false });
    assert.equal(typeof withoutObjects.provider.config, 'string');
    assert.deepEqual(JSON.parse(withoutObjects.provider.config as string), withObjects.provider.config);
    assert.deepEqual(withoutObjects.objects, []);
  });
});
