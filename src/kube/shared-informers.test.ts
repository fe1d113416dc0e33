import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { DeletedFinalStateUnknown } from './informer.js';
import { SimulatedApiServer } from './memory/index.js';
import { NODES, SERVICES } from './resources.js';
import type { Node, Service } from './resources.js';
import { SharedInformerFactory, isDeletedFinalStateUnknown, objectFromTombstone } from './shared-informers.js';
import { settle } from '../testing/settle.js';

function setup(): { clock: FakeClock; server: SimulatedApiServer; factory: SharedInformerFactory; listCount: (resource: string) => number } {
  const clock = new FakeClock();
  const server = new SimulatedApiServer({ clock });
  const factory = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random: () => 0.5 });
  const listCount = (resource: string): number =>
    server
      .requestCounts()
      .filter((c) => c.userAgent === 'shared-informers' && c.verb === 'list' && c.resource === resource)
      .reduce((n, c) => n + c.count, 0);
  return { clock, server, factory, listCount };
}

describe('SharedInformerFactory', () => {
  it('returns one informer per resource and scope', () => {
    const { factory } = setup();
    const cases = [
      { name: 'same resource, no scope', a: factory.informerFor(NODES), b: factory.informerFor(NODES), same: true },
      { name: 'same resource, empty scope', a: factory.informerFor(NODES), b: factory.informerFor(NODES, {}), same: true },
      {
        name: 'same namespace',
        a: factory.informerFor(SERVICES, { namespace: 'kube-system' }),
        b: factory.informerFor(SERVICES, { namespace: 'kube-system' }),
        same: true,
      },
      { name: 'different namespace', a: factory.informerFor(SERVICES, { namespace: 'a' }), b: factory.informerFor(SERVICES, { namespace: 'b' }), same: false },
      { name: 'label selector', a: factory.informerFor(NODES), b: factory.informerFor(NODES, { labelSelector: 'x=y' }), same: false },
      { name: 'field selector', a: factory.informerFor(NODES), b: factory.informerFor(NODES, { fieldSelector: 'metadata.name=n' }), same: false },
    ];
    for (const c of cases) assert.equal((c.a as unknown) === (c.b as unknown), c.same, c.name);
  });

  it('starts every requested informer, later ones on request, and waits for all to sync', async () => {
    const { clock, server, factory, listCount } = setup();
    const kube = server.client();
    await kube.nodes.create({ metadata: { name: 'n1' } });
    await kube.services.create({ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    const nodes = factory.informerFor(NODES);
    const abort = new AbortController();
    factory.start(abort.signal);
    assert.equal(await factory.waitForCacheSync(abort.signal), true);
    assert.deepEqual(nodes.keys(), ['n1']);

    const services = factory.informerFor(SERVICES);
    await settle(clock);
    assert.equal(await factory.waitForCacheSync(abort.signal), true);
    assert.deepEqual(services.keys(), ['default/web']);
    // Asking again shares the running informer instead of listing again.
    factory.informerFor(SERVICES);
    factory.start(abort.signal);
    await settle(clock);
    assert.equal(listCount('services'), 1);
    assert.equal(listCount('nodes'), 1);

    abort.abort();
    await factory.shutdown();
  });

  it('waitForCacheSync resolves false when its signal aborts before sync', async () => {
    const { server, factory } = setup();
    server.faults.inject({ verb: 'list', resource: 'nodes', latencyMs: 60_000 });
    factory.informerFor(NODES);
    const run = new AbortController();
    factory.start(run.signal);
    const wait = new AbortController();
    const synced = factory.waitForCacheSync(wait.signal);
    wait.abort();
    assert.equal(await synced, false);
    await factory.shutdown();
  });

  it('shutdown stops every informer and resolves once they have returned', async () => {
    const { clock, factory } = setup();
    const nodes = factory.informerFor(NODES);
    factory.start(new AbortController().signal);
    await settle(clock);
    assert.equal(nodes.hasSynced(), true);
    await factory.shutdown();
    // Stopped after syncing: the cache stays readable and reports synced.
    assert.equal(await nodes.waitForSync(new AbortController().signal), true);
    const late = factory.informerFor(SERVICES);
    assert.equal(await late.waitForSync(new AbortController().signal), false, 'informers requested after shutdown never run');
  });

  it('unwraps tombstones for delete handlers', () => {
    const node: Node = { metadata: { name: 'n' } };
    const svc: Service = { metadata: { name: 's', namespace: 'd' } };
    const tomb = new DeletedFinalStateUnknown('d/s', svc);
    assert.equal(isDeletedFinalStateUnknown(tomb), true);
    assert.equal(isDeletedFinalStateUnknown(node), false);
    assert.equal(objectFromTombstone(tomb), svc);
    assert.equal(objectFromTombstone(node), node);
  });
});
