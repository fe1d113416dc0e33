import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../../cloud/routes.js';
import { deepFreeze } from '../../kube/json-value.js';
import { FakeRoutes, fakeRouteName } from './fake-routes.js';

const route = (targetNode: string, destinationCIDR: string, extra: Partial<Route> = {}): Route =>
  deepFreeze({ name: 'ignored', targetNode, destinationCIDR, ...extra });

describe('FakeRoutes', () => {
  it('names dual-stack routes of one node apart and records the name hint', () => {
    const routes = new FakeRoutes();
    routes.create('kubernetes', 'uid-1', route('n1', '10.244.1.0/24'));
    routes.create('kubernetes', 'uid-1', route('n1', 'fd00:10:244:1::/64'));
    assert.deepEqual(
      routes.state('kubernetes').map((r) => [r.name, r.nameHint, r.targetNode, r.destinationCIDR]),
      [
        ['uid-1-10.244.1.0/24', 'uid-1', 'n1', '10.244.1.0/24'],
        ['uid-1-fd00:10:244:1::/64', 'uid-1', 'n1', 'fd00:10:244:1::/64'],
      ],
    );
  });

  it('falls back to the target node name when the hint is empty', () => {
    assert.equal(fakeRouteName('', 'n1', '10.244.1.0/24'), 'n1-10.244.1.0/24');
    assert.equal(fakeRouteName('uid', 'n1', '10.244.1.0/24'), 'uid-10.244.1.0/24');
  });

  it('lists routes per cluster, sorted by name, as fresh objects without addresses by default', () => {
    const routes = new FakeRoutes();
    routes.create('kubernetes', 'b', route('n2', '10.244.2.0/24', { targetNodeAddresses: [{ type: 'InternalIP', address: '10.0.0.2' }] }));
    routes.create('kubernetes', 'a', route('n1', '10.244.1.0/24'));
    routes.create('other', 'c', route('n3', '10.244.3.0/24'));
    const listed = routes.list('kubernetes');
    assert.deepEqual(listed, [
      { name: 'a-10.244.1.0/24', targetNode: 'n1', destinationCIDR: '10.244.1.0/24' },
      { name: 'b-10.244.2.0/24', targetNode: 'n2', destinationCIDR: '10.244.2.0/24' },
    ]);
    listed.pop();
    assert.equal(routes.list('kubernetes').length, 2);
    assert.deepEqual(routes.list('nowhere'), []);
    assert.deepEqual(routes.state().map((r) => r.clusterName), ['kubernetes', 'kubernetes', 'other']);
  });

  it('with node addresses enabled, lists enableNodeAddresses and the addresses each route was created with', () => {
    const routes = new FakeRoutes(true);
    routes.create('kubernetes', 'a', route('n1', '10.244.1.0/24', { targetNodeAddresses: [{ type: 'InternalIP', address: '10.0.0.1' }] }));
    routes.create('kubernetes', 'b', route('n2', '10.244.2.0/24'));
    assert.deepEqual(routes.list('kubernetes'), [
      { name: 'a-10.244.1.0/24', targetNode: 'n1', destinationCIDR: '10.244.1.0/24', enableNodeAddresses: true, targetNodeAddresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
      { name: 'b-10.244.2.0/24', targetNode: 'n2', destinationCIDR: '10.244.2.0/24', enableNodeAddresses: true, targetNodeAddresses: [] },
    ]);
  });

  it('refuses a duplicate route and a route without a destination', () => {
    const routes = new FakeRoutes();
    routes.create('kubernetes', 'a', route('n1', '10.244.1.0/24'));
    assert.throws(() => routes.create('kubernetes', 'a', route('n1', '10.244.1.0/24')), /route "a-10\.244\.1\.0\/24" already exists in cluster "kubernetes"/);
    assert.throws(() => routes.create('kubernetes', 'a', route('n1', '')), /has no destinationCIDR/);
    // The same route in another cluster's table is no duplicate.
    routes.create('other', 'a', route('n1', '10.244.1.0/24'));
  });

  it('deletes a listed route by name, a hand-built one by node and CIDR, and fails for an unknown one', () => {
    const routes = new FakeRoutes();
    routes.create('kubernetes', 'a', route('n1', '10.244.1.0/24'));
    routes.create('kubernetes', 'b', route('n2', '10.244.2.0/24'));
    const [first] = routes.list('kubernetes');
    routes.delete('kubernetes', deepFreeze(first as Route));
    routes.delete('kubernetes', route('n2', '10.244.2.0/24', { name: '' }));
    assert.deepEqual(routes.state(), []);
    assert.throws(() => routes.delete('kubernetes', route('n2', '10.244.2.0/24')), /deleteRoute: no route "ignored" \(node "n2", destination "10\.244\.2\.0\/24"\) in cluster "kubernetes"/);
  });

  it('put seeds routes, including blackholes, and replaces a route of the same name', () => {
    const routes = new FakeRoutes();
    routes.put('kubernetes', { targetNode: 'gone', destinationCIDR: '10.244.9.0/24', blackhole: true });
    routes.put('kubernetes', { name: 'legacy', targetNode: 'n1', destinationCIDR: '10.244.1.0/24' });
    routes.put('kubernetes', { name: 'legacy', targetNode: 'n1', destinationCIDR: '10.244.1.0/24', nameHint: 'uid-1' });
    assert.deepEqual(routes.list('kubernetes'), [
      { name: 'gone-10.244.9.0/24', targetNode: 'gone', destinationCIDR: '10.244.9.0/24', blackhole: true },
      { name: 'legacy', targetNode: 'n1', destinationCIDR: '10.244.1.0/24' },
    ]);
    assert.equal(routes.state().find((r) => r.name === 'legacy')?.nameHint, 'uid-1');
  });

  it('never writes to the route it is given', () => {
    const routes = new FakeRoutes(true);
    const input = route('n1', '10.244.1.0/24', { targetNodeAddresses: [{ type: 'InternalIP', address: '10.0.0.1' }] });
    const before = structuredClone(input);
    routes.create('kubernetes', 'a', input);
    routes.delete('kubernetes', input);
    assert.deepEqual(input, before);
  });
});
