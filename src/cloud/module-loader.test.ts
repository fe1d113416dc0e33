import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { noopLogger } from '../log/logger.js';
import { loadProviderModule } from './module-loader.js';
import { ProviderRegistry } from './registry.js';
import { ProviderModuleError } from './registry-errors.js';

const testdata = fileURLToPath(new URL('./testdata/', import.meta.url));

describe('loadProviderModule: modules following the convention', () => {
  const cases = [
    { name: 'register(registry) registers what it likes', specifier: './register-module.js', want: ['fixture-register-a', 'fixture-register-b'] },
    { name: 'an async register() is awaited', specifier: './async-register-module.js', want: ['fixture-async'] },
    { name: 'a single "provider" entry is registered', specifier: './provider-module.js', want: ['fixture-provider'] },
    { name: 'every "providers" entry is registered', specifier: './providers-module.js', want: ['fixture-one', 'fixture-two'] },
    { name: 'the default export is searched when no named export matches', specifier: './default-export-module.js', want: ['fixture-default'] },
    { name: 'an absolute path is accepted', specifier: join(testdata, 'provider-module.js'), want: ['fixture-provider'] },
    { name: 'a file: URL is accepted', specifier: pathToFileURL(join(testdata, 'provider-module.js')).href, want: ['fixture-provider'] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const registry = new ProviderRegistry();
      const loaded = await loadProviderModule(c.specifier, registry, { cwd: testdata });
      assert.deepEqual(loaded.registered, c.want);
      assert.deepEqual(registry.names(), c.want);
      assert.equal(loaded.specifier, c.specifier);
      assert.ok(loaded.url.startsWith('file:'));
    });
  }

  it('registers factories that construct working providers', async () => {
    const registry = new ProviderRegistry();
    await loadProviderModule('./provider-module.js', registry, { cwd: testdata });
    const made = (await registry.create('fixture-provider', { contents: 'cfg', logger: noopLogger })) as unknown as { config: unknown };
    assert.equal(made.config, 'cfg');
  });

  it('resolves a package name from cwd', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-provider-pkg-'));
    try {
      const pkg = join(dir, 'node_modules', 'outrigger-fixture-pkg');
      await mkdir(pkg, { recursive: true });
      await writeFile(join(pkg, 'package.json'), JSON.stringify({ name: 'outrigger-fixture-pkg', type: 'module', exports: './main.js' }));
      await writeFile(join(pkg, 'main.js'), "export const provider = { name: 'from-package', factory: () => ({ name: 'from-package' }) };\n");
      const registry = new ProviderRegistry();
      const loaded = await loadProviderModule('outrigger-fixture-pkg', registry, { cwd: dir });
      assert.deepEqual(loaded.registered, ['from-package']);
      assert.equal(loaded.url, pathToFileURL(join(pkg, 'main.js')).href);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('loadProviderModule: failures name the specifier and what was expected', () => {
  const cases: Array<{ name: string; specifier: string; want: RegExp }> = [
    { name: 'a missing file', specifier: './missing-module.js', want: /module not found: no file at .*missing-module\.js/ },
    { name: 'a package that does not exist', specifier: 'outrigger-no-such-provider-package', want: /module not found: no package of that name is resolvable from / },
    { name: 'a bare name that is a local file (hints at ./)', specifier: 'provider-module.js', want: /write "\.\/provider-module\.js"/ },
    { name: 'a module that throws while importing', specifier: './import-throws-module.js', want: /importing file:.* failed: fixture failed at import time/ },
    { name: 'no recognised export', specifier: './no-exports-module.js', want: /no recognised export: it exports "helper", "unrelated"; expected an export "register"/ },
    { name: 'a "provider" export of the wrong shape', specifier: './wrong-shape-module.js', want: /export "provider" \("fixture-wrong"\) has a "factory" that is a string, expected a function/ },
    { name: 'a "providers" entry of the wrong shape', specifier: './wrong-providers-module.js', want: /export "providers\[1\]" has a "name" that is undefined, expected a non-empty string/ },
    { name: 'a "register" export that is not a function', specifier: './register-not-function-module.js', want: /export "register" is an object, expected a function register\(registry\)/ },
    { name: 'a register() that throws', specifier: './throwing-register-module.js', want: /register\(\) failed: ACME_TOKEN is not set/ },
    { name: 'a register() that registers nothing', specifier: './empty-register-module.js', want: /register\(\) registered no cloud provider/ },
    { name: 'both "register" and "provider"', specifier: './ambiguous-module.js', want: /exports "register" and "provider"; export exactly one/ },
    { name: 'an empty specifier', specifier: ' ', want: /specifier is empty/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const registry = new ProviderRegistry();
      await assert.rejects(loadProviderModule(c.specifier, registry, { cwd: testdata }), (err: unknown) => {
        assert.ok(err instanceof ProviderModuleError, String(err));
        assert.equal(err.specifier, c.specifier);
        assert.ok(err.message.startsWith(`cannot load cloud provider module ${JSON.stringify(c.specifier)}: `), err.message);
        assert.match(err.message, c.want);
        return true;
      });
      assert.deepEqual(registry.names(), [], 'nothing is registered');
    });
  }

  it('keeps the thrown error as cause when register() fails', async () => {
    await assert.rejects(loadProviderModule('./throwing-register-module.js', new ProviderRegistry(), { cwd: testdata }), (err: unknown) => {
      assert.equal(((err as Error).cause as Error).message, 'ACME_TOKEN is not set');
      return true;
    });
  });

  it('refuses a provider name that is already registered, registering none of the module', async () => {
    const registry = new ProviderRegistry();
    registry.register('fixture-two', () => ({ name: 'fixture-two' }));
    await assert.rejects(loadProviderModule('./providers-module.js', registry, { cwd: testdata }), /cloud provider "fixture-two" is already registered/);
    assert.deepEqual(registry.names(), ['fixture-two']);
  });
});
