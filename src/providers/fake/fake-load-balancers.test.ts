import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { deepFreeze } from '../../kube/json-value.js';
import { FakeLoadBalancers, serviceKeyOf } from './fake-load-balancers.js';

const service = (name: string, namespace = 'default', uid = `uid-${name}`): Service =>
  deepFreeze({
    metadata: { name, namespace, uid, labels: { app: name } },
    spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP' }] },
  });
const node = (name: string): Node => deepFreeze({ metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } });

describe('serviceKeyOf', () => {
  it('is namespace/name, with "default" for a Service without a namespace', () => {
    assert.equal(serviceKeyOf({ metadata: { name: 'web', namespace: 'shop' } }), 'shop/web');
    assert.equal(serviceKeyOf({ metadata: { name: 'web' } }), 'default/web');
  });
});

describe('FakeLoadBalancers', () => {
  it('ensure creates a load balancer with the next IP of the range and records its nodes sorted', () => {
    const lbs = new FakeLoadBalancers();
    const status = lbs.ensure('kubernetes', service('web'), [node('n2'), node('n1')]);
    assert.deepEqual(status, { ingress: [{ ip: '192.0.2.1' }] });
    assert.deepEqual(lbs.list(), [
      { name: 'auidweb', serviceKey: 'default/web', clusterName: 'kubernetes', nodes: ['n1', 'n2'], status: { ingress: [{ ip: '192.0.2.1' }] } },
    ]);
    assert.deepEqual(lbs.get(service('web')), { exists: true, status: { ingress: [{ ip: '192.0.2.1' }] } });
  });

  it('hands out IPs sequentially per Service and keeps a Service\'s IP across ensures', () => {
    const lbs = new FakeLoadBalancers({ ipRange: '198.51.100.0/24', ipMode: 'Proxy' });
    const a1 = lbs.ensure('kubernetes', service('a'), []);
    const b = lbs.ensure('kubernetes', service('b'), []);
    const a2 = lbs.ensure('kubernetes', service('a'), [node('n1')]);
    assert.deepEqual(a1, { ingress: [{ ip: '198.51.100.1', ipMode: 'Proxy' }] });
    assert.deepEqual(b.ingress[0]?.ip, '198.51.100.2');
    assert.deepEqual(a2, a1);
    assert.deepEqual(lbs.find('default/a')?.nodes, ['n1']);
  });

  it('update replaces the node set of an existing load balancer and keeps its status', () => {
    const lbs = new FakeLoadBalancers();
    lbs.ensure('kubernetes', service('web'), [node('n1'), node('n2')]);
    lbs.update(service('web'), [node('n3')]);
    assert.deepEqual(lbs.find('default/web')?.nodes, ['n3']);
    assert.deepEqual(lbs.find('default/web')?.status, { ingress: [{ ip: '192.0.2.1' }] });
  });

  it('update of a Service without a load balancer fails naming the Service', () => {
    assert.throws(() => new FakeLoadBalancers().update(service('web', 'shop'), []), /updateLoadBalancer: service "shop\/web" has no load balancer/);
  });

  it('delete removes the load balancer, is idempotent, and returns its IP to the range', () => {
    const lbs = new FakeLoadBalancers({ ipRange: '192.0.2.0/30' }); // two usable IPs
    lbs.ensure('kubernetes', service('a'), []);
    lbs.ensure('kubernetes', service('b'), []);
    lbs.delete(service('a'));
    lbs.delete(service('a'));
    assert.deepEqual(lbs.get(service('a')), { exists: false });
    assert.deepEqual(lbs.list().map((lb) => lb.serviceKey), ['default/b']);
    assert.deepEqual(lbs.ensure('kubernetes', service('c'), []).ingress, [{ ip: '192.0.2.1' }]);
  });

  it('ensure fails when the range is exhausted, leaving no load balancer behind', () => {
    const lbs = new FakeLoadBalancers({ ipRange: '192.0.2.4/32' });
    lbs.ensure('kubernetes', service('a'), []);
    assert.throws(() => lbs.ensure('kubernetes', service('b'), []), /192\.0\.2\.4\/32 is exhausted/);
    assert.equal(lbs.find('default/b'), undefined);
  });

  it('an explicit status wins over allocation, with hostname, ipMode and ports, and is a copy', () => {
    const lbs = new FakeLoadBalancers({ statuses: { 'default/dns': { ingress: [{ hostname: 'lb.example.com' }] } } });
    const explicit = { ingress: [{ ip: '203.0.113.9', ipMode: 'VIP' as const, ports: [{ port: 80, protocol: 'TCP', error: 'example.com/Pending' }] }] };
    lbs.setStatus('default/web', explicit);
    explicit.ingress[0]!.ip = '203.0.113.10';
    assert.deepEqual(lbs.ensure('kubernetes', service('dns'), []), { ingress: [{ hostname: 'lb.example.com' }] });
    const status = lbs.ensure('kubernetes', service('web'), []);
    assert.deepEqual(status, { ingress: [{ ip: '203.0.113.9', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP', error: 'example.com/Pending' }] }] });
    status.ingress.pop();
    assert.equal(lbs.ensure('kubernetes', service('web'), []).ingress.length, 1);
  });

  it('an explicit status set later applies at the next ensure and releases the allocated IP', () => {
    const lbs = new FakeLoadBalancers({ ipRange: '192.0.2.0/30' });
    lbs.ensure('kubernetes', service('web'), []);
    lbs.setStatus('default/web', { ingress: [] });
    assert.deepEqual(lbs.get(service('web')).status, { ingress: [{ ip: '192.0.2.1' }] });
    assert.deepEqual(lbs.ensure('kubernetes', service('web'), []), { ingress: [] });
    lbs.setStatus('default/web', undefined);
    // .1 was released, but allocation moves on before reusing it.
    assert.deepEqual(lbs.ensure('kubernetes', service('web'), []).ingress, [{ ip: '192.0.2.2' }]);
  });

  it('name is the default load-balancer name, also for Services without a UID', () => {
    const lbs = new FakeLoadBalancers();
    assert.equal(lbs.name(service('web', 'default', '1234-abcd')), 'a1234abcd');
    assert.equal(lbs.name({ metadata: { name: 'web' } }), 'a');
  });

  it('never writes to its inputs: frozen Services and Nodes go through the whole lifecycle and stay equal', () => {
    const lbs = new FakeLoadBalancers();
    const svc = service('web');
    const nodes = deepFreeze([node('n1'), node('n2')]);
    const before = structuredClone({ svc, nodes });
    lbs.ensure('kubernetes', svc, nodes);
    lbs.update(svc, nodes);
    lbs.get(svc);
    lbs.name(svc);
    lbs.delete(svc);
    assert.deepEqual({ svc, nodes }, before);
  });

  it('returns snapshots that later changes do not affect', () => {
    const lbs = new FakeLoadBalancers();
    lbs.ensure('kubernetes', service('web'), [node('n1')]);
    const snapshot = lbs.find('default/web');
    lbs.update(service('web'), [node('n2')]);
    assert.deepEqual(snapshot?.nodes, ['n1']);
    assert.equal(Object.isFrozen(snapshot?.status.ingress), true);
  });
});
