// Real plugin processes that misbehave, run as the kubelet runs them: the outcome and the message
// the kubelet would log, naming plugin, image and cause.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execPlugin, PluginExecError } from './exec-plugin.js';
import type { CredentialProviderEntry } from './kubelet-config.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const FIXTURE = fileURLToPath(new URL('./testdata/scripted-plugin.ts', import.meta.url));
let binDir = '';

const SCRIPTS: Record<string, string> = {
  garbage: 'cat >/dev/null; echo "hello, kubelet"',
  'exit-3': 'cat >/dev/null; echo "no credentials for you" >&2; exit 3',
  hang: 'exec sleep 1000',
  'unknown-field': `cat >/dev/null; echo '{"kind":"CredentialProviderResponse","apiVersion":"${V1}","cacheKeyType":"Registry","token":"x"}'`,
  'wrong-version': `cat >/dev/null; echo '{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1beta1","cacheKeyType":"Registry"}'`,
  'echo-env-args': `cat >/dev/null; printf '{"kind":"CredentialProviderResponse","apiVersion":"${V1}","cacheKeyType":"Global","auth":{"r.io":{"username":"%s","password":"%s"}}}' "$PLUGIN_USER" "$*"`,
  'no-stdin-read': `echo '{"kind":"CredentialProviderResponse","apiVersion":"${V1}","cacheKeyType":"Global"}'`,
  'not-executable': '',
  framework: `exec "${process.execPath}" --import tsx "${FIXTURE}" "$@"`,
};

before(() => {
  binDir = mkdtempSync(join(tmpdir(), 'outrigger-plugins-'));
  for (const [name, body] of Object.entries(SCRIPTS)) {
    writeFileSync(join(binDir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(binDir, name), name === 'not-executable' ? 0o644 : 0o755);
  }
});
after(() => rmSync(binDir, { recursive: true, force: true }));

const entry = (name: string, over: Partial<CredentialProviderEntry> = {}): CredentialProviderEntry => ({ name, matchImages: ['r.io'], defaultCacheDurationMs: 0, apiVersion: V1, args: [], env: [], ...over });
const request = { apiVersion: V1, image: 'r.io/app' } as const;

describe('execPlugin: what the kubelet logs for a bad plugin', () => {
  const cases: { name: string; timeoutMs?: number; kubelet: RegExp; detail?: RegExp }[] = [
    { name: 'garbage', kubelet: /^error reading GVK from response: /, detail: /stdout is not JSON/ },
    { name: 'exit-3', kubelet: /^error execing credential provider plugin exit-3 for image r.io\/app: exit status 3: no credentials for you\n$/ },
    { name: 'hang', timeoutMs: 300, kubelet: /^error execing credential provider plugin hang for image r.io\/app: context deadline exceeded: $/ },
    { name: 'unknown-field', kubelet: /^error decoding credential provider plugin response from stdout$/, detail: /unknown field "token"/ },
    { name: 'wrong-version', kubelet: /did not match expected apiVersion:credentialprovider.kubelet.k8s.io\/v1, actual apiVersion:credentialprovider.kubelet.k8s.io\/v1beta1/ },
    { name: 'not-executable', kubelet: /^error execing credential provider plugin not-executable for image r.io\/app: fork\/exec .*not-executable: .*EACCES/ },
    { name: 'missing', kubelet: /^error execing credential provider plugin missing for image r.io\/app: fork\/exec .*missing: .*ENOENT/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      await assert.rejects(
        execPlugin(entry(c.name), request, { binDir, ...(c.timeoutMs === undefined ? {} : { timeoutMs: c.timeoutMs }) }),
        (e: unknown) => {
          assert.ok(e instanceof PluginExecError);
          assert.match(e.kubeletMessage, c.kubelet);
          if (c.detail !== undefined) assert.match(e.detail, c.detail);
          assert.equal(e.plugin, c.name);
          assert.match(e.message, new RegExp(`^plugin ${c.name}, image r.io/app: `));
          return true;
        },
      );
    });
  }
});

describe('execPlugin: as the kubelet runs a plugin', () => {
  it('passes args and overlays env on the host environment', async () => {
    const r = await execPlugin(entry('echo-env-args', { args: ['--a', 'b'], env: [{ name: 'PLUGIN_USER', value: 'from-config' }] }), request, { binDir, environ: { PATH: process.env.PATH, PLUGIN_USER: 'from-host' } });
    assert.deepEqual(r.auth, { 'r.io': { username: 'from-config', password: '--a b' } });
  });

  it('a plugin that never reads stdin still answers', async () => {
    assert.equal((await execPlugin(entry('no-stdin-read'), request, { binDir })).cacheKeyType, 'Global');
  });

  it('a plugin written with runCredentialProvider passes', async () => {
    const r = await execPlugin(entry('framework', { env: [{ name: 'SCRIPT_CACHE_MS', value: '120000' }] }), request, { binDir });
    assert.deepEqual(r, { apiVersion: V1, cacheKeyType: 'Registry', cacheDurationMs: 120_000, auth: { 'r.io': { username: 'user', password: 'static' } } });
  });

  it('a framework plugin asked in v1beta1 when it accepts only v1 fails with its own stderr line', async () => {
    await assert.rejects(execPlugin(entry('framework', { apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' }), { ...request, apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' }, { binDir }), (e: unknown) => {
      assert.ok(e instanceof PluginExecError);
      assert.match(e.kubeletMessage, /exit status 1: scripted-plugin: cannot provide credentials: apiVersion "credentialprovider.kubelet.k8s.io\/v1beta1" is not supported/);
      return true;
    });
  });
});
