import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedApiServer } from './index.js';
import { FakeClock } from '../clock.js';
import type { Service } from '../resources.js';
import { expectError } from '../conformance/assertions.js';

const svc = (name: string, spec: NonNullable<Service['spec']>): Service => ({ metadata: { name, namespace: 'default' }, spec });

describe('simulated API: Service ClusterIPs and node ports (as kube-apiserver allocates them)', () => {
  it('gives a LoadBalancer Service a ClusterIP, a nodePort per port and, for ETP Local, a healthCheckNodePort', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock() }).client();
    const a = await kube.services.create(svc('a', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [{ port: 80 }, { port: 443 }] }));
    assert.equal(a.spec?.clusterIP, '10.96.0.10');
    assert.deepEqual(a.spec?.clusterIPs, ['10.96.0.10']);
    assert.deepEqual(a.spec?.ports?.map((p) => p.nodePort), [30000, 30001]);
    assert.equal(a.spec?.healthCheckNodePort, 30002);
    const b = await kube.services.create(svc('b', { type: 'ClusterIP', ports: [{ port: 80 }] }));
    assert.equal(b.spec?.clusterIP, '10.96.0.11');
    assert.equal(b.spec?.ports?.[0]?.nodePort, undefined, 'no node port for ClusterIP');
    const c = await kube.services.create(svc('c', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 80 }] }));
    assert.equal(c.spec?.ports?.[0]?.nodePort, undefined, 'allocateLoadBalancerNodePorts: false');
  });

  it('an update that omits them keeps the stored ones; a new port gets a new one', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock() }).client();
    const a = await kube.services.create(svc('a', { type: 'LoadBalancer', ports: [{ port: 80 }] }));
    const updated = await kube.services.update({ ...a, spec: { type: 'LoadBalancer', ports: [{ port: 80 }, { port: 81 }] } });
    assert.equal(updated.spec?.clusterIP, a.spec?.clusterIP);
    assert.deepEqual(updated.spec?.ports?.map((p) => p.nodePort), [30000, 30001]);
  });

  it('a node port or ClusterIP another Service holds is 422; deleting the holder frees it', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock() }).client();
    await kube.services.create(svc('a', { type: 'NodePort', clusterIP: '10.96.5.5', ports: [{ port: 80, nodePort: 30080 }] }));
    const err = await expectError(kube.services.create(svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })), 422, 'Invalid');
    assert.match(err.message, /spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is already allocated/);
    await expectError(kube.services.create(svc('b', { clusterIP: '10.96.5.5', ports: [{ port: 80 }] })), 422, 'Invalid', /provided IP is already allocated/);
    await kube.services.delete({ namespace: 'default', name: 'a' });
    const b = await kube.services.create(svc('b', { type: 'NodePort', clusterIP: '10.96.5.5', ports: [{ port: 80, nodePort: 30080 }] }));
    assert.equal(b.spec?.ports?.[0]?.nodePort, 30080);
  });

  it('a full node-port range is kube-apiserver\'s internal error "range is full", and the Service is not stored', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock() }).client();
    // 2,768 node ports (30000-32767): fill them 100 at a time.
    const perService = 100;
    for (let i = 0; i * perService < 2768; i++) {
      const count = Math.min(perService, 2768 - i * perService);
      await kube.services.create(svc(`fill-${i}`, { type: 'NodePort', ports: Array.from({ length: count }, (_, j) => ({ name: `p${j}`, port: 1000 + j })) }));
    }
    const err = await expectError(kube.services.create(svc('one-more', { type: 'LoadBalancer', ports: [{ port: 80 }] })), 500, 'InternalError');
    assert.equal(err.message, 'Internal error occurred: failed to allocate a nodePort: range is full');
    await expectError(kube.services.get({ namespace: 'default', name: 'one-more' }), 404, 'NotFound');
  });
});
