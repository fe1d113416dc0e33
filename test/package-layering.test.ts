// `import 'outrigger'` loads the provider contract and the controller machinery only: not the
// manager process, not Outrigger's providers, not their dependencies (yargs, zod, prom-client,
// node:dgram). Measured on the built package (`npm install` builds it).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/ccm-process.js';

function loadedBy(specifier: string): string[] {
  const r = spawnSync(process.execPath, ['--import', './test/helpers/module-trace-register.mjs', '--input-type=module', '-e', `await import(${JSON.stringify(specifier)})`], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((l) => l.startsWith('LOAD ')).map((l) => l.slice('LOAD '.length));
}

describe('package layering', () => {
  it("import 'outrigger' loads neither the manager nor the providers nor their dependencies", () => {
    assert.ok(existsSync(join(REPO_ROOT, 'dist/index.js')), 'dist/ is missing: run `npm install` (it builds) first');
    const loaded = loadedBy('outrigger');
    const unwanted = loaded.filter((u) => /\/dist\/(manager|providers|simulation|cli)\/|node_modules\/(yargs|zod|prom-client|yaml)\/|^node:dgram$/.test(u));
    assert.deepEqual(unwanted, []);
    // Before this split the root loaded 274 modules (120 of Outrigger's own); keep it small.
    assert.ok(loaded.length < 100, `import 'outrigger' loads ${loaded.length} modules`);
  });

  it("import 'outrigger/manager' still loads the manager, and no built-in provider", () => {
    const loaded = loadedBy('outrigger/manager');
    assert.ok(loaded.some((u) => u.endsWith('/dist/manager/run.js')));
    assert.deepEqual(loaded.filter((u) => /\/dist\/providers\//.test(u)), []);
  });

  it('the manager and the simulator load the config parsers (yaml, zod) only when a file is to be parsed', () => {
    // Module sources and schemas live in every process's heap: zod alone is ~3 MB of it, and a
    // manager without --leader-migration-config, a simulation of a generated cluster or with the
    // fake provider never parse a file. (Each of those paths loads them on use; tests of the file
    // formats cover that they still work.)
    for (const specifier of ['outrigger/manager', './dist/cli/simulate.js']) {
      const loaded = loadedBy(specifier);
      assert.deepEqual(
        loaded.filter((u) => /node_modules\/(zod|yaml)\/|\/dist\/(simulation\/scenario\/scenario-schema|providers\/local\/local-provider)\.js$/.test(u)),
        [],
        specifier,
      );
    }
  });
});

describe('dependency direction', () => {
  it('providers and the contract import no controller, manager, simulator or CLI module', async () => {
    const { readdirSync, readFileSync, statSync } = await import('node:fs');
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((e) => {
        const p = join(dir, e);
        return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
      });
    const offenders: string[] = [];
    for (const root of ['src/cloud', 'src/providers']) {
      for (const file of walk(join(REPO_ROOT, root))) {
        for (const m of readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)) {
          if (/\/(controllers|manager|simulation|cli)\//.test(m[1] ?? '')) offenders.push(`${file.slice(REPO_ROOT.length)}: ${m[1] ?? ''}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
  });
});
