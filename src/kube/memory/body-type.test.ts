import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.js';
import { KubeApiError } from '../errors.js';
import { LEASES, SERVICES } from '../resources.js';
import { SimulatedApiServer } from './simulated-api-server.js';

// The messages are kube-apiserver v1.37's, taken from test/e2e/sandbox-differential.test.ts.
describe('a body whose kind is not the URL\'s', () => {
  const server = new SimulatedApiServer({ clock: new FakeClock() });
  const core = server.client();
  const spec = { ports: [{ port: 80 }] };
  const refused = async (write: () => Promise<unknown>): Promise<string> => {
    const err = await write().then(() => assert.fail('expected a 400'), (e: unknown) => e);
    assert.ok(err instanceof KubeApiError);
    assert.equal(err.status, 400);
    assert.equal(err.reason, 'BadRequest');
    return err.message;
  };

  it('is refused as kube-apiserver refuses it: a kind it serves cannot be converted, another is not registered', async () => {
    const svc = (typeMeta: Record<string, string>): never => ({ ...typeMeta, metadata: { name: 'mm', namespace: 'default' }, spec }) as never;
    assert.equal(
      await refused(() => core.services.create(svc({ apiVersion: 'v1', kind: 'ConfigMap' }))),
      'ConfigMap in version "v1" cannot be handled as a Service: converting (v1.ConfigMap) to (core.Service): unknown conversion',
    );
    assert.equal(
      await refused(() => core.services.create(svc({ kind: 'Node' }))),
      'Node in version "v1" cannot be handled as a Service: converting (v1.Node) to (core.Service): unknown conversion',
    );
    assert.equal(
      await refused(() => core.services.create(svc({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' }))),
      'Lease in version "v1" cannot be handled as a Service: converting (v1.Lease) to (core.Service): unknown conversion',
    );
    assert.equal(
      await refused(() => core.services.create(svc({ apiVersion: 'apps/v1', kind: 'Service' }))),
      'Service in version "v1" cannot be handled as a Service: no kind "Service" is registered for version "apps/v1" in scheme "pkg/runtime/scheme.go:111"',
    );
    assert.equal(
      await refused(() => core.resource(LEASES).create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'mm', namespace: 'default' } } as never)),
      'ConfigMap in version "v1" cannot be handled as a Lease: converting (v1.ConfigMap) to (coordination.Lease): unknown conversion',
    );
    const created = await core.services.create({ metadata: { name: 'ok', namespace: 'default' }, spec });
    assert.equal(
      await refused(() => core.services.update({ ...created, kind: 'Foo' } as never)),
      'Foo in version "v1" cannot be handled as a Service: no kind "Foo" is registered for version "v1" in scheme "pkg/runtime/scheme.go:111"',
    );
    assert.deepEqual((await core.services.list()).items.map((s) => s.metadata?.name), ['ok'], 'nothing refused was stored');
  });

  it('is taken when either field is left out (each defaults to the URL\'s) or both name the URL\'s type', async () => {
    await core.services.create({ apiVersion: 'v1', metadata: { name: 'a', namespace: 'default' }, spec } as never);
    await core.services.create({ kind: 'Service', metadata: { name: 'b', namespace: 'default' }, spec } as never);
    await core.resource(SERVICES).create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'c', namespace: 'default' }, spec } as never);
    const names = (await core.services.list()).items.map((s) => s.metadata?.name);
    for (const name of ['a', 'b', 'c']) assert.ok(names.includes(name), name);
  });
});
