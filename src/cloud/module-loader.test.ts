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

describe('loadProviderModule: package folders and TypeScript files', () => {
  const folderCases = [
    { name: 'a package folder resolves through its exports', manifest: { name: 'p', type: 'module', exports: { '.': { import: './lib/entry.js' } } }, file: 'lib/entry.js' },
    { name: 'a package folder resolves through its main', manifest: { name: 'p', type: 'module', main: 'main.js' }, file: 'main.js' },
    { name: 'a folder without package.json resolves to index.js', manifest: undefined, file: 'index.js' },
  ];
  for (const c of folderCases) {
    it(c.name, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'outrigger-provider-dir-'));
      try {
        if (c.manifest !== undefined) await writeFile(join(dir, 'package.json'), JSON.stringify(c.manifest));
        await mkdir(join(dir, 'lib'), { recursive: true });
        const source = "export const provider = { name: 'from-folder', factory: () => ({ name: 'from-folder' }) };\n";
        // index.js in a folder without package.json is CommonJS-typed by default; keep it ESM-safe.
        await writeFile(join(dir, c.file), c.manifest === undefined ? source.replace('export const provider =', 'exports.provider =') : source);
        const registry = new ProviderRegistry();
        const loaded = await loadProviderModule(dir, registry);
        assert.deepEqual(loaded.registered, ['from-folder']);
        assert.equal(loaded.url, pathToFileURL(join(dir, c.file)).href);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('a package folder whose entry is not built says which file is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-provider-dir-'));
    try {
      await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'p', type: 'module', exports: './dist/index.js' }));
      await assert.rejects(loadProviderModule(dir, new ProviderRegistry()), (err: unknown) => err instanceof ProviderModuleError && err.message.includes(`names ./dist/index.js, and there is no file at ${join(dir, 'dist/index.js')} (build it first?)`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a .ts provider module loads under plain Node through tsx (compiled loader, no --import tsx)', async () => {
    const { spawnSync } = await import('node:child_process');
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const loader = join(root, 'dist/cloud/module-loader.js');
    const registryJs = join(root, 'dist/cloud/registry.js');
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-provider-ts-'));
    try {
      await writeFile(join(dir, 'acme.ts'), "const name: string = 'acme-ts';\nexport const provider = { name, factory: () => ({ name }) };\n");
      const script = `const { loadProviderModule } = await import(${JSON.stringify(pathToFileURL(loader).href)});
const { ProviderRegistry } = await import(${JSON.stringify(pathToFileURL(registryJs).href)});
const loaded = await loadProviderModule(${JSON.stringify(join(dir, 'acme.ts'))}, new ProviderRegistry(), { cwd: ${JSON.stringify(root)} });
console.log(loaded.registered.join(','));`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, cwd: root });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'acme-ts');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('loadProviderModule: failures name the specifier and what was expected', () => {
  const cases: Array<{ name: string; specifier: string; want: RegExp }> = [
    { name: 'a missing file', specifier: './missing-module.js', want: /module not found: no file or package folder at .*missing-module\.js/ },
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
