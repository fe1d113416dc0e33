import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { ImplementedElsewhereError, InstanceNotFoundError, isNotImplemented, RetryError } from '../../cloud/errors.js';
import type { ProviderInitContext } from '../../cloud/provider.js';
import { FakeClock } from '../../kube/clock.js';
import { noopLogger } from '../../log/logger.js';
import { deepFreeze } from '../../kube/json-value.js';
import { FAKE_CAPABILITIES } from './fake-methods.js';
import type { FakeCapability } from './fake-methods.js';
import { FakeCloudProvider } from './fake-provider.js';

const service = (name: string): Service => deepFreeze({ metadata: { name, namespace: 'default', uid: `uid-${name}` }, spec: { type: 'LoadBalancer' } });
const node = (name: string, providerID?: string): Node => deepFreeze({ metadata: { name }, ...(providerID === undefined ? {} : { spec: { providerID } }) });

/** A promise with its resolve function, for releasing a blocked call. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Settles `promise` into a state we can inspect without awaiting it. */
function track<T>(promise: Promise<T>): { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } {
  const tracked: { state: 'pending' | 'fulfilled' | 'rejected'; value?: T; error?: unknown } = { state: 'pending' };
  promise.then(
    (value) => Object.assign(tracked, { state: 'fulfilled', value }),
    (error: unknown) => Object.assign(tracked, { state: 'rejected', error }),
  );
  return tracked;
}

describe('FakeCloudProvider: identity and capability switches', () => {
  it('is named "fake" by default, or as configured', () => {
    assert.equal(new FakeCloudProvider().name, 'fake');
    assert.equal(new FakeCloudProvider({ name: 'acme' }).name, 'acme');
    assert.equal(new FakeCloudProvider({ name: 'acme' }).setInstance({ nodeName: 'n1' }).providerID, 'acme://n1');
    assert.throws(() => new FakeCloudProvider({ name: '' }), /name must be a non-empty string/);
  });

  it('exposes every capability by default', () => {
    const cloud = new FakeCloudProvider();
    for (const capability of FAKE_CAPABILITIES) assert.notEqual(cloud[capability](), undefined, capability);
  });

  const switches: FakeCapability[][] = [[], ['instancesV2', 'loadBalancer'], ['instances', 'zones'], ['routes'], ['clusters']];
  for (const enabled of switches) {
    it(`exposes exactly [${enabled.join(', ')}] when configured so`, () => {
      const cloud = new FakeCloudProvider({ capabilities: enabled });
      const exposed = FAKE_CAPABILITIES.filter((capability) => cloud[capability]() !== undefined);
      assert.deepEqual([...exposed].sort(), [...enabled].sort());
    });
  }

  it('returns the same capability object every time', () => {
    const cloud = new FakeCloudProvider();
    assert.equal(cloud.loadBalancer(), cloud.loadBalancer());
    assert.equal(cloud.instancesV2(), cloud.instancesV2());
  });

  it('rejects an unknown capability naming the known ones', () => {
    assert.throws(() => new FakeCloudProvider({ capabilities: ['volumes' as FakeCapability] }), /unknown capability "volumes" \(known: loadBalancer, instances/);
  });

  it('answers hasClusterID as configured, default true', () => {
    assert.equal(new FakeCloudProvider().hasClusterID(), true);
    assert.equal(new FakeCloudProvider({ hasClusterID: false }).hasClusterID(), false);
  });

  it('refuses two entries of the instances option naming the same instance', () => {
    assert.throws(
      () => new FakeCloudProvider({ instances: [{ nodeName: 'n1' }, { providerID: 'fake://n1' }] }),
      /instances\[1\] \(node name undefined, providerID "fake:\/\/n1"\) names the same instance as an earlier entry/,
    );
  });
});

describe('FakeCloudProvider: capabilities answer from configured state', () => {
  it('InstancesV2 finds instances by providerID and by name, and follows updates and removals', async () => {
    const cloud = new FakeCloudProvider({ instances: [{ nodeName: 'n1', instanceType: 'small', zone: 'z1', region: 'r1' }] });
    const v2 = cloud.instancesV2()!;
    assert.deepEqual(await v2.instanceMetadata(node('n1')), { providerID: 'fake://n1', instanceType: 'small', nodeAddresses: [], zone: 'z1', region: 'r1' });
    assert.equal(await v2.instanceExists(node('renamed', 'fake://n1')), true);
    cloud.updateInstance('n1', { shutdown: true });
    assert.equal(await v2.instanceShutdown(node('n1')), true);
    assert.equal(await v2.instanceExists(node('n1')), true);
    assert.equal(cloud.removeInstance({ nodeName: 'n1' }), true);
    assert.equal(await v2.instanceExists(node('n1')), false);
    await assert.rejects(v2.instanceMetadata(node('n1')), InstanceNotFoundError);
  });

  it('Instances (v1) throws InstanceNotFound for a missing instance but answers for a shut-down one', async () => {
    const cloud = new FakeCloudProvider({ instances: [{ nodeName: 'stopped', shutdown: true, instanceID: 'i-1' }] });
    const v1 = cloud.instances()!;
    assert.equal(await v1.instanceID('stopped'), 'i-1');
    await assert.rejects(v1.instanceID('missing'), InstanceNotFoundError);
    assert.equal(await v1.instanceExistsByProviderID('fake://i-1'), true);
    assert.equal(await v1.instanceShutdownByProviderID('fake://i-1'), true);
    assert.equal(await v1.instanceExistsByProviderID('fake://i-2'), false);
  });

  it('Instances (v1): currentNodeName is the hostname and addSSHKeyToAllInstances is not implemented, both recorded', async () => {
    const cloud = new FakeCloudProvider();
    const v1 = cloud.instances()!;
    assert.equal(await v1.currentNodeName('host-1'), 'host-1');
    await assert.rejects(v1.addSSHKeyToAllInstances('core', new TextEncoder().encode('ssh-ed25519 AAAA')), (err: unknown) => isNotImplemented(err));
    const [call] = cloud.calls('addSSHKeyToAllInstances');
    assert.equal(call?.args[0], 'core');
    assert.equal(new TextDecoder().decode(call?.args[1]), 'ssh-ed25519 AAAA');
    assert.equal(cloud.callCount('currentNodeName'), 1);
  });

  it('Zones answers the default zone and per-instance zones', async () => {
    const cloud = new FakeCloudProvider({ defaultZone: { failureDomain: 'z0', region: 'r0' }, instances: [{ nodeName: 'n1', zone: 'z1' }] });
    const zones = cloud.zones()!;
    assert.deepEqual(await zones.getZone(), { failureDomain: 'z0', region: 'r0' });
    assert.deepEqual(await zones.getZoneByNodeName('n1'), { failureDomain: 'z1', region: 'r0' });
    assert.deepEqual(await zones.getZoneByProviderID('fake://n1'), { failureDomain: 'z1', region: 'r0' });
    await assert.rejects(zones.getZoneByNodeName('n2'), InstanceNotFoundError);
    cloud.setDefaultZone({ failureDomain: 'z9', region: 'r9' });
    assert.deepEqual(await zones.getZone(), { failureDomain: 'z9', region: 'r9' });
    assert.deepEqual(cloud.defaultZone, { failureDomain: 'z9', region: 'r9' });
  });

  it('Clusters lists the configured clusters sorted and answers their masters', async () => {
    const clusters = new FakeCloudProvider({ clusters: { zeta: '10.0.0.2', alpha: '10.0.0.1' } }).clusters()!;
    assert.deepEqual(await clusters.listClusters(), ['alpha', 'zeta']);
    assert.equal(await clusters.master('zeta'), '10.0.0.2');
    await assert.rejects(clusters.master('beta'), /cluster "beta" is not configured/);
  });

  it('LoadBalancer: full lifecycle through the capability, with frozen inputs left untouched', async () => {
    const cloud = new FakeCloudProvider();
    const lb = cloud.loadBalancer()!;
    const svc = service('web');
    const nodes = deepFreeze([node('n2'), node('n1')]);
    const before = structuredClone({ svc, nodes });
    assert.deepEqual(await lb.getLoadBalancer('kubernetes', svc), { exists: false });
    assert.equal(await lb.getLoadBalancerName('kubernetes', svc), 'auidweb');
    assert.deepEqual(await lb.ensureLoadBalancer('kubernetes', svc, nodes), { ingress: [{ ip: '192.0.2.1' }] });
    await lb.updateLoadBalancer('kubernetes', svc, [node('n3')]);
    assert.deepEqual(cloud.loadBalancers(), [
      { name: 'auidweb', serviceKey: 'default/web', clusterName: 'kubernetes', nodes: ['n3'], status: { ingress: [{ ip: '192.0.2.1' }] } },
    ]);
    assert.deepEqual(await lb.getLoadBalancer('kubernetes', svc), { exists: true, status: { ingress: [{ ip: '192.0.2.1' }] } });
    await lb.ensureLoadBalancerDeleted('kubernetes', svc);
    await lb.ensureLoadBalancerDeleted('kubernetes', svc);
    assert.equal(cloud.loadBalancerFor('default/web'), undefined);
    assert.deepEqual({ svc, nodes }, before);
    assert.deepEqual(
      cloud.calls().map((c) => c.method),
      ['getLoadBalancer', 'getLoadBalancerName', 'ensureLoadBalancer', 'updateLoadBalancer', 'getLoadBalancer', 'ensureLoadBalancerDeleted', 'ensureLoadBalancerDeleted'],
    );
  });

  it('LoadBalancer: ensureStatus sets the status the next ensure returns', async () => {
    const cloud = new FakeCloudProvider({ loadBalancerIPRange: '203.0.113.0/24', loadBalancerIPMode: 'Proxy' });
    const lb = cloud.loadBalancer()!;
    cloud.ensureStatus('default/dns', { ingress: [{ hostname: 'lb.example.com' }] });
    assert.deepEqual(await lb.ensureLoadBalancer('kubernetes', service('dns'), []), { ingress: [{ hostname: 'lb.example.com' }] });
    assert.deepEqual(await lb.ensureLoadBalancer('kubernetes', service('ip'), []), { ingress: [{ ip: '203.0.113.1', ipMode: 'Proxy' }] });
  });

  it('Routes: create, list, delete with dual-stack names and the recorded hint', async () => {
    const cloud = new FakeCloudProvider({ routeNodeAddresses: true });
    const routes = cloud.routes()!;
    const addresses = [{ type: 'InternalIP', address: '10.0.0.1' }];
    await routes.createRoute('kubernetes', 'uid-1', deepFreeze({ name: '', targetNode: 'n1', destinationCIDR: '10.244.1.0/24', targetNodeAddresses: addresses }));
    await routes.createRoute('kubernetes', 'uid-1', deepFreeze({ name: '', targetNode: 'n1', destinationCIDR: 'fd00::/64', targetNodeAddresses: addresses }));
    const listed = await routes.listRoutes('kubernetes');
    assert.deepEqual(listed.map((r) => [r.name, r.enableNodeAddresses, r.targetNodeAddresses]), [
      ['uid-1-10.244.1.0/24', true, addresses],
      ['uid-1-fd00::/64', true, addresses],
    ]);
    assert.deepEqual(cloud.routesState().map((r) => r.nameHint), ['uid-1', 'uid-1']);
    await routes.deleteRoute('kubernetes', listed[0]!);
    assert.deepEqual(cloud.routesState('kubernetes').map((r) => r.destinationCIDR), ['fd00::/64']);
    cloud.putRoute('kubernetes', { targetNode: 'gone', destinationCIDR: '10.244.9.0/24', blackhole: true });
    assert.equal((await routes.listRoutes('kubernetes')).find((r) => r.targetNode === 'gone')?.blackhole, true);
    assert.equal(cloud.callCount('createRoute'), 2);
  });
});

describe('FakeCloudProvider: call recording', () => {
  it('records every capability call with deep-copied arguments and the clock time', async () => {
    const clock = new FakeClock(1_000);
    const cloud = new FakeCloudProvider({ clock, instances: [{ nodeName: 'n1' }] });
    const n1: Node = { metadata: { name: 'n1', labels: { a: '1' } } };
    await cloud.instancesV2()!.instanceExists(n1);
    await clock.advance(500);
    await cloud.instances()!.instanceID('n1');
    (n1.metadata!.labels as Record<string, string>)['a'] = 'changed';
    const calls = cloud.calls();
    assert.deepEqual(calls.map((c) => [c.method, c.at]), [['instanceExists', 1_000], ['instanceID', 1_500]]);
    const [exists] = cloud.calls('instanceExists');
    assert.equal(exists?.args[0].metadata?.labels?.['a'], '1');
    assert.equal(cloud.callCount(), 2);
    assert.equal(cloud.callCount('instanceID'), 1);
  });

  it('records failed calls too, and resetCalls forgets them but not the state', async () => {
    const cloud = new FakeCloudProvider({ instances: [{ nodeName: 'n1' }] });
    await assert.rejects(cloud.instances()!.instanceID('missing'), InstanceNotFoundError);
    assert.equal(cloud.callCount('instanceID'), 1);
    cloud.resetCalls();
    assert.equal(cloud.callCount(), 0);
    assert.deepEqual(cloud.calls(), []);
    assert.equal(cloud.getInstance('n1')?.nodeName, 'n1');
  });

  it('records initialize with its context and setInformers with its factory, by reference', async () => {
    const cloud = new FakeCloudProvider();
    const ctx: ProviderInitContext = { signal: new AbortController().signal, clientBuilder: { client: () => assert.fail('unused') }, logger: noopLogger };
    const informers = { kind: 'factory' };
    await cloud.initialize(ctx);
    cloud.setInformers(informers);
    assert.equal(cloud.calls('initialize')[0]?.args[0], ctx);
    assert.equal(cloud.calls('setInformers')[0]?.args[0], informers);
  });

  it('keeps at most callHistoryLimit calls when asked to', async () => {
    const cloud = new FakeCloudProvider({ callHistoryLimit: 1 });
    await cloud.zones()!.getZone();
    await cloud.clusters()!.listClusters();
    assert.deepEqual(cloud.calls().map((c) => c.method), ['listClusters']);
    assert.equal(cloud.callCount(), 2);
  });
});

describe('FakeCloudProvider: failures', () => {
  it('failNext fails the next calls of one method, then the fake answers again', async () => {
    const cloud = new FakeCloudProvider();
    const lb = cloud.loadBalancer()!;
    cloud.failNext('ensureLoadBalancer', (call) => new RetryError(`provisioning (${call.method})`, 5_000), 2);
    await assert.rejects(lb.ensureLoadBalancer('kubernetes', service('web'), []), (err: unknown) => err instanceof RetryError && err.retryAfterMs === 5_000);
    await assert.rejects(lb.ensureLoadBalancer('kubernetes', service('web'), []), /provisioning \(ensureLoadBalancer\)/);
    assert.equal(cloud.loadBalancers().length, 0, 'a failed ensure changes nothing');
    assert.deepEqual(await lb.ensureLoadBalancer('kubernetes', service('web'), []), { ingress: [{ ip: '192.0.2.1' }] });
    assert.equal(cloud.callCount('ensureLoadBalancer'), 3);
  });

  it('failAlways fails every call until cleared, and "*" covers every method', async () => {
    const cloud = new FakeCloudProvider();
    const elsewhere = new ImplementedElsewhereError();
    cloud.failAlways('updateLoadBalancer', elsewhere);
    for (let i = 0; i < 3; i++) await assert.rejects(cloud.loadBalancer()!.updateLoadBalancer('kubernetes', service('web'), []), (err) => err === elsewhere);
    cloud.clearFailures('updateLoadBalancer');
    cloud.failAlways('*', new Error('cloud down'));
    await assert.rejects(cloud.zones()!.getZone(), /cloud down/);
    await assert.rejects(cloud.routes()!.listRoutes('kubernetes'), /cloud down/);
    cloud.clearFailures();
    assert.deepEqual(await cloud.routes()!.listRoutes('kubernetes'), []);
  });

  it('failures from options apply from the start: with times counted, without times always', async () => {
    const cloud = new FakeCloudProvider({
      failures: [
        { method: 'getZone', error: new Error('once'), times: 1 },
        { method: 'listClusters', error: new Error('always') },
      ],
    });
    await assert.rejects(cloud.zones()!.getZone(), /once/);
    await cloud.zones()!.getZone();
    await assert.rejects(cloud.clusters()!.listClusters(), /always/);
    await assert.rejects(cloud.clusters()!.listClusters(), /always/);
  });

  it('injected failures apply to initialize, and to setInformers synchronously', async () => {
    const cloud = new FakeCloudProvider();
    cloud.failNext('initialize', new Error('no credentials'));
    cloud.failNext('setInformers', new Error('bad factory'));
    const ctx: ProviderInitContext = { signal: new AbortController().signal, clientBuilder: { client: () => assert.fail('unused') }, logger: noopLogger };
    await assert.rejects(cloud.initialize(ctx), /no credentials/);
    assert.throws(() => cloud.setInformers({}), /bad factory/);
    cloud.setInformers({});
    assert.equal(cloud.callCount('setInformers'), 2);
  });
});

describe('FakeCloudProvider: latency on the clock', () => {
  it('delays a call by its latency in virtual time, and other methods by the "*" latency', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock, instances: [{ nodeName: 'n1' }], latencyMs: { '*': 100 } });
    cloud.setLatency('instanceMetadata', 2_000);
    const metadata = track(cloud.instancesV2()!.instanceMetadata(node('n1')));
    const exists = track(cloud.instancesV2()!.instanceExists(node('n1')));
    await clock.advance(99);
    assert.equal(exists.state, 'pending');
    await clock.advance(1);
    assert.equal(exists.state, 'fulfilled');
    await clock.advance(1_899);
    assert.equal(metadata.state, 'pending');
    await clock.advance(1);
    assert.equal(metadata.state, 'fulfilled');
    assert.equal(metadata.value?.providerID, 'fake://n1');
  });

  it('answers from the state at the end of the delay, not at the start', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock, instances: [{ nodeName: 'n1' }] });
    cloud.setLatency('instanceExists', 1_000);
    const exists = track(cloud.instancesV2()!.instanceExists(node('n1')));
    cloud.removeInstance('n1');
    await clock.advance(1_000);
    assert.deepEqual(exists, { state: 'fulfilled', value: false });
  });

  it('an injected failure is consumed when the call starts, and thrown after the delay', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock });
    cloud.setLatency('getZone', 500);
    cloud.failNext('getZone', new Error('slow failure'));
    const first = track(cloud.zones()!.getZone());
    const second = track(cloud.zones()!.getZone());
    await clock.advance(499);
    assert.equal(first.state, 'pending');
    await clock.advance(1);
    assert.equal(first.state, 'rejected');
    assert.equal((first.error as Error).message, 'slow failure');
    assert.equal(second.state, 'fulfilled');
  });

  it('aborting the signal ends the delay with the signal\'s reason, and the call has no effect', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock });
    cloud.setLatency('ensureLoadBalancer', 10_000);
    const controller = new AbortController();
    const ensure = track(cloud.loadBalancer()!.ensureLoadBalancer('kubernetes', service('web'), [], { signal: controller.signal }));
    await clock.advance(1_000);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await clock.advance(0);
    assert.equal(ensure.state, 'rejected');
    assert.equal(ensure.error, reason);
    await clock.advance(10_000);
    assert.deepEqual(cloud.loadBalancers(), []);
  });

  it('an already aborted call is recorded but consumes no failure rule', async () => {
    const cloud = new FakeCloudProvider();
    cloud.failNext('getZone', new Error('injected'));
    await assert.rejects(cloud.zones()!.getZone({ signal: AbortSignal.abort(new Error('cancelled')) }), /cancelled/);
    await assert.rejects(cloud.zones()!.getZone(), /injected/);
    assert.equal(cloud.callCount('getZone'), 2);
  });
});

describe('FakeCloudProvider: onCall hook', () => {
  it('holds a call until the test releases it, reproducing a race between two ensures', async () => {
    const cloud = new FakeCloudProvider();
    const gate = deferred();
    const seen: string[] = [];
    cloud.onCall = async (call) => {
      seen.push(call.method);
      if (call.method === 'ensureLoadBalancer' && call.args[2].length === 1) await gate.promise;
    };
    const lb = cloud.loadBalancer()!;
    const slow = track(lb.ensureLoadBalancer('kubernetes', service('web'), [node('old')]));
    const fast = track(lb.ensureLoadBalancer('kubernetes', service('web'), [node('a'), node('b')]));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(slow.state, 'pending');
    assert.equal(fast.state, 'fulfilled');
    assert.deepEqual(cloud.loadBalancerFor('default/web')?.nodes, ['a', 'b']);
    gate.resolve();
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(slow.state, 'fulfilled');
    // The stale call lands last and wins, as it would on a real cloud.
    assert.deepEqual(cloud.loadBalancerFor('default/web')?.nodes, ['old']);
    assert.deepEqual(seen, ['ensureLoadBalancer', 'ensureLoadBalancer']);
  });

  it('fails a call with what the hook throws, e.g. ImplementedElsewhere for one Service only', async () => {
    const cloud = new FakeCloudProvider({
      onCall: (call) => {
        if (call.method === 'ensureLoadBalancer' && call.args[1].metadata?.name === 'external') throw new ImplementedElsewhereError();
      },
    });
    const lb = cloud.loadBalancer()!;
    await assert.rejects(lb.ensureLoadBalancer('kubernetes', service('external'), []), ImplementedElsewhereError);
    await lb.ensureLoadBalancer('kubernetes', service('web'), []);
    assert.deepEqual(cloud.loadBalancers().map((l) => l.serviceKey), ['default/web']);
  });

  it('receives the call\'s signal, so a blocked call can honour cancellation', async () => {
    const cloud = new FakeCloudProvider();
    cloud.onCall = (_call, { signal }) =>
      new Promise<void>((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('hook saw abort')), { once: true }));
    const controller = new AbortController();
    const pending = cloud.zones()!.getZone({ signal: controller.signal });
    controller.abort();
    await assert.rejects(pending, /hook saw abort/);
  });
});
