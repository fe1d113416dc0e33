import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderRegistry } from '../../cloud/registry.js';
import { ProviderInitError, ProviderRegistrationError } from '../../cloud/registry-errors.js';
import { FakeClock } from '../../kube/clock.js';
import { noopLogger } from '../../log/logger.js';
import { FakeConfigError } from './fake-config.js';
import { FakeCloudProvider } from './fake-provider.js';
import { FAKE_PROVIDER_NAME, registerFakeProvider } from './register-fake-provider.js';

describe('registerFakeProvider', () => {
  it('registers "fake", whose factory builds a FakeCloudProvider from the JSON cloud config', async () => {
    const registry = new ProviderRegistry();
    const clock = new FakeClock(5_000);
    const created: FakeCloudProvider[] = [];
    registerFakeProvider(registry, { clock, onCreate: (p) => created.push(p) });
    assert.deepEqual(registry.names(), [FAKE_PROVIDER_NAME]);
    const contents = JSON.stringify({
      capabilities: ['instancesV2'],
      instances: [{ nodeName: 'n1', zone: 'z1' }],
      failures: [{ method: 'instanceExists', kind: 'Retry', retryAfterMs: 100, times: 1 }],
    });
    const provider = await registry.create('fake', { contents, path: '/etc/fake.json', logger: noopLogger });
    assert.ok(provider instanceof FakeCloudProvider);
    assert.equal(created[0], provider);
    assert.equal(provider.name, 'fake');
    assert.equal(provider.loadBalancer(), undefined);
    const v2 = provider.instancesV2();
    assert.ok(v2 !== undefined);
    await assert.rejects(v2.instanceExists({ metadata: { name: 'n1' } }), { name: 'RetryError' });
    assert.equal((await v2.instanceMetadata({ metadata: { name: 'n1' } }))?.zone, 'z1');
    assert.equal(provider.calls()[0]?.at, 5_000);
  });

  it('builds an all-defaults provider when no cloud config is given', async () => {
    const registry = new ProviderRegistry();
    registerFakeProvider(registry);
    const provider = await registry.create('fake', { logger: noopLogger });
    assert.ok(provider instanceof FakeCloudProvider);
    assert.notEqual(provider.routes(), undefined);
  });

  it('registers under another name, which becomes the providerID scheme', async () => {
    const registry = new ProviderRegistry();
    registerFakeProvider(registry, { name: 'acme' });
    const provider = await registry.create('acme', { contents: '{"instances":[{"nodeName":"n1"}]}', logger: noopLogger });
    assert.equal(provider.name, 'acme');
    assert.equal(await provider.instances?.()?.instanceID('n1'), 'n1');
    assert.equal((provider as FakeCloudProvider).getInstance('n1')?.providerID, 'acme://n1');
  });

  it('reports a bad config through the registry, naming the provider, file and field', async () => {
    const registry = new ProviderRegistry();
    registerFakeProvider(registry);
    await assert.rejects(registry.create('fake', { contents: '{"instances":[{"nodeName":"n1","zone":1}]}', path: '/etc/fake.json', logger: noopLogger }), (err: unknown) => {
      assert.ok(err instanceof ProviderInitError);
      assert.equal(err.message, 'could not init cloud provider "fake": invalid fake cloud config "/etc/fake.json": instances[0].zone: expected a string, got a number');
      assert.ok(err.cause instanceof FakeConfigError);
      return true;
    });
  });

  it('reports a config that validates but cannot be applied, e.g. two entries for one instance', async () => {
    const registry = new ProviderRegistry();
    registerFakeProvider(registry);
    // The second entry's providerID is the one the first derives from its name (fake://n1): only
    // the provider, which knows its name, can tell.
    const contents = '{"instances":[{"nodeName":"n1"},{"providerID":"fake://n1","zone":"z"}]}';
    await assert.rejects(registry.create('fake', { contents, logger: noopLogger }), /could not init cloud provider "fake": .*instances\[1\].*names the same instance as an earlier entry/);
  });

  it('cannot be registered twice in one registry', () => {
    const registry = new ProviderRegistry();
    registerFakeProvider(registry);
    assert.throws(() => registerFakeProvider(registry), ProviderRegistrationError);
  });
});
