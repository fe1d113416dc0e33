import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.js';
import { KubeApiError } from '../errors.js';
import { NAMESPACES, SERVICES } from '../resources.js';
import { CONFIG_MAPS } from './served-kinds.js';
import { SimulatedApiServer } from './simulated-api-server.js';

function server(namespaceLifecycle = true): SimulatedApiServer {
  return new SimulatedApiServer({ clock: new FakeClock(), namespaceLifecycle });
}

async function refusal(p: Promise<unknown>): Promise<KubeApiError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof KubeApiError) return err;
    throw err;
  }
  assert.fail('expected the API to refuse');
}

const svc = (namespace: string, name = 'web') => ({ metadata: { name, namespace }, spec: { ports: [{ port: 80 }] } });

describe('namespaces (namespaceLifecycle)', () => {
  it('starts with the system namespaces, Active, finalized by kubernetes and labelled with their name', () => {
    const sim = server();
    const names = sim.snapshot(NAMESPACES).map((n) => n.metadata?.name);
    assert.deepEqual(names, ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
    const ns = sim.snapshot(NAMESPACES)[0];
    assert.equal(ns?.status?.phase, 'Active');
    assert.deepEqual(ns?.spec?.finalizers, ['kubernetes']);
    assert.equal(ns?.metadata?.labels?.['kubernetes.io/metadata.name'], 'default');
    assert.deepEqual(server(false).snapshot(NAMESPACES), [], 'off by default: no namespaces are made up');
  });

  it('refuses a create in a missing namespace with the apiserver’s NotFound, and allows it once the namespace exists', async () => {
    const kube = server().client();
    const err = await refusal(kube.services.create(svc('shop')));
    assert.equal(err.status, 404);
    assert.equal(err.message, 'namespaces "shop" not found');
    assert.deepEqual(err.toStatus().details, { name: 'shop', kind: 'namespaces' });
    await kube.resource(NAMESPACES).create({ metadata: { name: 'shop' } });
    await kube.services.create(svc('shop'));
    // Without the option, any namespace goes (the in-process test double's default).
    await server(false).client().services.create(svc('anything'));
  });

  it('refuses to delete default, kube-system and kube-public (403, as NamespaceLifecycle)', async () => {
    const kube = server().client();
    for (const name of ['default', 'kube-system', 'kube-public']) {
      const err = await refusal(kube.resource(NAMESPACES).delete({ name }));
      assert.equal(err.status, 403);
      assert.equal(err.message, `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
    await kube.resource(NAMESPACES).delete({ name: 'kube-node-lease' });
  });

  it('deleting a namespace deletes its content; a finalizer holds it Terminating and refuses new content until released', async () => {
    const sim = server();
    const kube = sim.client();
    await kube.resource(NAMESPACES).create({ metadata: { name: 'shop' } });
    await kube.services.create(svc('shop'));
    await kube.resource(CONFIG_MAPS).create({ metadata: { name: 'held', namespace: 'shop', finalizers: ['example.com/hold'] } });
    await kube.resource(NAMESPACES).delete({ name: 'shop' });
    assert.deepEqual(sim.snapshot(SERVICES), []);
    const ns = sim.snapshot(NAMESPACES).find((n) => n.metadata?.name === 'shop');
    assert.equal(ns?.status?.phase, 'Terminating');
    const err = await refusal(kube.services.create(svc('shop', 'late')));
    assert.equal(err.status, 403);
    assert.equal(err.message, 'services "late" is forbidden: unable to create new content in namespace shop because it is being terminated');
    await kube.resource(CONFIG_MAPS).patch({ namespace: 'shop', name: 'held' }, { type: 'merge', body: { metadata: { finalizers: null } } });
    assert.deepEqual(sim.snapshot(CONFIG_MAPS), []);
    assert.equal(sim.snapshot(NAMESPACES).find((n) => n.metadata?.name === 'shop'), undefined, 'gone with its last object');
  });
});
