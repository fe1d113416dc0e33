import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeAddress } from 'kubernetes-types/core/v1.js';
import type { Route } from '../../cloud/routes.js';
import { parseCidr, parseClusterCidrs } from './cidr.js';
import { equalNodeAddresses, isResponsibleForRoute, planRoutes, podCidrsOf, routeAction, routeToCreate } from './route-plan.js';
import type { RouteCreation } from './route-plan.js';

const ip = (address: string, type = 'InternalIP'): NodeAddress => ({ type, address });

describe('isResponsibleForRoute (upstream TestIsResponsibleForRoute)', () => {
  const cases: readonly [clusterCidr: string, routeCidr: string, responsible: boolean][] = [
    // Routes that belong to this cluster.
    ['10.244.0.0/16', '10.244.0.0/24', true],
    ['10.244.0.0/16', '10.244.10.0/24', true],
    ['10.244.0.0/16', '10.244.255.0/24', true],
    ['10.244.0.0/14', '10.244.0.0/24', true],
    ['10.244.0.0/14', '10.247.255.0/24', true],
    ['a00:100::/10', 'a00:100::/24', true],
    // A range wider than the cluster CIDR is not ours (neither its first nor last address is inside).
    ['10.244.0.0/16', '10.0.0.0/8', false],
    // Routes that match the naming scheme but lie outside the cluster CIDR.
    ['10.244.0.0/16', '10.224.0.0/24', false],
    ['10.244.0.0/16', '10.0.10.0/24', false],
    ['10.244.0.0/16', '10.255.255.0/24', false],
    ['10.244.0.0/14', '10.248.0.0/24', false],
    ['10.244.0.0/14', '10.243.255.0/24', false],
    ['a00:100::/10', 'b00:100::/24', false],
    // Unparsable destinations are never ours; other families never match.
    ['10.244.0.0/16', 'not-a-cidr', false],
    ['10.244.0.0/16', 'a00:100::/24', false],
  ];
  for (const [clusterCidr, routeCidr, responsible] of cases) {
    it(`${routeCidr} in cluster ${clusterCidr} ⇒ ${responsible ? 'responsible' : 'not responsible'}`, () => {
      const route: Route = { name: 'my-awesome-cluster-12345678', targetNode: 'doesnt-matter', destinationCIDR: routeCidr };
      assert.equal(isResponsibleForRoute(route, [parseCidr(clusterCidr)]), responsible);
    });
  }

  it('checks every cluster CIDR of a dual-stack pair', () => {
    const cidrs = parseClusterCidrs('10.120.0.0/16,a00::/8');
    assert.equal(isResponsibleForRoute({ name: '', targetNode: 'n', destinationCIDR: 'a00:100::/24' }, cidrs), true);
    assert.equal(isResponsibleForRoute({ name: '', targetNode: 'n', destinationCIDR: '10.120.3.0/24' }, cidrs), true);
  });
});

describe('equalNodeAddresses', () => {
  const cases: readonly [name: string, a: NodeAddress[] | undefined, b: NodeAddress[] | undefined, equal: boolean][] = [
    ['both empty', [], undefined, true],
    ['same order', [ip('10.0.0.1'), ip('n1', 'Hostname')], [ip('10.0.0.1'), ip('n1', 'Hostname')], true],
    ['other order (unordered set)', [ip('10.0.0.1'), ip('n1', 'Hostname')], [ip('n1', 'Hostname'), ip('10.0.0.1')], true],
    ['different address', [ip('10.0.0.1')], [ip('10.0.0.2')], false],
    ['same address, other type', [ip('10.0.0.1')], [ip('10.0.0.1', 'ExternalIP')], false],
    ['different length', [ip('10.0.0.1')], [ip('10.0.0.1'), ip('10.0.0.2')], false],
  ];
  for (const [name, a, b, equal] of cases) {
    it(`${name} ⇒ ${equal}`, () => assert.equal(equalNodeAddresses(a, b), equal));
  }
});

describe('routeAction', () => {
  const route = (extra: Partial<Route>): Route => ({ name: 'r', targetNode: 'n', destinationCIDR: '10.0.0.0/24', ...extra });
  const cases: readonly [name: string, routes: Route[], addresses: NodeAddress[], action: string][] = [
    ['no route for the CIDR ⇒ add', [route({ destinationCIDR: '10.0.1.0/24' })], [ip('1.1.1.1')], 'add'],
    ['route without address tracking ⇒ keep, whatever its addresses', [route({ targetNodeAddresses: [ip('9.9.9.9')] })], [ip('1.1.1.1')], 'keep'],
    ['tracked addresses equal ⇒ keep', [route({ enableNodeAddresses: true, targetNodeAddresses: [ip('1.1.1.1')] })], [ip('1.1.1.1')], 'keep'],
    ['tracked addresses stale ⇒ update', [route({ enableNodeAddresses: true, targetNodeAddresses: [ip('9.9.9.9')] })], [ip('1.1.1.1')], 'update'],
    ['tracked but none reported ⇒ update', [route({ enableNodeAddresses: true })], [ip('1.1.1.1')], 'update'],
  ];
  for (const [name, routes, addresses, action] of cases) {
    it(name, () => assert.equal(routeAction(routes, '10.0.0.0/24', addresses), action));
  }
});

describe('planRoutes', () => {
  const cidrs = parseClusterCidrs('10.120.0.0/16');
  const node = (name: string, podCIDRs: string[] | undefined, address = '10.0.0.1'): Node => ({
    metadata: { name, uid: `uid-${name}` },
    spec: podCIDRs === undefined ? {} : { podCIDRs },
    status: { addresses: [ip(address)] },
  });

  it('creates one route per distinct pod CIDR, named by the Node UID, with the Node addresses', () => {
    const plan = planRoutes([node('n1', ['10.120.0.0/24', '10.120.0.0/24'])], [], cidrs);
    assert.deepEqual(plan.creations, [{ nodeName: 'n1', nameHint: 'uid-n1', destinationCIDR: '10.120.0.0/24', targetNodeAddresses: [ip('10.0.0.1')] }]);
    const route = routeToCreate(plan.creations[0] as RouteCreation);
    assert.deepEqual(route, { name: '', targetNode: 'n1', targetNodeAddresses: [ip('10.0.0.1')], destinationCIDR: '10.120.0.0/24' });
    assert.notEqual(route.targetNodeAddresses?.[0], plan.creations[0]?.targetNodeAddresses[0], 'the route holds copies: the provider may keep it');
    assert.deepEqual([...(plan.actions.get('n1') ?? [])], [['10.120.0.0/24', 'add']]);
  });

  it('gives a Node with routes but no pod CIDRs an empty action map, and deletes its routes', () => {
    const r: Route = { name: 'r', targetNode: 'n1', destinationCIDR: '10.120.0.0/24' };
    const plan = planRoutes([node('n1', undefined), node('n2', undefined)], [r], cidrs);
    assert.equal(plan.actions.get('n1')?.size, 0);
    assert.equal(plan.actions.has('n2'), false);
    assert.deepEqual(plan.deletes, [r]);
  });

  it('deletes blackholes in range even when their destination is wanted, and leaves ones out of range', () => {
    const inRange: Route = { name: 'a', targetNode: 'n1', destinationCIDR: '10.120.0.0/24', blackhole: true };
    const outOfRange: Route = { name: 'b', targetNode: '', destinationCIDR: '10.1.2.0/24', blackhole: true };
    const plan = planRoutes([node('n1', ['10.120.0.0/24'])], [inRange, outOfRange], cidrs);
    assert.deepEqual(plan.deletes, [inRange]);
  });

  it('orders deletes before creates only when the first listed route tracks node addresses', () => {
    const tracked: Route = { name: 'a', targetNode: 'n1', destinationCIDR: '10.120.0.0/24', enableNodeAddresses: true };
    const untracked: Route = { name: 'b', targetNode: 'n1', destinationCIDR: '10.120.1.0/24' };
    assert.equal(planRoutes([], [tracked, untracked], cidrs).deletesBeforeCreates, true);
    assert.equal(planRoutes([], [untracked, tracked], cidrs).deletesBeforeCreates, false);
    assert.equal(planRoutes([], [], cidrs).deletesBeforeCreates, false);
  });

  it('podCidrsOf keeps the first occurrence order', () => {
    assert.deepEqual(podCidrsOf(node('n', ['b', 'a', 'b'])), ['b', 'a']);
  });
});
