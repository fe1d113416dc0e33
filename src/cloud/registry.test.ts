import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, MemoryLogSink, noopLogger } from '../log/logger.js';
import type { CloudProvider } from './provider.js';
import { defaultRegistry, ProviderRegistry } from './registry.js';
import type { ProviderConfig } from './registry.js';
import { ProviderInitError, ProviderRegistrationError, UnknownProviderError } from './registry-errors.js';

const provider = (name: string): CloudProvider => ({ name });

describe('ProviderRegistry', () => {
  it('registers factories and lists their names sorted', () => {
    const registry = new ProviderRegistry();
    registry.register('zeta', () => provider('zeta'));
    registry.register('alpha', () => provider('alpha'));
    assert.deepEqual(registry.names(), ['alpha', 'zeta']);
    assert.equal(registry.has('alpha'), true);
    assert.equal(registry.has('beta'), false);
  });

  it('refuses a duplicate name and keeps the first factory', async () => {
    const registry = new ProviderRegistry();
    registry.register('acme', () => provider('first'));
    assert.throws(() => registry.register('acme', () => provider('second')), (err: unknown) => {
      assert.ok(err instanceof ProviderRegistrationError);
      assert.equal(err.providerName, 'acme');
      assert.match(err.message, /"acme".*already registered/);
      return true;
    });
    assert.equal((await registry.create('acme', { logger: noopLogger })).name, 'first');
  });

  it('refuses empty and reserved names and non-function factories', () => {
    const registry = new ProviderRegistry();
    assert.throws(() => registry.register('', () => provider('x')), /non-empty string/);
    assert.throws(() => registry.register('external', () => provider('x')), /reserved/);
    assert.throws(() => registry.register('acme', 'factory' as unknown as () => CloudProvider), /factory must be a function, got a string/);
    assert.deepEqual(registry.names(), []);
  });

  it('logs each registration at V(1)', () => {
    const sink = new MemoryLogSink();
    new ProviderRegistry({ logger: createLogger(sink.sink, 1) }).register('acme', () => provider('acme'));
    assert.deepEqual(
      sink.records.map((r) => [r.v, r.msg, r.values['provider']]),
      [[1, 'Registered cloud provider', 'acme']],
    );
  });

  it('unknown name fails listing the registered names sorted', async () => {
    const registry = new ProviderRegistry();
    registry.register('local', () => provider('local'));
    registry.register('fake', () => provider('fake'));
    await assert.rejects(registry.create('aws', { logger: noopLogger }), (err: unknown) => {
      assert.ok(err instanceof UnknownProviderError);
      assert.equal(err.message, 'unknown cloud provider "aws" (registered: "fake", "local")');
      assert.deepEqual(err.known, ['fake', 'local']);
      return true;
    });
  });

  it('unknown name in an empty registry says none is registered', async () => {
    await assert.rejects(new ProviderRegistry().create('aws', { logger: noopLogger }), {
      message: 'unknown cloud provider "aws" (no cloud providers are registered)',
    });
  });

  it('hands the config to the factory and returns its provider, sync or async', async () => {
    const registry = new ProviderRegistry();
    const seen: ProviderConfig[] = [];
    const made = provider('sync');
    registry.register('sync', (config) => {
      seen.push(config);
      return made;
    });
    registry.register('async', () => Promise.resolve(provider('async')));
    const config: ProviderConfig = { contents: 'region: eu', path: '/etc/cloud.conf', logger: noopLogger };
    assert.equal(await registry.create('sync', config), made);
    assert.equal(seen[0], config);
    assert.equal((await registry.create('async', { logger: noopLogger })).name, 'async');
  });

  for (const [how, factory] of [
    ['throws', (): CloudProvider => { throw new Error('bad credentials'); }],
    ['rejects', (): Promise<CloudProvider> => Promise.reject(new Error('bad credentials'))],
  ] as const) {
    it(`a factory that ${how} yields ProviderInitError with the cause`, async () => {
      const registry = new ProviderRegistry();
      registry.register('acme', factory);
      await assert.rejects(registry.create('acme', { logger: noopLogger }), (err: unknown) => {
        assert.ok(err instanceof ProviderInitError);
        assert.equal(err.message, 'could not init cloud provider "acme": bad credentials');
        assert.equal((err.cause as Error).message, 'bad credentials');
        return true;
      });
    });
  }

  const badResults: Array<{ name: string; value: unknown; want: RegExp }> = [
    { name: 'undefined', value: undefined, want: /returned undefined, expected a provider object/ },
    { name: 'null', value: null, want: /returned null, expected a provider object/ },
    { name: 'a string', value: 'acme', want: /returned a string, expected a provider object/ },
    { name: 'an array', value: [], want: /returned an array, expected a provider object/ },
    { name: 'an object without name', value: {}, want: /"name" is undefined, expected a non-empty string/ },
    { name: 'an empty name', value: { name: '' }, want: /"name" is an empty string, expected a non-empty string/ },
    { name: 'a numeric name', value: { name: 7 }, want: /"name" is a number, expected a non-empty string/ },
    { name: 'a capability that is not a function', value: { name: 'acme', loadBalancer: {} }, want: /"loadBalancer" is an object, expected a function/ },
  ];
  for (const c of badResults) {
    it(`a factory returning ${c.name} yields ProviderInitError saying what was expected`, async () => {
      const registry = new ProviderRegistry();
      registry.register('acme', () => c.value as CloudProvider);
      await assert.rejects(registry.create('acme', { logger: noopLogger }), (err: unknown) => {
        assert.ok(err instanceof ProviderInitError);
        assert.match(err.message, /^could not init cloud provider "acme": /);
        assert.match(err.message, c.want);
        return true;
      });
    });
  }

  it('has a process-wide default registry', () => {
    assert.ok(defaultRegistry instanceof ProviderRegistry);
  });
});
