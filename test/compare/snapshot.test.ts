// The parity runner's comparison, without a cluster: what counts as a difference, what is masked,
// and how differences are classified against the pinned entries.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, Service } from 'kubernetes-types/core/v1.js';
import type { ParityCase } from './cases.js';
import { allCases } from './cases.js';
import { classify } from './parity.js';
import { askedAboutEverything } from './run-case.js';
import { diffSnapshots, normalise } from './snapshot.js';

const node = (labels: Record<string, string>): Node => ({ metadata: { name: 'n1', uid: 'a', resourceVersion: '7', labels }, spec: { providerID: 'fake://n1' } });
const service = (ip: string): Service => ({ metadata: { name: 'web', namespace: 'default', finalizers: ['service.kubernetes.io/load-balancer-cleanup'] }, status: { loadBalancer: { ingress: [{ ip }] } } });
const event = (reason: string, component = 'service-controller'): Event => ({
  metadata: { name: `e-${reason}` },
  involvedObject: { kind: 'Service', namespace: 'default', name: 'web' },
  reason,
  type: 'Normal',
  source: { component },
});
const call = (method: string, args: unknown[]): { method: string; args: unknown[]; at: number } => ({ method, args, at: 1 });
const aCase = { name: 'service: x' } as ParityCase;

describe('parity snapshots', () => {
  it('are equal when only identifiers, timestamps, read counts, node-list order and allocation order differ', () => {
    const a = normalise([node({ x: '1' })], [service('192.0.2.1')], [event('EnsuredLoadBalancer'), event('EnsuredLoadBalancer')], [
      call('ensureLoadBalancer', ['kubernetes', 'default/web', ['n2', 'n1']]),
      call('instanceMetadata', ['n1']),
      call('instanceMetadata', ['n1']),
      call('createRoute', ['kubernetes', '0b6c2f1e-8f33-4a52-9d0e-3f0f6b0b9d11', { destinationCIDR: '10.0.0.0/24', name: '', targetNode: 'n1' }]),
    ]);
    const b = normalise([{ ...node({ x: '1' }), metadata: { name: 'n1', uid: 'b', labels: { x: '1' } } }], [service('192.0.2.2')], [event('EnsuredLoadBalancer')], [
      call('instanceMetadata', ['n1']),
      call('ensureLoadBalancer', ['kubernetes', 'default/web', ['n1', 'n2']]),
      call('createRoute', ['kubernetes', '11111111-2222-4333-8444-555555555555', { targetNode: 'n1', name: '', destinationCIDR: '10.0.0.0/24' }]),
    ]);
    const diff = diffSnapshots(a, b);
    // The allocated addresses differ as a set here (.1 vs .2): that is reported, once.
    assert.deepEqual(diff.map((d) => d.path), ['allocated addresses']);
  });

  it('report a label, an event, an order of cloud writes and a fixed status that differ', () => {
    const fixed = new Set(['default/web']);
    const a = normalise([node({ x: '1' })], [service('203.0.113.9')], [event('EnsuredLoadBalancer')], [
      call('ensureLoadBalancer', ['k', 'default/web', []]),
      call('ensureLoadBalancerDeleted', ['k', 'default/web']),
    ], fixed);
    const b = normalise([node({ x: '2' })], [service('203.0.113.8')], [event('SyncLoadBalancerFailed')], [
      call('ensureLoadBalancerDeleted', ['k', 'default/web']),
      call('ensureLoadBalancer', ['k', 'default/web', []]),
    ], fixed);
    assert.deepEqual(diffSnapshots(a, b).map((d) => d.path), [
      'node n1 labels',
      'service default/web loadBalancer',
      'event Service default/web Normal EnsuredLoadBalancer',
      'event Service default/web Normal SyncLoadBalancerFailed',
      'cloud writes service default/web',
    ]);
  });

  it("leave out the apiserver's own repair Events", () => {
    const a = normalise([], [], [event('ClusterIPNotAllocated', 'ipallocator-repair-controller')], []);
    assert.deepEqual(a.events, []);
  });

  it('classify each difference as expected only where an entry covers both case and path', () => {
    const entries = [{ cases: /^service: /, path: /^cloud read getLoadBalancer/, why: 'w', doc: 'd' }];
    const found = [
      { path: 'cloud read getLoadBalancer("k","default/web")', upstream: 'present', outrigger: 'absent' },
      { path: 'node n1 labels', upstream: '{}', outrigger: '{"a":"b"}' },
    ];
    assert.equal(classify(aCase, found.slice(0, 1), entries).verdict, 'expected difference');
    assert.equal(classify(aCase, found, entries).verdict, 'unexpected difference');
    assert.equal(classify({ ...aCase, name: 'node: x' }, found.slice(0, 1), entries).verdict, 'unexpected difference');
    assert.equal(classify(aCase, [], entries).verdict, 'equal');
  });
});

describe('parity cases', () => {
  it('number at least 40, with unique names, from every source the issue names', () => {
    const cases = allCases();
    assert.ok(cases.length >= 40, `${cases.length} cases`);
    assert.equal(new Set(cases.map((c) => c.name)).size, cases.length);
    for (const source of ['examples/scenarios/', 'generated', 'node_controller_test', 'node_lifecycle_controller_test', 'service/controller_test', 'route_controller_test']) {
      assert.ok(cases.some((c) => c.source.includes(source)), source);
    }
  });
});

describe('a parity run counts as started only once the CCM asked the cloud about every object', () => {
  const c = {
    name: 'x',
    source: 'generated',
    cloud: { capabilities: ['instancesV2', 'loadBalancer'] },
    nodes: [{ metadata: { name: 'n1' } }, { metadata: { name: 'n2' }, spec: { providerID: 'fake://i-2' } }],
    services: [{ metadata: { name: 'web', namespace: 'default' }, spec: { type: 'LoadBalancer' } }, { metadata: { name: 'db' }, spec: { type: 'ClusterIP' } }],
    controllers: ['cloud-node', 'service'],
    flags: [],
  } as unknown as ParityCase;

  it('needs a call naming each Node (by name or providerID) and each Service that wants a load balancer', () => {
    const calls = [call('initialize', []), call('instanceMetadata', ['n1'])];
    assert.equal(askedAboutEverything(c, calls), false);
    calls.push(call('instanceMetadata', ['fake://i-2']));
    assert.equal(askedAboutEverything(c, calls), false);
    calls.push(call('ensureLoadBalancer', ['kubernetes', 'default/web', ['n1']]));
    assert.equal(askedAboutEverything(c, calls), true);
  });

  it('needs nothing of a controller whose capability the cloud lacks', () => {
    assert.equal(askedAboutEverything({ ...c, cloud: { capabilities: ['zones'] } }, []), true);
  });
});
