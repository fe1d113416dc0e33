import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.js';
import type { KubeClient, WatchEvent } from '../client.js';
import { apiErrors } from '../errors.js';
import { defineResource, EVENTS, LEASES, NODES, SERVICES } from '../resources.js';
import type { KubeObject, Node, Service } from '../resources.js';
import { expectError, take } from '../conformance/assertions.js';
import { SimulatedApiServer } from './simulated-api-server.js';
import type { SimulatedApiServerOptions } from './simulated-api-server.js';

const START = Date.UTC(2026, 0, 1, 12, 0, 0, 250);

function setup(options: SimulatedApiServerOptions = {}): { clock: FakeClock; server: SimulatedApiServer; kube: KubeClient } {
  const clock = new FakeClock(START);
  let uid = 0;
  const server = new SimulatedApiServer({ clock, newUid: () => `uid-${++uid}`, ...options });
  return { clock, server, kube: server.client({ userAgent: 'test' }) };
}

/** Whether a promise is still pending once current callbacks have run. */
async function isPending(promise: Promise<unknown>): Promise<boolean> {
  const marker = Symbol('pending');
  const winner = await Promise.race([
    promise.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise((resolve) => setImmediate(() => resolve(marker))),
  ]);
  return winner === marker;
}

const summary = (events: ReadonlyArray<WatchEvent<KubeObject>>): string[] =>
  events.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}@${e.object.metadata?.resourceVersion ?? ''}`);

const service = (name: string, extra: Partial<Service> = {}): Service => ({
  metadata: { name, namespace: 'default', ...extra.metadata },
  spec: { type: 'LoadBalancer', ports: [{ port: 80 }], ...extra.spec },
  ...(extra.status === undefined ? {} : { status: extra.status }),
});

const node = (name: string, extra: Partial<Node> = {}): Node => ({ metadata: { name, ...extra.metadata }, ...(extra.spec ? { spec: extra.spec } : {}), ...(extra.status ? { status: extra.status } : {}) });

describe('SimulatedApiServer: object metadata', () => {
  it('assigns one global, monotonically increasing resourceVersion across resources', async () => {
    const { server, kube } = setup();
    const start = Number(server.resourceVersion());
    const a = await kube.nodes.create(node('a'));
    const b = await kube.services.create(service('b'));
    const c = await kube.leases.create({ metadata: { name: 'c', namespace: 'kube-system' } });
    assert.deepEqual(
      [a, b, c].map((o) => Number(o.metadata?.resourceVersion)),
      [start + 1, start + 2, start + 3],
    );
    assert.equal(server.resourceVersion(), String(start + 3));
  });

  it('fills uid from the injected generator and creationTimestamp from the clock at seconds precision', async () => {
    const { kube, clock } = setup();
    const a = await kube.nodes.create(node('a', { metadata: { uid: 'client-uid', creationTimestamp: '1999-01-01T00:00:00Z' } }));
    await clock.advance(61_000);
    const b = await kube.nodes.create(node('b'));
    assert.equal(a.metadata?.uid, 'uid-1');
    assert.equal(a.metadata?.creationTimestamp, '2026-01-01T12:00:00Z');
    assert.equal(b.metadata?.uid, 'uid-2');
    assert.equal(b.metadata?.creationTimestamp, '2026-01-01T12:01:01Z');
  });

  it('fills apiVersion and kind on every returned object', async () => {
    const { kube } = setup();
    const lease = await kube.leases.create({ metadata: { name: 'l', namespace: 'kube-system' } });
    const svc = await kube.services.create(service('s'));
    const listed = await kube.nodes.list();
    assert.deepEqual([lease.apiVersion, lease.kind], ['coordination.k8s.io/v1', 'Lease']);
    assert.deepEqual([svc.apiVersion, svc.kind], ['v1', 'Service']);
    assert.deepEqual(listed.items, []);
  });

  it('does not track generation for Services, Nodes, Events and Leases (their strategies never set it)', async () => {
    const { kube } = setup();
    const s = await kube.services.create(service('web'));
    const s2 = await kube.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { ports: [{ port: 81 }] } } });
    assert.deepEqual([s.metadata?.generation, s2.metadata?.generation], [undefined, undefined]);
    const n = await kube.nodes.create(node('n', { metadata: { generation: 7 } }));
    const n2 = await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { spec: { unschedulable: true } } });
    const e = await kube.events.create({ metadata: { name: 'e', namespace: 'default' }, involvedObject: {} });
    const l = await kube.leases.create({ metadata: { name: 'l', namespace: 'default' }, spec: { holderIdentity: 'a' } });
    assert.deepEqual(
      [n, n2, e, l].map((o) => o.metadata?.generation),
      [undefined, undefined, undefined, undefined],
    );
  });

  it('hands out deep copies: mutating inputs or results never changes the store', async () => {
    const { kube, server } = setup();
    const input = node('n', { metadata: { labels: { a: '1' } } });
    const created = await kube.nodes.create(input);
    (input.metadata?.labels ?? {})['a'] = 'input';
    (created.metadata?.labels ?? {})['a'] = 'result';
    const got = await kube.nodes.get({ name: 'n' });
    (got.metadata?.labels ?? {})['a'] = 'got';
    const [snap] = server.snapshot(NODES);
    (snap?.metadata?.labels ?? {})['a'] = 'snapshot';
    assert.equal((await kube.nodes.get({ name: 'n' })).metadata?.labels?.['a'], '1');
  });
});

describe('SimulatedApiServer: create', () => {
  const table: Array<{ name: string; run: (kube: KubeClient) => Promise<unknown>; status: number; reason: string; message?: RegExp }> = [
    { name: 'requires a name unless generateName is set', run: (k) => k.nodes.create({ metadata: {} }), status: 422, reason: 'Invalid', message: /metadata\.name: Required value/ },
    { name: 'requires a namespace for namespaced kinds', run: (k) => k.services.create({ metadata: { name: 'web' }, spec: {} }), status: 400, reason: 'BadRequest' },
    {
      name: 'forbids a namespace for cluster-scoped kinds',
      run: (k) => k.nodes.create({ metadata: { name: 'n', namespace: 'default' } }),
      status: 400,
      reason: 'BadRequest',
      message: /does not match the namespace/,
    },
    {
      name: 'refuses a resourceVersion on objects to be created',
      run: (k) => k.nodes.create({ metadata: { name: 'n', resourceVersion: '5' } }),
      status: 500,
      reason: 'InternalError',
      message: /resourceVersion should not be set on objects to be created/,
    },
    { name: 'validates the object', run: (k) => k.services.create(service('Web')), status: 422, reason: 'Invalid', message: /^Service "Web" is invalid: metadata\.name: Invalid value: "Web"/ },
    {
      name: 'answers wrong JSON types in a body as a decode error (400)',
      run: (k) => k.services.create({ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: '80' as unknown as number }] } }),
      status: 400,
      reason: 'BadRequest',
      message: /cannot be handled as a Service: spec\.ports\[0\]\.port/,
    },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const { kube, server } = setup();
      await expectError(c.run(kube), c.status, c.reason, c.message);
      assert.deepEqual(server.snapshot(NODES), []);
      assert.deepEqual(server.snapshot(SERVICES), []);
    });
  }

  it('answers 409 AlreadyExists for a taken name', async () => {
    const { kube } = setup();
    await kube.nodes.create(node('n'));
    await expectError(kube.nodes.create(node('n')), 409, 'AlreadyExists', /^nodes "n" already exists$/);
  });

  it('generates a name from generateName with a 5-character suffix from the apiserver alphabet', async () => {
    const values = [0, 0.99, 0.5, 0.2, 0.04];
    let i = 0;
    const { kube } = setup({ random: () => values[i++ % values.length] ?? 0 });
    const created = await kube.services.create({ metadata: { generateName: 'web-', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(created.metadata?.name, 'web-b9rhc');
    assert.equal(created.metadata?.generateName, 'web-');
  });

  it('retries generateName when the generated name is taken', async () => {
    const values = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5];
    let i = 0;
    const { kube } = setup({ random: () => values[i++] ?? 0 });
    const first = await kube.nodes.create({ metadata: { generateName: 'n-' } });
    const second = await kube.nodes.create({ metadata: { generateName: 'n-' } });
    assert.equal(first.metadata?.name, 'n-bbbbb');
    assert.equal(second.metadata?.name, 'n-rrrrr');
  });

  it('resets Service status on create, as the apiserver does', async () => {
    const { kube } = setup();
    const created = await kube.services.create(service('web', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } }));
    assert.deepEqual(created.status, { loadBalancer: {} });
  });

  it('keeps Node status on create, as kubelets register with it', async () => {
    const { kube } = setup();
    const created = await kube.nodes.create(node('n', { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } }));
    assert.deepEqual(created.status?.addresses, [{ type: 'InternalIP', address: '10.0.0.1' }]);
  });

  it('does not let clients set deletionTimestamp', async () => {
    const { kube } = setup();
    const created = await kube.nodes.create(node('n', { metadata: { deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 } }));
    assert.equal(created.metadata?.deletionTimestamp, undefined);
    assert.equal(created.metadata?.deletionGracePeriodSeconds, undefined);
  });

  it('defaults Service type to ClusterIP and port protocol to TCP', async () => {
    const { kube } = setup();
    const created = await kube.services.create({ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    assert.equal(created.spec?.type, 'ClusterIP');
    assert.equal(created.spec?.ports?.[0]?.protocol, 'TCP');
  });

  it('accepts Event objects as sent', async () => {
    const { kube } = setup();
    const event = { metadata: { name: 'n.1', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n' }, reason: 'Anything', type: 'Odd', count: 3 };
    const created = await kube.events.create(event);
    assert.equal(created.reason, 'Anything');
    assert.equal(created.type, 'Odd');
    assert.equal(created.count, 3);
  });
});

describe('SimulatedApiServer: update', () => {
  it('answers 404 for an absent object', async () => {
    const { kube } = setup();
    await expectError(kube.nodes.update(node('n')), 404, 'NotFound', /^nodes "n" not found$/);
  });

  it('answers 409 Conflict with the apiserver message for a stale resourceVersion', async () => {
    const { kube } = setup();
    const v1 = await kube.services.create(service('web'));
    await kube.services.update({ ...v1, metadata: { ...v1.metadata, labels: { a: 'b' } } });
    await expectError(
      kube.services.update({ ...v1, metadata: { ...v1.metadata, labels: { a: 'c' } } }),
      409,
      'Conflict',
      /^Operation cannot be fulfilled on services "web": the object has been modified; please apply your changes to the latest version and try again$/,
    );
  });

  it('treats an empty resourceVersion as an unconditional update', async () => {
    const { kube } = setup();
    await kube.nodes.create(node('n'));
    await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { metadata: { labels: { x: '1' } } } });
    const updated = await kube.nodes.update(node('n', { metadata: { labels: { y: '2' } } }));
    assert.deepEqual(updated.metadata?.labels, { y: '2' });
  });

  it('refuses to change the uid (422) and ignores creationTimestamp changes', async () => {
    const { kube } = setup();
    const created = await kube.nodes.create(node('n'));
    const err = await expectError(kube.nodes.update({ ...created, metadata: { ...created.metadata, uid: 'other' } }), 422, 'Invalid');
    assert.equal(err.details?.causes?.[0]?.field, 'metadata.uid');
    const updated = await kube.nodes.update({ ...created, metadata: { ...created.metadata, creationTimestamp: '2000-01-01T00:00:00Z', labels: { a: 'b' } } });
    assert.equal(updated.metadata?.creationTimestamp, created.metadata?.creationTimestamp);
  });

  it('keeps the stored status on main writes', async () => {
    const { kube } = setup();
    await kube.nodes.create(node('n', { status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } }));
    const updated = await kube.nodes.update(node('n', { spec: { providerID: 'sim://n' }, status: { addresses: [] } }));
    assert.equal(updated.spec?.providerID, 'sim://n');
    assert.deepEqual(updated.status?.addresses, [{ type: 'InternalIP', address: '10.0.0.1' }]);
  });

  it('keeps the stored spec on status writes but takes status and metadata (finalizers, labels)', async () => {
    const { kube } = setup();
    const created = await kube.services.create(service('web'));
    const updated = await kube.services.updateStatus({
      ...created,
      metadata: { ...created.metadata, finalizers: ['service.kubernetes.io/load-balancer-cleanup'], labels: { a: 'b' } },
      spec: { type: 'ClusterIP' },
      status: { loadBalancer: { ingress: [{ ip: '192.0.2.1', ipMode: 'Proxy' }] } },
    });
    assert.equal(updated.spec?.type, 'LoadBalancer');
    assert.deepEqual(updated.metadata?.finalizers, ['service.kubernetes.io/load-balancer-cleanup']);
    assert.deepEqual(updated.metadata?.labels, { a: 'b' });
    assert.deepEqual(updated.status?.loadBalancer?.ingress, [{ ip: '192.0.2.1', ipMode: 'Proxy' }]);
  });

  it('defaults a load-balancer ingress ipMode to VIP, as the apiserver does', async () => {
    const { kube } = setup();
    await kube.services.create(service('web'));
    const patched = await kube.services.patchStatus(
      { namespace: 'default', name: 'web' },
      { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { hostname: 'lb.example.com' }] } } } },
    );
    assert.deepEqual(patched.status?.loadBalancer?.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }, { hostname: 'lb.example.com' }]);
  });

  it('returns the object without a new resourceVersion or watch event for a write that changes nothing', async () => {
    const { kube } = setup();
    const created = await kube.services.create(service('web'));
    const stream = await kube.services.watch({ resourceVersion: created.metadata?.resourceVersion ?? '' });
    const same = await kube.services.update(created);
    const samePatch = await kube.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { type: 'LoadBalancer' } } });
    const changed = await kube.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { labels: { a: 'b' } } } });
    assert.equal(same.metadata?.resourceVersion, created.metadata?.resourceVersion);
    assert.equal(samePatch.metadata?.resourceVersion, created.metadata?.resourceVersion);
    assert.deepEqual(summary(await take(stream, 1)), [`MODIFIED web@${changed.metadata?.resourceVersion ?? ''}`]);
    stream.close();
  });

  it('lets a PUT create an absent Event, as upstream allows for events', async () => {
    const { kube } = setup();
    const created = await kube.events.update({ metadata: { name: 'e', namespace: 'default' }, involvedObject: {} });
    assert.equal(created.metadata?.uid, 'uid-1');
  });

  it('refuses changing a Node providerID once set', async () => {
    const { kube } = setup();
    await kube.nodes.create(node('n', { spec: { providerID: 'sim://a' } }));
    await expectError(kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { spec: { providerID: 'sim://b' } } }), 422, 'Invalid', /spec\.providerID: Forbidden/);
  });
});

describe('SimulatedApiServer: finalizers and delete', () => {
  const FIN = 'service.kubernetes.io/load-balancer-cleanup';

  it('marks an object with finalizers as deleting (MODIFIED) instead of deleting it', async () => {
    const { kube, clock } = setup();
    const created = await kube.services.create(service('web', { metadata: { finalizers: [FIN] } }));
    const stream = await kube.services.watch({ resourceVersion: created.metadata?.resourceVersion ?? '' });
    await clock.advance(5_000);
    await kube.services.delete({ namespace: 'default', name: 'web' });
    const marked = await kube.services.get({ namespace: 'default', name: 'web' });
    assert.equal(marked.metadata?.deletionTimestamp, '2026-01-01T12:00:05Z');
    assert.equal(marked.metadata?.deletionGracePeriodSeconds, 0);
    const [event] = await take(stream, 1);
    assert.equal(event?.type, 'MODIFIED');
    stream.close();
  });

  it('deletes a deleting object when the last finalizer is removed (DELETED event)', async () => {
    const { kube } = setup();
    const created = await kube.services.create(service('web', { metadata: { finalizers: [FIN, 'example.com/other'] } }));
    await kube.services.delete({ namespace: 'default', name: 'web' });
    const stream = await kube.services.watch({ resourceVersion: created.metadata?.resourceVersion ?? '' });
    await kube.services.patchStatus({ namespace: 'default', name: 'web' }, { type: 'json', body: [{ op: 'remove', path: '/metadata/finalizers/0' }] });
    const current = await kube.services.get({ namespace: 'default', name: 'web' });
    const last = await kube.services.update({ ...current, metadata: { ...current.metadata, finalizers: [] } });
    await expectError(kube.services.get({ namespace: 'default', name: 'web' }), 404, 'NotFound');
    const events = await take(stream, 3);
    assert.deepEqual(
      events.map((e) => e.type),
      ['MODIFIED', 'MODIFIED', 'DELETED'],
    );
    assert.equal(events[2]?.object.metadata?.resourceVersion, last.metadata?.resourceVersion);
    // Emptied, the omitempty list is gone from the answer, as kube-apiserver encodes it.
    assert.equal(last.metadata?.finalizers, undefined);
    stream.close();
  });

  it('refuses new finalizers on an object being deleted (422)', async () => {
    const { kube } = setup();
    await kube.services.create(service('web', { metadata: { finalizers: [FIN] } }));
    await kube.services.delete({ namespace: 'default', name: 'web' });
    await expectError(
      kube.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { finalizers: [FIN, 'example.com/x'] } } }),
      422,
      'Invalid',
      /no new finalizers can be added if the object is being deleted/,
    );
  });

  it('ignores a repeated delete of an object already being deleted', async () => {
    const { kube, clock } = setup();
    await kube.services.create(service('web', { metadata: { finalizers: [FIN] } }));
    await kube.services.delete({ namespace: 'default', name: 'web' });
    const first = await kube.services.get({ namespace: 'default', name: 'web' });
    await clock.advance(1_000);
    await kube.services.delete({ namespace: 'default', name: 'web' });
    assert.deepEqual(await kube.services.get({ namespace: 'default', name: 'web' }), first);
  });

  const preconditionCases = [
    { name: 'uid precondition mismatch', preconditions: { uid: 'other' }, message: /^Operation cannot be fulfilled on Node "n": the UID in the precondition \(other\) does not match the UID in record \(uid-1\)\. The object might have been deleted and then recreated$/ },
    { name: 'resourceVersion precondition mismatch', preconditions: { resourceVersion: '1' }, message: /^Operation cannot be fulfilled on Node "n": the ResourceVersion in the precondition \(1\) does not match the ResourceVersion in record \(2\)\. The object might have been modified$/ },
  ];
  for (const c of preconditionCases) {
    it(`answers 409 Conflict on a ${c.name}`, async () => {
      const { kube } = setup();
      await kube.nodes.create(node('n'));
      await expectError(kube.nodes.delete({ name: 'n' }, { preconditions: c.preconditions }), 409, 'Conflict', c.message);
      assert.equal((await kube.nodes.get({ name: 'n' })).metadata?.name, 'n');
    });
  }

  it('deletes when preconditions match', async () => {
    const { kube } = setup();
    const created = await kube.nodes.create(node('n'));
    await kube.nodes.delete({ name: 'n' }, { preconditions: { uid: created.metadata?.uid ?? '', resourceVersion: created.metadata?.resourceVersion ?? '' } });
    await expectError(kube.nodes.get({ name: 'n' }), 404, 'NotFound');
  });

  it('answers 404 when deleting an absent object', async () => {
    const { kube } = setup();
    await expectError(kube.leases.delete({ namespace: 'default', name: 'x' }), 404, 'NotFound', /^leases\.coordination\.k8s\.io "x" not found$/);
  });
});

describe('SimulatedApiServer: patch', () => {
  it('applies a JSON merge patch', async () => {
    const { kube } = setup();
    await kube.nodes.create(node('n', { metadata: { labels: { a: '1', b: '2' } } }));
    const patched = await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { metadata: { labels: { a: null, c: '3' } } } });
    assert.deepEqual(patched.metadata?.labels, { b: '2', c: '3' });
  });

  it('a strategic patch stores a new version that shares every part it did not touch with the last one', async () => {
    const { kube, server } = setup();
    await kube.nodes.create(
      node('n', {
        metadata: { name: 'n', labels: { a: '1' } },
        spec: { podCIDRs: ['10.0.0.0/24'] },
        status: { addresses: [{ type: 'InternalIP', address: '10.1.0.1' }], conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    );
    const [v1] = server.objects(NODES);
    await kube.nodes.patchStatus({ name: 'n' }, { type: 'strategic', body: { status: { conditions: [{ type: 'NetworkUnavailable', status: 'False' }] } } });
    const [v2] = server.objects(NODES);
    assert.equal(v2?.metadata?.labels, v1?.metadata?.labels, 'labels: not touched, shared');
    assert.equal(v2?.status?.addresses, v1?.status?.addresses, 'addresses: beside the patched conditions, shared');
    assert.deepEqual(v2?.status?.conditions?.map((c) => c.type), ['NetworkUnavailable', 'Ready'], 'patch items first, as upstream');
    assert.notEqual(v2?.metadata?.resourceVersion, v1?.metadata?.resourceVersion);
    await kube.nodes.patch({ name: 'n' }, { type: 'strategic', body: { metadata: { labels: { b: '2' } } } });
    const [v3] = server.objects(NODES);
    assert.deepEqual(v3?.metadata?.labels, { a: '1', b: '2' });
    assert.equal(v1?.metadata?.labels?.['b'], undefined, 'the earlier version is unchanged');
    assert.equal(v3?.spec?.podCIDRs, v1?.spec?.podCIDRs);
    assert.ok(Object.isFrozen(v3?.metadata?.labels) && Object.isFrozen(v3?.metadata));
  });

  it('applies a JSON patch', async () => {
    const { kube } = setup();
    await kube.nodes.create(node('n', { spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } }));
    const patched = await kube.nodes.patch({ name: 'n' }, { type: 'json', body: [{ op: 'add', path: '/spec/taints/-', value: { key: 'b', effect: 'NoExecute' } }] });
    assert.deepEqual(patched.spec?.taints?.map((t) => t.key), ['a', 'b']);
  });

  it('applies a strategic merge patch with the built-in merge keys (conditions by type; taints are atomic)', async () => {
    const { kube } = setup();
    await kube.nodes.create(
      node('n', {
        spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
        status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'MemoryPressure', status: 'False' }] },
      }),
    );
    const spec = await kube.nodes.patch({ name: 'n' }, { type: 'strategic', body: { spec: { taints: [{ key: 'b', effect: 'NoExecute' }] } } });
    const status = await kube.nodes.patchStatus({ name: 'n' }, { type: 'strategic', body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } } });
    assert.deepEqual(spec.spec?.taints?.map((t) => `${t.key}:${t.effect}`), ['b:NoExecute']);
    assert.deepEqual(status.status?.conditions?.map((c) => `${c.type}=${c.status}`), ['Ready=True', 'MemoryPressure=False']);
  });

  it('answers 415 for a strategic merge patch of a kind without a schema', async () => {
    const { kube, server } = setup();
    const widgets = defineResource({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: false, hasStatus: false });
    server.registerResource(widgets);
    await kube.resource(widgets).create({ metadata: { name: 'w' } });
    await expectError(kube.resource(widgets).patch({ name: 'w' }, { type: 'strategic', body: { spec: {} } }), 415, 'UnsupportedMediaType');
  });

  it('uses a resourceVersion in the patch as a precondition', async () => {
    const { kube } = setup();
    const created = await kube.nodes.create(node('n'));
    const rv = created.metadata?.resourceVersion ?? '';
    const ok = await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { metadata: { resourceVersion: rv, labels: { a: '1' } } } });
    assert.notEqual(ok.metadata?.resourceVersion, rv);
    await expectError(kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { metadata: { resourceVersion: rv, labels: { a: '2' } } } }), 409, 'Conflict');
  });

  const failures: Array<{ name: string; patch: Parameters<KubeClient['nodes']['patch']>[1]; status: number; reason: string; message?: RegExp }> = [
    { name: 'validates the patched object (422)', patch: { type: 'merge', body: { spec: { taints: [{ key: 'a', effect: 'Never' }] } } }, status: 422, reason: 'Invalid', message: /spec\.taints\[0\]\.effect: Unsupported value/ },
    { name: 'answers wrong JSON types in a patch result with 422', patch: { type: 'merge', body: { spec: { unschedulable: 'yes' } } }, status: 422, reason: 'Invalid', message: /spec\.unschedulable/ },
    { name: 'answers a malformed patch with 400', patch: { type: 'json', body: [{ op: 'frobnicate', path: '/x' } as never] }, status: 400, reason: 'BadRequest' },
    { name: 'answers a JSON patch that does not apply with 422', patch: { type: 'json', body: [{ op: 'remove', path: '/spec/nothing' }] }, status: 422, reason: 'Invalid' },
    { name: 'refuses renaming the object (400)', patch: { type: 'merge', body: { metadata: { name: 'other' } } }, status: 400, reason: 'BadRequest', message: /does not match the name on the URL/ },
  ];
  for (const c of failures) {
    it(c.name, async () => {
      const { kube } = setup();
      const created = await kube.nodes.create(node('n', { spec: {} }));
      await expectError(kube.nodes.patch({ name: 'n' }, c.patch), c.status, c.reason, c.message);
      assert.deepEqual(await kube.nodes.get({ name: 'n' }), created);
    });
  }

  it('ignores status changes in a main patch and spec changes in a status patch', async () => {
    const { kube } = setup();
    await kube.nodes.create(node('n', { status: { addresses: [{ type: 'Hostname', address: 'n' }] } }));
    const main = await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { spec: { unschedulable: true }, status: { addresses: null } } });
    const status = await kube.nodes.patchStatus(
      { name: 'n' },
      { type: 'merge', body: { spec: { unschedulable: false }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] } } },
    );
    assert.equal(main.spec?.unschedulable, true);
    assert.deepEqual(main.status?.addresses, [{ type: 'Hostname', address: 'n' }]);
    assert.equal(status.spec?.unschedulable, true);
    assert.deepEqual(status.status?.addresses, [{ type: 'InternalIP', address: '10.0.0.1' }]);
  });

  it('answers 404 when patching an absent object', async () => {
    const { kube } = setup();
    await expectError(kube.services.patchStatus({ namespace: 'default', name: 'x' }, { type: 'merge', body: {} }), 404, 'NotFound');
  });
});

describe('SimulatedApiServer: list', () => {
  async function seeded(): Promise<ReturnType<typeof setup>> {
    const env = setup();
    const { kube } = env;
    await kube.services.create(service('b', { metadata: { namespace: 'prod', labels: { tier: 'web' } } }));
    await kube.services.create(service('a', { metadata: { namespace: 'prod', labels: { tier: 'db' } } }));
    await kube.services.create(service('c', { metadata: { namespace: 'default', labels: { tier: 'web' } }, spec: { type: 'ClusterIP' } }));
    await kube.services.create(service('d', { metadata: { namespace: 'dev' } }));
    return env;
  }
  const keys = (items: readonly KubeObject[]): string[] => items.map((i) => `${i.metadata?.namespace ?? ''}/${i.metadata?.name ?? ''}`);

  const table: Array<{ name: string; options: Parameters<KubeClient['services']['list']>[0]; expected: string[] }> = [
    { name: 'lists everything sorted by namespace/name', options: {}, expected: ['default/c', 'dev/d', 'prod/a', 'prod/b'] },
    { name: 'filters by namespace', options: { namespace: 'prod' }, expected: ['prod/a', 'prod/b'] },
    { name: 'filters by label selector', options: { labelSelector: 'tier=web' }, expected: ['default/c', 'prod/b'] },
    { name: 'filters by set-based label selector', options: { labelSelector: 'tier in (db),tier' }, expected: ['prod/a'] },
    { name: 'filters by field selector', options: { fieldSelector: 'spec.type=ClusterIP' }, expected: ['default/c'] },
    { name: 'combines namespace and selectors', options: { namespace: 'prod', labelSelector: '!missing', fieldSelector: 'metadata.name!=a' }, expected: ['prod/b'] },
  ];
  it('counts stored objects, all or those a predicate accepts, deleted ones gone', async () => {
    const { kube, server } = await seeded();
    assert.equal(server.count(SERVICES), 4);
    assert.equal(server.count(SERVICES, (s) => s.metadata?.namespace === 'prod'), 2);
    await kube.services.delete({ namespace: 'prod', name: 'a' });
    assert.equal(server.count(SERVICES, (s) => s.metadata?.namespace === 'prod'), 1);
    assert.equal(server.count(NODES), 0);
  });

  for (const c of table) {
    it(c.name, async () => {
      const { kube, server } = await seeded();
      const list = await kube.services.list(c.options);
      assert.deepEqual(keys(list.items), c.expected);
      assert.equal(list.metadata.resourceVersion, server.resourceVersion());
    });
  }

  const bad: Array<{ name: string; options: Parameters<KubeClient['services']['list']>[0]; message: RegExp }> = [
    { name: 'answers 400 for a malformed label selector', options: { labelSelector: 'a in (' }, message: /./ },
    { name: 'answers 400 for an unsupported field', options: { fieldSelector: 'spec.ports=80' }, message: /field label not supported: spec\.ports/ },
    { name: 'answers 400 for a malformed resourceVersion', options: { resourceVersion: 'abc' }, message: /invalid resource version/ },
    { name: 'answers 400 for a malformed continue token', options: { continue: 'garbage!' }, message: /continue key is not valid/ },
  ];
  for (const c of bad) {
    it(c.name, async () => {
      const { kube } = await seeded();
      await expectError(kube.services.list(c.options), 400, 'BadRequest', c.message);
    });
  }

  it('answers 504 for a resourceVersion from the future', async () => {
    const { kube, server } = await seeded();
    await expectError(kube.services.list({ resourceVersion: String(Number(server.resourceVersion()) + 10) }), 504, 'Timeout', /Too large resource version/);
  });

  it('pages with limit/continue from the first page snapshot, reporting its resourceVersion', async () => {
    const { kube } = await seeded();
    const first = await kube.services.list({ limit: 2 });
    assert.deepEqual(keys(first.items), ['default/c', 'dev/d']);
    assert.equal(first.metadata.remainingItemCount, 2);
    // Changes after the first page do not show on later pages.
    await kube.services.delete({ namespace: 'prod', name: 'a' });
    await kube.services.create(service('z', { metadata: { namespace: 'prod' } }));
    const second = await kube.services.list({ limit: 2, continue: first.metadata.continue ?? '' });
    assert.deepEqual(keys(second.items), ['prod/a', 'prod/b']);
    assert.equal(second.metadata.resourceVersion, first.metadata.resourceVersion);
    assert.equal(second.metadata.continue, undefined);
  });

  it('omits remainingItemCount when selectors filter the list', async () => {
    const { kube } = await seeded();
    const first = await kube.services.list({ limit: 1, labelSelector: 'tier' });
    assert.ok(first.metadata.continue !== undefined);
    assert.equal(first.metadata.remainingItemCount, undefined);
  });

  it('answers 410 Expired for a continue token older than the retained history', async () => {
    const { kube, server } = await seeded();
    const first = await kube.services.list({ limit: 1 });
    await kube.services.create(service('y'));
    server.compactHistory();
    await expectError(kube.services.list({ limit: 1, continue: first.metadata.continue ?? '' }), 410, 'Expired', /continue parameter is too old/);
  });

  it('refuses a resourceVersion together with a continue token', async () => {
    const { kube } = await seeded();
    const first = await kube.services.list({ limit: 1 });
    await expectError(kube.services.list({ continue: first.metadata.continue ?? '', resourceVersion: first.metadata.resourceVersion }), 400, 'BadRequest');
  });

  it('refuses a namespace for a cluster-scoped list', async () => {
    const { kube } = setup();
    await expectError(kube.nodes.list({ namespace: 'default' }), 400, 'BadRequest');
  });
});

describe('SimulatedApiServer: watch', () => {
  it('delivers the stored object deep-frozen, one object for every watch and list: it cannot be changed through them', async () => {
    const { kube, server } = setup();
    await kube.nodes.create(node('a', { metadata: { labels: { a: '1' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } }));
    const one = await kube.nodes.watch();
    const two = await kube.nodes.watch();
    const [e1] = await take(one, 1);
    const [e2] = await take(two, 1);
    const object = e1?.object as Node;
    assert.equal(e2?.object, object, 'shared, not copied');
    assert.ok(Object.isFrozen(object) && Object.isFrozen(object.metadata) && Object.isFrozen(object.metadata?.labels));
    assert.ok(Object.isFrozen(object.spec?.taints) && Object.isFrozen(object.spec?.taints?.[0]));
    assert.throws(() => {
      (object.metadata?.labels ?? {})['a'] = 'changed';
    }, TypeError);
    assert.throws(() => {
      object.spec?.taints?.push({ key: 'x', effect: 'NoSchedule' });
    }, TypeError);
    // Live events and replays share it the same way; answers to requests stay private copies.
    const live = take(one, 1);
    const patched = await kube.nodes.patch({ name: 'a' }, { type: 'merge', body: { metadata: { labels: { b: '2' } } } });
    const [modified] = await live;
    assert.ok(Object.isFrozen(modified?.object));
    assert.ok(!Object.isFrozen(patched) && !Object.isFrozen(patched.metadata?.labels));
    (patched.metadata?.labels ?? {})['b'] = 'result';
    const got = await kube.nodes.get({ name: 'a' });
    assert.ok(!Object.isFrozen(got));
    assert.deepEqual(got.metadata?.labels, { a: '1', b: '2' });
    assert.deepEqual(server.snapshot(NODES)[0]?.metadata?.labels, { a: '1', b: '2' });
    const replay = await kube.nodes.watch({ resourceVersion: object.metadata?.resourceVersion ?? '' });
    const [replayed] = await take(replay, 1);
    assert.equal(replayed?.object, modified?.object);
    // List items are the stored objects too (an informer's initial list shares them), pages included.
    const listed = (await kube.nodes.list()).items[0];
    assert.equal(listed, modified?.object);
    assert.throws(() => {
      (listed?.metadata?.labels ?? {})['a'] = 'changed';
    }, TypeError);
    assert.equal((await kube.nodes.list({ limit: 1 })).items[0], modified?.object);
    one.close();
    two.close();
    replay.close();
  });

  for (const resourceVersion of [undefined, '0']) {
    it(`sends synthetic ADDED events for current objects, then live changes (resourceVersion ${String(resourceVersion)})`, async () => {
      const { kube } = setup();
      await kube.nodes.create(node('b'));
      await kube.nodes.create(node('a'));
      const stream = await kube.nodes.watch(resourceVersion === undefined ? {} : { resourceVersion });
      const initial = await take(stream, 2);
      assert.deepEqual(
        initial.map((e) => `${e.type} ${e.object.metadata?.name ?? ''}`),
        ['ADDED a', 'ADDED b'],
      );
      const live = take(stream, 1);
      const c = await kube.nodes.create(node('c'));
      assert.deepEqual(summary(await live), [`ADDED c@${c.metadata?.resourceVersion ?? ''}`]);
      stream.close();
    });
  }

  it('replays the changes after a given resourceVersion', async () => {
    const { kube } = setup();
    const a = await kube.nodes.create(node('a'));
    const b = await kube.nodes.create(node('b'));
    const a2 = await kube.nodes.patch({ name: 'a' }, { type: 'merge', body: { metadata: { labels: { x: 'y' } } } });
    await kube.nodes.delete({ name: 'b' });
    const stream = await kube.nodes.watch({ resourceVersion: a.metadata?.resourceVersion ?? '' });
    const events = await take(stream, 3);
    assert.deepEqual(summary(events), [
      `ADDED b@${b.metadata?.resourceVersion ?? ''}`,
      `MODIFIED a@${a2.metadata?.resourceVersion ?? ''}`,
      `DELETED b@${Number(a2.metadata?.resourceVersion) + 1}`,
    ]);
    stream.close();
  });

  it('fails with 410 Expired "too old resource version" once the version left the bounded history', async () => {
    const { kube } = setup({ historyLimit: 2 });
    const a = await kube.nodes.create(node('a'));
    await kube.nodes.create(node('b'));
    await kube.nodes.create(node('c'));
    await kube.nodes.create(node('d'));
    const rv = Number(a.metadata?.resourceVersion);
    const stream = await kube.nodes.watch({ resourceVersion: String(rv) });
    const err = await expectError(take(stream, 1), 410, 'Expired');
    assert.equal(err.message, `too old resource version: ${rv} (${rv + 1})`);
    // The version right at the edge of the history is still served.
    const edge = await kube.nodes.watch({ resourceVersion: String(rv + 1) });
    assert.deepEqual(
      (await take(edge, 2)).map((e) => e.object.metadata?.name),
      ['c', 'd'],
    );
    edge.close();
  });

  it('fails with 410 Expired after compactHistory()', async () => {
    const { kube, server } = setup();
    const a = await kube.nodes.create(node('a'));
    await kube.nodes.create(node('b'));
    server.compactHistory();
    const stream = await kube.nodes.watch({ resourceVersion: a.metadata?.resourceVersion ?? '' });
    await expectError(take(stream, 1), 410, 'Expired', /too old resource version/);
    const fromNow = await kube.nodes.watch({ resourceVersion: server.resourceVersion() });
    const next = take(fromNow, 1);
    await kube.nodes.create(node('c'));
    assert.equal((await next)[0]?.object.metadata?.name, 'c');
    fromNow.close();
  });

  it('applies selectors with watch-cache transitions: starts matching is ADDED, stops matching is DELETED', async () => {
    const { kube } = setup();
    const stream = await kube.nodes.watch({ labelSelector: 'pool=blue' });
    await kube.nodes.create(node('n'));
    const blue = await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { metadata: { labels: { pool: 'blue' } } } });
    const blue2 = await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { metadata: { labels: { zone: 'z1' } } } });
    const red = await kube.nodes.patch({ name: 'n' }, { type: 'merge', body: { metadata: { labels: { pool: 'red' } } } });
    await kube.nodes.delete({ name: 'n' });
    const events = await take(stream, 3);
    assert.deepEqual(summary(events), [
      `ADDED n@${blue.metadata?.resourceVersion ?? ''}`,
      `MODIFIED n@${blue2.metadata?.resourceVersion ?? ''}`,
      `DELETED n@${red.metadata?.resourceVersion ?? ''}`,
    ]);
    // The DELETED event carries the last matching content.
    assert.equal(events[2]?.object.metadata?.labels?.['pool'], 'blue');
    assert.ok(await isPending(take(stream, 1)));
    stream.close();
  });

  it('filters watches by namespace and field selector', async () => {
    const { kube } = setup();
    const stream = await kube.services.watch({ namespace: 'prod', fieldSelector: 'metadata.name=web' });
    await kube.services.create(service('web'));
    await kube.services.create(service('api', { metadata: { namespace: 'prod' } }));
    const web = await kube.services.create(service('web', { metadata: { namespace: 'prod' } }));
    assert.deepEqual(summary(await take(stream, 1)), [`ADDED web@${web.metadata?.resourceVersion ?? ''}`]);
    stream.close();
  });

  it('sends BOOKMARKs only to watches that allow them', async () => {
    const { kube, server } = setup();
    const with_ = await kube.leases.watch({ allowWatchBookmarks: true });
    const without = await kube.leases.watch({});
    await kube.nodes.create(node('n'));
    server.sendBookmarks();
    const [bookmark] = await take(with_, 1);
    assert.equal(bookmark?.type, 'BOOKMARK');
    assert.deepEqual(bookmark?.object, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { resourceVersion: server.resourceVersion() } });
    assert.ok(await isPending(take(without, 1)));
    with_.close();
    without.close();
  });

  it('ends the stream after timeoutSeconds on the clock', async () => {
    const { kube, clock } = setup();
    const stream = await kube.nodes.watch({ timeoutSeconds: 30 });
    const next = take(stream, 1);
    await clock.advance(29_000);
    assert.ok(await isPending(next));
    await clock.advance(1_000);
    assert.deepEqual(await next, []);
  });

  it('ends the stream on abort and on close()', async () => {
    const { kube } = setup();
    const controller = new AbortController();
    const aborted = await kube.nodes.watch({ signal: controller.signal });
    const closed = await kube.nodes.watch();
    const pendingAborted = take(aborted, 1);
    const pendingClosed = take(closed, 1);
    controller.abort();
    closed.close();
    closed.close();
    assert.deepEqual(await pendingAborted, []);
    assert.deepEqual(await pendingClosed, []);
  });

  it('ends every stream normally on faults.closeWatches(), delivering what was already sent', async () => {
    const { kube, server } = setup();
    const nodes = await kube.nodes.watch();
    const services = await kube.services.watch();
    await kube.nodes.create(node('n'));
    server.faults.closeWatches();
    assert.deepEqual(
      (await take(nodes, 5)).map((e) => e.type),
      ['ADDED'],
    );
    assert.deepEqual(await take(services, 5), []);
    // Clients re-watch from their last resourceVersion.
    const again = await kube.nodes.watch({ resourceVersion: server.resourceVersion() });
    const next = take(again, 1);
    await kube.nodes.delete({ name: 'n' });
    assert.equal((await next)[0]?.type, 'DELETED');
    again.close();
  });

  it('never blocks writers on a slow consumer', async () => {
    const { kube } = setup();
    const stream = await kube.leases.watch();
    for (let i = 0; i < 200; i++) await kube.leases.create({ metadata: { name: `l${i}`, namespace: 'default' } });
    const events = await take(stream, 200);
    assert.equal(events.length, 200);
    assert.equal(events[199]?.object.metadata?.name, 'l199');
    stream.close();
  });

  it('answers 400 for a bad selector before the watch starts', async () => {
    const { kube } = setup();
    await expectError(kube.nodes.watch({ fieldSelector: 'metadata.namespace=x' }), 400, 'BadRequest');
  });
});

describe('SimulatedApiServer: resources', () => {
  it('answers 404 "the server could not find the requested resource" for an unknown resource', async () => {
    const { kube } = setup();
    const gizmos = defineResource({ group: 'example.com', version: 'v1', resource: 'gizmos', kind: 'Gizmo', namespaced: true, hasStatus: false });
    await expectError(kube.resource(gizmos).list(), 404, 'NotFound', /^the server could not find the requested resource$/);
    await expectError(kube.resource(gizmos).create({ metadata: { name: 'g', namespace: 'default' } }), 404, 'NotFound');
  });

  it('answers 404 for status writes to a resource without a status subresource', async () => {
    const { kube } = setup();
    await kube.leases.create({ metadata: { name: 'l', namespace: 'default' } });
    await expectError(kube.leases.updateStatus({ metadata: { name: 'l', namespace: 'default' } }), 404, 'NotFound', /could not find the requested resource/);
    await expectError(kube.events.patchStatus({ name: 'e', namespace: 'default' }, { type: 'merge', body: {} }), 404, 'NotFound');
  });

  it('serves registered resources with custom-resource semantics', async () => {
    const { kube, server } = setup();
    const widgets = defineResource({ group: 'example.com', version: 'v1', resource: 'widgets', kind: 'Widget', namespaced: true, hasStatus: true });
    server.registerResource(widgets);
    server.registerResource(widgets);
    const client = kube.resource(widgets);
    const created = await client.create({ metadata: { name: 'w', namespace: 'default' }, spec: { size: 1 }, status: { ready: true } } as KubeObject);
    assert.equal((created as { status?: unknown }).status, undefined);
    assert.equal(created.metadata?.generation, 1);
    const status = await client.updateStatus({ ...created, metadata: { ...created.metadata, labels: { ignored: 'yes' } }, status: { ready: true } } as KubeObject);
    assert.deepEqual((status as { status?: unknown }).status, { ready: true });
    assert.equal(status.metadata?.labels, undefined);
    const respec = await client.patch({ namespace: 'default', name: 'w' }, { type: 'merge', body: { spec: { size: 2 } } });
    assert.equal(respec.metadata?.generation, 2);
    assert.equal(server.snapshot(widgets).length, 1);
  });

  it('refuses to re-register a resource with a different shape', () => {
    const { server } = setup();
    assert.throws(() => server.registerResource({ ...NODES, namespaced: true }), /already registered/);
  });
});

describe('SimulatedApiServer: fault injection and accounting', () => {
  it('fails matching requests `times` times with the injected error, then serves them', async () => {
    const { kube, server } = setup();
    await kube.services.create(service('web'));
    server.faults.inject({ verb: 'patch', resource: 'services/status', times: 2, error: () => apiErrors.serviceUnavailable('down') });
    const patch = (): Promise<Service> => kube.services.patchStatus({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { labels: { a: 'b' } } } });
    await expectError(patch(), 503, 'ServiceUnavailable');
    // A main-resource patch does not match a services/status fault.
    await kube.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: {} });
    await expectError(patch(), 503, 'ServiceUnavailable');
    assert.equal((await patch()).metadata?.labels?.['a'], 'b');
  });

  const matching: Array<{ name: string; fault: Parameters<SimulatedApiServer['faults']['inject']>[0]; hits: boolean[] }> = [
    { name: 'matches by namespace', fault: { namespace: 'prod' }, hits: [false, true, false] },
    { name: 'matches by name', fault: { name: 'web' }, hits: [true, true, false] },
    { name: 'matches by verb and resource', fault: { verb: 'get', resource: 'services' }, hits: [true, true, false] },
    { name: 'matches any request when unconstrained', fault: {}, hits: [true, true, true] },
  ];
  for (const c of matching) {
    it(`${c.name}`, async () => {
      const { kube, server } = setup();
      await kube.services.create(service('web'));
      await kube.services.create(service('web', { metadata: { namespace: 'prod' } }));
      await kube.nodes.create(node('n'));
      server.faults.inject({ ...c.fault, times: Infinity, error: apiErrors.internal('injected') });
      const results = await Promise.all(
        [kube.services.get({ namespace: 'default', name: 'web' }), kube.services.get({ namespace: 'prod', name: 'web' }), kube.nodes.get({ name: 'n' })].map((p) =>
          p.then(
            () => false,
            () => true,
          ),
        ),
      );
      assert.deepEqual(results, c.hits);
    });
  }

  it('delays matching requests on the clock', async () => {
    const { kube, server, clock } = setup();
    server.faults.inject({ verb: 'list', latencyMs: 2_000 });
    const list = kube.nodes.list();
    await clock.advance(1_999);
    assert.ok(await isPending(list));
    await clock.advance(1);
    assert.deepEqual((await list).items, []);
  });

  it('honours the request signal while delayed', async () => {
    const { kube, server } = setup();
    server.faults.inject({ latencyMs: 60_000 });
    const controller = new AbortController();
    const get = kube.nodes.get({ name: 'n' }, { signal: controller.signal });
    controller.abort(new Error('cancelled'));
    await assert.rejects(get, /cancelled/);
  });

  it('fails a watch request with the injected error', async () => {
    const { kube, server } = setup();
    server.faults.inject({ verb: 'watch', error: apiErrors.tooManyRequests('slow down', 1) });
    await expectError(kube.nodes.watch(), 429, 'TooManyRequests');
    const stream = await kube.nodes.watch();
    stream.close();
  });

  it('clear() removes pending faults', async () => {
    const { kube, server } = setup();
    server.faults.inject({ times: Infinity, error: apiErrors.internal('x') });
    server.faults.clear();
    assert.deepEqual((await kube.nodes.list()).items, []);
  });

  it('rejects nonsensical faults', () => {
    const { server } = setup();
    assert.throws(() => server.faults.inject({ times: 0, error: apiErrors.internal('x') }), RangeError);
    assert.throws(() => server.faults.inject({}), TypeError);
  });

  it('counts every request by verb, resource and user agent, failed ones included', async () => {
    const { server, kube } = setup();
    const ccm = server.client({ userAgent: 'ccm' });
    await kube.services.create(service('web'));
    await ccm.services.patchStatus({ namespace: 'default', name: 'web' }, { type: 'merge', body: {} });
    await ccm.services.patchStatus({ namespace: 'default', name: 'web' }, { type: 'merge', body: {} });
    await expectError(ccm.services.get({ namespace: 'default', name: 'missing' }), 404, 'NotFound');
    (await ccm.nodes.watch()).close();
    await server.client().leases.list();
    assert.deepEqual(server.requestCounts(), [
      { verb: 'list', resource: 'leases', userAgent: 'unknown', count: 1 },
      { verb: 'watch', resource: 'nodes', userAgent: 'ccm', count: 1 },
      { verb: 'create', resource: 'services', userAgent: 'test', count: 1 },
      { verb: 'get', resource: 'services', userAgent: 'ccm', count: 1 },
      { verb: 'patch', resource: 'services/status', userAgent: 'ccm', count: 2 },
    ]);
    server.resetRequestCounts();
    assert.deepEqual(server.requestCounts(), []);
  });

  it('snapshots resources as deep copies sorted by key', async () => {
    const { server, kube } = setup();
    await kube.events.create({ metadata: { name: 'b', namespace: 'default' }, involvedObject: {} });
    await kube.events.create({ metadata: { name: 'a', namespace: 'default' }, involvedObject: {} });
    assert.deepEqual(
      server.snapshot(EVENTS).map((e) => e.metadata?.name),
      ['a', 'b'],
    );
    assert.deepEqual(server.snapshot(LEASES), []);
  });
});

describe('SimulatedApiServer: dry run never writes (property)', () => {
  it('for any sequence of writes with dryRun, the store, the resourceVersion and the watch stream are unchanged', async () => {
    const { default: fc } = await import('fast-check');
    const write = fc.record({
      verb: fc.constantFrom('create', 'update', 'patch', 'patchStatus', 'delete'),
      name: fc.constantFrom('a', 'b', 'c'),
      label: fc.constantFrom('x', 'y', 'bad value!'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 12 }), async (writes) => {
        const server = new SimulatedApiServer({ clock: new FakeClock() });
        const kube = server.client();
        await kube.services.create({ metadata: { name: 'a', namespace: 'default', finalizers: ['example.com/hold'] }, spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } });
        await kube.services.create({ metadata: { name: 'b', namespace: 'default' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } });
        const before = server.snapshot(SERVICES);
        const rv = server.resourceVersion();
        const stream = await kube.services.watch({ namespace: 'default', resourceVersion: rv });
        for (const w of writes) {
          const key = { namespace: 'default', name: w.name };
          const dryRun = { dryRun: true } as const;
          await (async () => {
            switch (w.verb) {
              case 'create':
                return kube.services.create({ metadata: { ...key, labels: { l: w.label } }, spec: { type: 'NodePort', ports: [{ port: 81 }] } }, dryRun);
              case 'update': {
                const current = await kube.services.get(key);
                return kube.services.update({ ...current, metadata: { ...current.metadata, labels: { l: w.label } } }, dryRun);
              }
              case 'patch':
                return kube.services.patch(key, { type: 'merge', body: { metadata: { labels: { l: w.label } } } }, dryRun);
              case 'patchStatus':
                return kube.services.patchStatus(key, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } } }, dryRun);
              case 'delete':
                return kube.services.delete(key, dryRun);
            }
          })().catch(() => undefined); // refusals (404, 409, 422) are fine: they write nothing either
        }
        // A real write after the dry ones is the first event the watch sees.
        await kube.services.create({ metadata: { name: 'marker', namespace: 'default' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } });
        const events: string[] = [];
        for await (const e of stream) {
          events.push(`${e.type} ${e.object.metadata?.name ?? ''}`);
          break;
        }
        stream.close();
        assert.deepEqual(events, ['ADDED marker']);
        await kube.services.delete({ namespace: 'default', name: 'marker' });
        assert.deepEqual(server.snapshot(SERVICES), before);
      }),
      { numRuns: 60 },
    );
  });
});
