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

  it('one port number over TCP and UDP shares one node port, allocated or given (as kube-apiserver\'s initNodePorts)', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock() }).client();
    const dns = await kube.services.create(svc('dns', { type: 'NodePort', ports: [{ name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'dns-udp', port: 53, protocol: 'UDP' }, { name: 'web', port: 80 }] }));
    assert.deepEqual(dns.spec?.ports?.map((p) => p.nodePort), [30000, 30000, 30001]);
    const given = await kube.services.create(svc('given', { type: 'NodePort', ports: [{ name: 'tcp', port: 54, protocol: 'TCP', nodePort: 30054 }, { name: 'udp', port: 54, protocol: 'UDP', nodePort: 30054 }] }));
    assert.deepEqual(given.spec?.ports?.map((p) => p.nodePort), [30054, 30054]);
    const later = await kube.services.create(svc('later', { type: 'NodePort', ports: [{ name: 'tcp', port: 55, protocol: 'TCP' }, { name: 'udp', port: 55, protocol: 'UDP', nodePort: 30055 }] }));
    assert.deepEqual(later.spec?.ports?.map((p) => p.nodePort), [30055, 30055], 'a node port requested further down the list is shared');
    await expectError(kube.services.create(svc('clash', { type: 'NodePort', ports: [{ name: 'a', port: 56, nodePort: 30056 }, { name: 'b', port: 57, nodePort: 30056 }] })), 422, 'Invalid', /spec\.ports\[1\]\.nodePort/);
    await kube.services.delete({ namespace: 'default', name: 'dns' });
    const reuse = await kube.services.create(svc('reuse', { type: 'NodePort', ports: [{ name: 'p', port: 1, nodePort: 30000 }] }));
    assert.equal(reuse.spec?.ports?.[0]?.nodePort, 30000, 'the shared node port is freed once');
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

describe('simulated API: Service strategy defaults and ranges', () => {
  it('defaults what kube-apiserver defaults: targetPort, sessionAffinity, traffic policies, allocateLoadBalancerNodePorts, IP families', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock() }).client();
    const lb = await kube.services.create(svc('lb', { type: 'LoadBalancer', ports: [{ port: 80 }] }));
    assert.equal(lb.spec?.ports?.[0]?.targetPort, 80);
    assert.equal(lb.spec?.sessionAffinity, 'None');
    assert.equal(lb.spec?.externalTrafficPolicy, 'Cluster');
    assert.equal(lb.spec?.internalTrafficPolicy, 'Cluster');
    assert.equal(lb.spec?.allocateLoadBalancerNodePorts, true);
    assert.equal(lb.spec?.ipFamilyPolicy, 'SingleStack');
    assert.deepEqual(lb.spec?.ipFamilies, ['IPv4']);
    const sticky = await kube.services.create(svc('sticky', { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] }));
    assert.deepEqual(sticky.spec?.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    assert.equal(sticky.spec?.externalTrafficPolicy, undefined, 'ClusterIP Services have no external policy');
    const ext = await kube.services.create(svc('ext', { type: 'ExternalName', externalName: 'db.example' }));
    assert.equal(ext.spec?.ipFamilies, undefined);
    assert.equal(ext.spec?.internalTrafficPolicy, undefined);
  });

  it('refuses IP families this single-stack IPv4 cluster does not have, naming the field', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock() }).client();
    await expectError(kube.services.create(svc('v6', { ipFamilies: ['IPv6'], ports: [{ port: 80 }] })), 422, 'Invalid', /spec\.ipFamilies\[0\]: Invalid value: "IPv6": not configured on this cluster/);
    await expectError(kube.services.create(svc('v7', { ipFamilies: ['IPv7'], ports: [{ port: 80 }] })), 422, 'Invalid', /spec\.ipFamilies\[0\]: Unsupported value: "IPv7": supported values: "IPv4", "IPv6"/);
    await expectError(
      kube.services.create(svc('ds', { ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] })),
      422,
      'Invalid',
      /spec\.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services/,
    );
  });

  it('allocates from configured ranges and refuses requested values outside them, as kube-apiserver words it', async () => {
    const kube = new SimulatedApiServer({ clock: new FakeClock(), serviceClusterIPRange: '10.0.0.0/24', serviceNodePortRange: '31000-31001' }).client();
    const a = await kube.services.create(svc('a', { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] }));
    assert.equal(a.spec?.clusterIP, '10.0.0.10');
    assert.deepEqual(a.spec?.ports?.map((p) => p.nodePort), [31000, 31001]);
    await expectError(kube.services.create(svc('full', { type: 'NodePort', ports: [{ port: 80 }] })), 500, 'InternalError', /range is full/);
    await expectError(
      kube.services.create(svc('out', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })),
      422,
      'Invalid',
      /spec\.ports\[0\]\.nodePort: Invalid value: 30080: provided port is not in the valid range\. The range of valid ports is 31000-31001/,
    );
    await expectError(
      kube.services.create(svc('ip', { clusterIP: '10.96.0.50', ports: [{ port: 80 }] })),
      422,
      'Invalid',
      /spec\.clusterIPs\[0\]: Invalid value: "10\.96\.0\.50": failed to allocate IP 10\.96\.0\.50: the provided IP \(10\.96\.0\.50\) is not in the valid range\. The range of valid IPs is 10\.0\.0\.0\/24/,
    );
    assert.throws(() => new SimulatedApiServer({ serviceNodePortRange: '32000-31000' }), /service-node-port-range: "32000-31000" is not a port range/);
    assert.throws(() => new SimulatedApiServer({ serviceClusterIPRange: '10.0.0.0/33' }), /service-cluster-ip-range: "10\.0\.0\.0\/33" is not an IPv4 CIDR/);
  });
});
