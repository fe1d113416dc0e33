// The plugin framework through a real child process: bytes on stdin, bytes on stdout, the exit
// status and stderr line — what the kubelet sees.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./testdata/scripted-plugin.ts', import.meta.url));
const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const V1BETA1 = 'credentialprovider.kubelet.k8s.io/v1beta1';

function runPlugin(stdin: string, env: Record<string, string> = {}, args: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { input: stdin, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const request = (fields: Record<string, unknown>): string => JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1, ...fields });

describe('runCredentialProvider: answers', () => {
  it('answers a v1 request with a v1 response holding only the known fields, exit 0', () => {
    const r = runPlugin(request({ image: 'registry.example.com:5000/team/app' }), { SCRIPT_CACHE_MS: '300000' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      JSON.stringify({ kind: 'CredentialProviderResponse', apiVersion: V1, cacheKeyType: 'Registry', cacheDuration: '5m0s', auth: { 'registry.example.com:5000': { username: 'user', password: 'static' } } }),
    );
  });

  it('omits cacheDuration when provide() omits it (the kubelet then uses defaultCacheDuration), writes "0s" for do-not-cache', () => {
    const omitted = JSON.parse(runPlugin(request({ image: 'r.io/a' })).stdout) as Record<string, unknown>;
    assert.equal('cacheDuration' in omitted, false);
    const zero = JSON.parse(runPlugin(request({ image: 'r.io/a' }), { SCRIPT_CACHE_MS: '0' }).stdout) as Record<string, unknown>;
    assert.equal(zero.cacheDuration, '0s');
  });

  for (const cacheKeyType of ['Image', 'Registry', 'Global']) {
    it(`passes cacheKeyType ${cacheKeyType} through`, () => {
      const r = runPlugin(request({ image: 'r.io/a' }), { SCRIPT_CACHE_KEY_TYPE: cacheKeyType });
      assert.equal((JSON.parse(r.stdout) as { cacheKeyType: string }).cacheKeyType, cacheKeyType);
    });
  }

  it('echoes v1beta1 when the plugin accepts it', () => {
    const r = runPlugin(JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1BETA1, image: 'r.io/a' }), { SCRIPT_BETA: '1' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { apiVersion: string }).apiVersion, V1BETA1);
  });

  it('service-account token mode: the token and annotations reach provide()', () => {
    const r = runPlugin(request({ image: 'r.io/a', serviceAccountToken: 'abc.def.ghi', serviceAccountAnnotations: { 'example.com/role': 'puller', 'example.com/tier': 'x' } }));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { auth: unknown }).auth, { 'r.io': { username: 'user', password: 'exchanged:11:example.com/role,example.com/tier' } });
  });

  it('hands the kubelet config args to provide()', () => {
    const r = runPlugin(request({ image: 'r.io/a' }), {}, ['--flag', 'x']);
    assert.equal((JSON.parse(r.stdout) as { auth: Record<string, { username: string }> }).auth['r.io']?.username, '--flag,x');
  });
});

describe('runCredentialProvider: refusals are one stderr line and exit 1', () => {
  const cases: { name: string; stdin: string; env?: Record<string, string>; stderr: RegExp }[] = [
    { name: 'malformed JSON', stdin: '{"kind": ', stderr: /the request is not valid JSON: unexpected end of input/ },
    { name: 'not an object', stdin: '[]', stderr: /the request is not a JSON object/ },
    { name: 'an unknown apiVersion', stdin: JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: 'credentialprovider.kubelet.k8s.io/v2', image: 'r.io/a' }), stderr: /apiVersion "credentialprovider.kubelet.k8s.io\/v2" is not supported \(this plugin accepts credentialprovider.kubelet.k8s.io\/v1\)/ },
    { name: 'v1beta1 when only v1 is accepted', stdin: JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1BETA1, image: 'r.io/a' }), stderr: /v1beta1" is not supported/ },
    { name: 'a wrong kind', stdin: JSON.stringify({ kind: 'CredentialProviderResponse', apiVersion: V1, image: 'r.io/a' }), stderr: /kind "CredentialProviderResponse" is not CredentialProviderRequest/ },
    { name: 'an unknown field', stdin: request({ image: 'r.io/a', imagePullPolicy: 'Always' }), stderr: /unknown field "imagePullPolicy"/ },
    { name: 'a duplicated field', stdin: '{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"a.io/x","image":"b.io/y"}', stderr: /duplicate field "image"/ },
    { name: 'a service-account token in v1beta1', stdin: JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1BETA1, image: 'r.io/a', serviceAccountToken: 't' }), env: { SCRIPT_BETA: '1' }, stderr: /unknown field "serviceAccountToken"/ },
    { name: 'an empty image', stdin: request({ image: '' }), stderr: /field "image" is empty/ },
    { name: 'a non-string annotation', stdin: request({ image: 'r.io/a', serviceAccountAnnotations: { a: 1 } }), stderr: /field serviceAccountAnnotations\["a"\] must be a string/ },
    { name: 'provide() throwing', stdin: request({ image: 'r.io/a' }), env: { SCRIPT: 'throw' }, stderr: /^scripted-plugin: cannot provide credentials for image "r.io\/a": the registry said 403\n$/ },
    { name: 'provide() answering an unknown cacheKeyType', stdin: request({ image: 'r.io/a' }), env: { SCRIPT: 'bad-cache-key-type' }, stderr: /cacheKeyType "Forever" is not one of Image, Registry, Global/ },
    { name: 'provide() hanging past the deadline', stdin: request({ image: 'r.io/a' }), env: { SCRIPT: 'hang', SCRIPT_DEADLINE_MS: '200' }, stderr: /for image "r.io\/a": no answer within the 200 ms deadline \(the kubelet kills a plugin after 60000 ms\)/ },
    { name: 'provide() aborted by the deadline signal', stdin: request({ image: 'r.io/a' }), env: { SCRIPT: 'hang-honouring-signal', SCRIPT_DEADLINE_MS: '200' }, stderr: /no answer within the 200 ms deadline/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = runPlugin(c.stdin, c.env);
      assert.equal(r.status, 1, `stdout: ${r.stdout}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, c.stderr);
      assert.equal(r.stderr.split('\n').length, 2, 'exactly one line');
      assert.match(r.stderr, /^scripted-plugin: /);
    });
  }

  it('never echoes the service-account token in an error', () => {
    const r = runPlugin(request({ image: 'r.io/a', serviceAccountToken: 'SECRET-TOKEN', bogus: 1 }));
    assert.equal(r.status, 1);
    assert.doesNotMatch(r.stderr, /SECRET-TOKEN/);
  });
});
