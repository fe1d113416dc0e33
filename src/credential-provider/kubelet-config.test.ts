import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCredentialProviderConfig } from './kubelet-config.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-cpc-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = 'apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n';
const provider = (extra = '', base = { name: 'p', match: '["*.registry.io"]', dur: '10m', api: 'credentialprovider.kubelet.k8s.io/v1' }): string =>
  `  - name: ${base.name}\n    matchImages: ${base.match}\n    defaultCacheDuration: ${base.dur}\n    apiVersion: ${base.api}\n${extra}`;
const tokenAttrs = (lines: string): string => `    tokenAttributes:\n${lines.split('\n').map((l) => `      ${l}`).join('\n')}\n`;

let n = 0;
async function read(text: string): Promise<unknown> {
  const file = join(dir, `c${n++}.yaml`);
  writeFileSync(file, text);
  return readCredentialProviderConfig(file);
}

describe('readCredentialProviderConfig', () => {
  it('reads a valid config with defaults filled', async () => {
    assert.deepEqual(await read(HEAD + provider('    args: [--x]\n    env: [{name: A, value: b}]\n')), [
      { name: 'p', matchImages: ['*.registry.io'], defaultCacheDurationMs: 600_000, apiVersion: 'credentialprovider.kubelet.k8s.io/v1', args: ['--x'], env: [{ name: 'A', value: 'b' }] },
    ]);
  });

  it('reads a directory of files in name order and refuses a provider name seen twice', async () => {
    const d = join(dir, 'confd');
    mkdirSync(d);
    writeFileSync(join(d, '20-b.yaml'), HEAD + provider('', { name: 'b', match: '[b.io]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1' }));
    writeFileSync(join(d, '10-a.json'), JSON.stringify({ apiVersion: 'kubelet.config.k8s.io/v1', kind: 'CredentialProviderConfig', providers: [{ name: 'a', matchImages: ['a.io'], defaultCacheDuration: '1m', apiVersion: 'credentialprovider.kubelet.k8s.io/v1' }] }));
    writeFileSync(join(d, 'notes.txt'), 'ignored');
    assert.deepEqual(((await readCredentialProviderConfig(d)) as { name: string }[]).map((p) => p.name), ['a', 'b']);
    writeFileSync(join(d, '30-a.yaml'), HEAD + provider('', { name: 'a', match: '[c.io]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1' }));
    await assert.rejects(readCredentialProviderConfig(d), /30-a.yaml:\d+:\d+: providers\[0\].name: duplicate provider name "a"/);
  });

  // Ported from the kubelet's config_test.go validation cases.
  const bad: readonly (readonly [string, string, RegExp])[] = [
    ['no providers', HEAD.replace('providers:\n', 'providers: []\n'), /providers: at least 1 item in plugins is required/],
    ['name with a slash', HEAD + provider('', { name: 'foo/bar', match: '[r.io]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1' }), /providers\[0\].name: provider name cannot contain '\/'/],
    ['name with a space', HEAD + provider('', { name: '"foo bar"', match: '[r.io]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1' }), /provider name cannot contain spaces/],
    ['name ..', HEAD + provider('', { name: '..', match: '[r.io]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1' }), /provider name cannot be '..'/],
    ['duplicate names', HEAD + provider() + provider(), /providers\[1\].name: duplicate provider name "p"/],
    ['no matchImages', HEAD + provider('', { name: 'p', match: '[]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1' }), /at least 1 item in matchImages is required/],
    ['an unparsable matchImage', HEAD + provider('', { name: 'p', match: '["r.io:abc"]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1' }), /matchImages\[0\]: match image is invalid: invalid port ":abc" after host/],
    ['no defaultCacheDuration', HEAD + '  - name: p\n    matchImages: [r.io]\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n', /defaultCacheDuration: required/],
    ['a negative defaultCacheDuration', HEAD + provider('', { name: 'p', match: '[r.io]', dur: '-1m', api: 'credentialprovider.kubelet.k8s.io/v1' }), /defaultCacheDuration must be greater than or equal to 0/],
    ['an unknown apiVersion', HEAD + provider('', { name: 'p', match: '[r.io]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v2' }), /apiVersion: unsupported value "credentialprovider.kubelet.k8s.io\/v2"/],
    ['an unknown field', HEAD + provider('    timeout: 5s\n'), /providers\[0\]/],
    ['tokenAttributes without audience', HEAD + provider(tokenAttrs('cacheType: Token\nrequireServiceAccount: true')), /tokenAttributes.serviceAccountTokenAudience: required/],
    ['tokenAttributes without requireServiceAccount', HEAD + provider(tokenAttrs('serviceAccountTokenAudience: a\ncacheType: Token')), /tokenAttributes.requireServiceAccount: required/],
    ['tokenAttributes on v1beta1', HEAD + provider(tokenAttrs('serviceAccountTokenAudience: a\ncacheType: Token\nrequireServiceAccount: true'), { name: 'p', match: '[r.io]', dur: '1m', api: 'credentialprovider.kubelet.k8s.io/v1beta1' }), /tokenAttributes is only supported for credentialprovider.kubelet.k8s.io\/v1 API version/],
    ['required keys with requireServiceAccount false', HEAD + provider(tokenAttrs('serviceAccountTokenAudience: a\ncacheType: Token\nrequireServiceAccount: false\nrequiredServiceAccountAnnotationKeys: [a.io/k]')), /requireServiceAccount cannot be false when requiredServiceAccountAnnotationKeys is set/],
    ['a key both required and optional', HEAD + provider(tokenAttrs('serviceAccountTokenAudience: a\ncacheType: Token\nrequireServiceAccount: true\nrequiredServiceAccountAnnotationKeys: [a.io/k]\noptionalServiceAccountAnnotationKeys: [a.io/k]')), /annotation keys cannot be both required and optional: a.io\/k/],
    ['an invalid annotation key', HEAD + provider(tokenAttrs('serviceAccountTokenAudience: a\ncacheType: Token\nrequireServiceAccount: true\noptionalServiceAccountAnnotationKeys: ["-bad"]')), /optionalServiceAccountAnnotationKeys\[0\]: name part must be/],
    ['no cacheType', HEAD + provider(tokenAttrs('serviceAccountTokenAudience: a\nrequireServiceAccount: true')), /cacheType is required to be set when tokenAttributes is specified/],
    ['an unknown cacheType', HEAD + provider(tokenAttrs('serviceAccountTokenAudience: a\ncacheType: Pod\nrequireServiceAccount: true')), /cacheType: unsupported value "Pod": supported values: ServiceAccount, Token/],
    ['a wrong kind', 'apiVersion: kubelet.config.k8s.io/v1\nkind: KubeletConfiguration\nproviders: []\n', /kind/],
  ];
  for (const [name, text, message] of bad) {
    it(`refuses ${name}, naming file, line and field`, async () => {
      await assert.rejects(read(text), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.match(e.message, /c\d+\.yaml:\d+:\d+: /);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});
