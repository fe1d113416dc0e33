// `outrigger credential-provider exec|test` driving real plugin processes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runCredentialProviderCommand } from './credential-provider.js';

const FIXTURE = fileURLToPath(new URL('../credential-provider/testdata/scripted-plugin.ts', import.meta.url));
let dir = '';
let bin = '';

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (b: Buffer) => (out += b.toString()));
  stderr.on('data', (b: Buffer) => (err += b.toString()));
  const code = await runCredentialProviderCommand(args, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

function config(providers: string): string {
  const file = join(dir, `config-${Math.abs(providers.length)}-${providers.charCodeAt(10)}.yaml`);
  writeFileSync(file, `apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n${providers}`);
  return file;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-cp-cli-'));
  bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, body] of [
    ['scripted', `exec "${process.execPath}" --import tsx "${FIXTURE}" "$@"`],
    ['broken', 'cat >/dev/null; echo "{not json"'],
  ] as const) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

const SCRIPTED = (env = '') => `  - name: scripted\n    matchImages: ["*.registry.io", "registry.io"]\n    defaultCacheDuration: 10m\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n${env}`;

describe('outrigger credential-provider test', () => {
  it('replays pulls on a virtual clock: which exec, which hit the cache, when it expires', async () => {
    const cfg = config(SCRIPTED('    env: [{name: SCRIPT_CACHE_MS, value: "300000"}]\n'));
    const r = await run(['test', '--config', cfg, '--bin-dir', bin, '--image', 'registry.io/a:1', '--image', 'registry.io/b:1', '--image', 'quay.io/c', '--image', 'registry.io/a:2', '--image', 'registry.io/a:3', '--image', 'a.registry.io/x', '--every', '2m']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '0s pull registry.io/a:1 (asks about registry.io/a)',
        '  scripted: exec: Registry key "registry.io", cached until 5m0s',
        '2m0s pull registry.io/b:1 (asks about registry.io/b)',
        '  scripted: cache hit: Registry key "registry.io", expires at 5m0s',
        '4m0s pull quay.io/c',
        '  scripted: not matched (*.registry.io: host has 2 labels, the pattern 3; registry.io: label "quay" does not match "registry")',
        '6m0s pull registry.io/a:2 (asks about registry.io/a)',
        '  scripted: exec: Registry key "registry.io", cached until 11m0s',
        '8m0s pull registry.io/a:3 (asks about registry.io/a)',
        '  scripted: cache hit: Registry key "registry.io", expires at 11m0s',
        '10m0s pull a.registry.io/x',
        '  scripted: exec: Registry key "a.registry.io", cached until 15m0s',
        '6 pulls: 3 execs, 2 cache hits, 0 errors',
        '',
      ].join('\n'),
    );
  });

  it('service-account mode from a pulls file: two pods at once each exec (each has its own token, as upstream singleflights by token), a third hits the ServiceAccount-keyed cache', async () => {
    const cfg = config(
      SCRIPTED(`    tokenAttributes:\n      serviceAccountTokenAudience: registry.io\n      cacheType: ServiceAccount\n      requireServiceAccount: true\n      requiredServiceAccountAnnotationKeys: [example.com/role]\n`),
    );
    const pulls = join(dir, 'pulls.yaml');
    writeFileSync(
      pulls,
      [
        'serviceAccounts:',
        '  - {namespace: shop, name: puller, annotations: {example.com/role: reader}}',
        '  - {namespace: shop, name: plain}',
        'pulls:',
        '  - {image: registry.io/web:1, at: 0s, pod: {namespace: shop, name: web-1, serviceAccountName: puller}}',
        '  - {image: registry.io/web:1, at: 0s, pod: {namespace: shop, name: web-2, serviceAccountName: puller}}',
        '  - {image: registry.io/web:1, at: 1m, pod: {namespace: shop, name: web-3, serviceAccountName: puller}}',
        '  - {image: registry.io/web:1, at: 2m, pod: {namespace: shop, name: job-1, serviceAccountName: plain}}',
        '',
      ].join('\n'),
    );
    const r = await run(['test', '--config', cfg, '--bin-dir', bin, '--pulls', pulls]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('  '));
    assert.match(r.stdout, /4 pulls: 2 execs, 1 cache hit, 0 errors/);
    assert.deepEqual(lines, [
      '  scripted: exec: Registry key "registry.io", cached until 10m0s',
      '  scripted: exec: Registry key "registry.io", cached until 10m0s',
      '  scripted: cache hit: Registry key "registry.io", expires at 10m0s',
      '  scripted: skipped: required annotation example.com/role not found on service account shop/plain: the plugin is not invoked',
    ]);
  });

  it('a broken plugin: exit 1 and the line the kubelet would log', async () => {
    const cfg = config(`  - name: broken\n    matchImages: ["registry.io"]\n    defaultCacheDuration: 1m\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n`);
    const r = await run(['exec', '--config', cfg, '--bin-dir', bin, '--image', 'registry.io/app:v1']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ {2}broken: error: error reading GVK from response: /m);
  });
});

describe('outrigger credential-provider exec', () => {
  it('prints the answer with passwords redacted', async () => {
    const cfg = config(SCRIPTED());
    const r = await run(['exec', '--config', cfg, '--bin-dir', bin, '--image', 'registry.io/app:v1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ {4}auth registry.io: username "user", password 6 characters$/m);
    assert.doesNotMatch(r.stdout, /static/);
  });

  it('bad flags and configs exit 2 with one line', async () => {
    for (const [args, message] of [
      [['exec'], /--config is required/],
      [['exec', '--config', '/nonexistent.yaml', '--bin-dir', '/tmp', '--image', 'x'], /--config: "\/nonexistent.yaml"/],
      [['frob'], /unknown subcommand "frob"/],
      [['exec', '--bogus'], /Unknown option '--bogus'/],
      [['exec', '--config', config(SCRIPTED()), '--bin-dir', '/nonexistent-dir', '--image', 'x'], /plugin binary directory \/nonexistent-dir did not exist/],
    ] as const) {
      const r = await run([...args]);
      assert.equal(r.code, 2, JSON.stringify(args));
      assert.match(r.stderr, message);
    }
  });
});

describe('outrigger credential-provider test: singleflight', () => {
  it('pulls of one image at the same instant share one exec', async () => {
    const cfg = config(SCRIPTED());
    const pulls = join(dir, 'together.yaml');
    writeFileSync(pulls, 'pulls:\n  - {image: registry.io/web:1}\n  - {image: registry.io/web:2}\n  - {image: registry.io/api:1}\n');
    const r = await run(['test', '--config', cfg, '--bin-dir', bin, '--pulls', pulls]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.split('\n').filter((l) => l.startsWith('  ')), [
      '  scripted: exec: Registry key "registry.io", cached until 10m0s',
      '  scripted: exec (shared with a concurrent pull): Registry key "registry.io", cached until 10m0s',
      '  scripted: exec: Registry key "registry.io", cached until 10m0s',
    ]);
    assert.match(r.stdout, /3 pulls: 2 execs, 0 cache hits, 0 errors/);
  });
});
