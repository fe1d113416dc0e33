import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ProviderRegistry } from '../../cloud/registry.js';
import { noopLogger } from '../../log/logger.js';
import type { LocalCloudProvider } from './local-provider.js';
import { registerLocalProvider } from './register-local-provider.js';

describe('registerLocalProvider', () => {
  it('registers "local", builds the provider from YAML and exposes its capabilities', async () => {
    const registry = new ProviderRegistry();
    let created: LocalCloudProvider | undefined;
    registerLocalProvider(registry, { onCreate: (p) => (created = p) });
    assert.deepEqual(registry.names(), ['local']);
    const provider = await registry.create('local', { contents: 'pools:\n- name: a\n  ranges: [127.0.77.0/24]\n', path: 'local.yaml', logger: noopLogger });
    assert.equal(provider, created);
    assert.equal(provider.name, 'local');
    assert.ok(provider.loadBalancer?.() !== undefined);
    assert.ok(provider.instancesV2?.() !== undefined);
    assert.equal('routes' in provider, false);
  });

  it('an invalid config fails provider creation with file and line', async () => {
    const registry = new ProviderRegistry();
    registerLocalProvider(registry);
    await assert.rejects(
      registry.create('local', { contents: 'pools:\n- name: a\n  ranges: [300.0.0.0/8]\n', path: 'local.yaml', logger: noopLogger }),
      /could not init cloud provider "local".*local\.yaml:3: pools\[0\]\.ranges\[0\]: pool "a"/s,
    );
  });
});
