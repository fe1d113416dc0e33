// Upstream's own plugin — cloud-provider-aws's ecr-credential-provider, built from the Go module
// proxy — driven by Outrigger's kubelet harness. No AWS: the ECR API is a loopback HTTP server
// (the AWS SDK honours AWS_ENDPOINT_URL_ECR), and the failure paths assert what the kubelet would
// log. The binary is cached under ~/.cache/outrigger like scripts/kube-build.sh's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { FakeClock } from '../../src/kube/clock.js';
import { execPlugin } from '../../src/credential-provider/exec-plugin.js';
import type { CredentialProviderEntry } from '../../src/credential-provider/kubelet-config.js';
import { KubeletCredentialSimulator } from '../../src/credential-provider/kubelet-simulator.js';
import { runCredentialProviderCommand } from '../../src/cli/credential-provider.js';

// v1.36.1's go.mod says `go 1.26.0` and builds with Go 1.26; it speaks credentialprovider v1 only.
const ECR_VERSION = 'v1.36.1';
const ECR_IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app';

/** Builds (once) and returns the plugin directory, or why it cannot be built. */
function ecrPluginDir(): { dir: string } | { skip: string } {
  const cacheRoot = process.env.OUTRIGGER_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'outrigger');
  const dir = join(cacheRoot, `ecr-credential-provider-${ECR_VERSION}`);
  if (existsSync(join(dir, 'ecr-credential-provider'))) return { dir };
  const go = process.env.OUTRIGGER_GO ?? (spawnSync('go', ['version']).status === 0 ? 'go' : '/usr/local/go/bin/go');
  if (spawnSync(go, ['version']).status !== 0) return { skip: `Go is not installed (looked for ${go}); ecr-credential-provider cannot be built` };
  mkdirSync(cacheRoot, { recursive: true });
  const staging = mkdtempSync(join(cacheRoot, '.ecr-build-'));
  const r = spawnSync(go, ['install', '-trimpath', '-ldflags', '-s -w', `k8s.io/cloud-provider-aws/cmd/ecr-credential-provider@${ECR_VERSION}`], {
    env: { ...process.env, GOBIN: staging, GOWORK: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' },
    encoding: 'utf8',
    timeout: 1_200_000,
  });
  if (r.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    return { skip: `building ecr-credential-provider ${ECR_VERSION} failed (module proxy unreachable?): ${r.stderr.split('\n').slice(-5).join(' ')}` };
  }
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another build won the race
  }
  return { dir };
}

const built = ecrPluginDir();
const skip = 'skip' in built ? built.skip : undefined;
const binDir = 'dir' in built ? built.dir : '';

let server: Server;
let endpoint = '';
const targets: string[] = [];
let home = '';

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'outrigger-ecr-home-'));
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      targets.push(String(req.headers['x-amz-target']));
      // ECR's JSON protocol: a base64 "user:password" token and its expiry in epoch seconds.
      // Real time: the plugin computes its cache duration from the real clock.
      const expiresAt = Math.floor(Date.now() / 1000) + 12 * 3600;
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ authorizationData: [{ authorizationToken: Buffer.from('AWS:ecr-password').toString('base64'), expiresAt, proxyEndpoint: `https://${ECR_IMAGE.split('/')[0] ?? ''}` }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(home, { recursive: true, force: true });
});

const entry = (over: Partial<CredentialProviderEntry> = {}): CredentialProviderEntry => ({
  name: 'ecr-credential-provider',
  matchImages: ['*.dkr.ecr.*.amazonaws.com', 'registry.example.com'],
  defaultCacheDurationMs: 12 * 3_600_000,
  apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
  args: [],
  env: [],
  ...over,
});
// A clean environment: no AWS credentials or config from the machine running the tests.
const environ = (): Record<string, string> => ({ PATH: process.env.PATH ?? '', HOME: home, AWS_EC2_METADATA_DISABLED: 'true' });
const fakeAws = [
  { name: 'AWS_ACCESS_KEY_ID', value: 'AKIDOUTRIGGERTEST' },
  { name: 'AWS_SECRET_ACCESS_KEY', value: 'not-a-secret' },
  { name: 'AWS_ENDPOINT_URL_ECR', value: '' },
];

describe(`cloud-provider-aws ecr-credential-provider ${ECR_VERSION} under Outrigger's kubelet harness`, { skip }, () => {
  it('answers v1 with a Registry-keyed credential cached for half the token lifetime; the next pull of the registry hits the cache', async () => {
    const env = fakeAws.map((e) => (e.name === 'AWS_ENDPOINT_URL_ECR' ? { ...e, value: endpoint } : e));
    const clock = new FakeClock();
    const sim = new KubeletCredentialSimulator({ providers: [entry({ env })], clock, run: (p, req) => execPlugin(p, req, { binDir, environ: environ() }) });
    const first = (await sim.pull(`${ECR_IMAGE}:v1`)).plugins[0];
    assert.equal(first?.outcome, 'exec', JSON.stringify(first));
    if (first?.outcome !== 'exec') return;
    assert.equal(first.cacheKeyType, 'Registry');
    assert.equal(first.cacheBaseKey, '123456789012.dkr.ecr.eu-west-1.amazonaws.com');
    assert.deepEqual(first.auth, { '123456789012.dkr.ecr.eu-west-1.amazonaws.com': { username: 'AWS', password: 'ecr-password' } });
    // Half of 12 h, give or take the seconds between the server's clock read and the plugin's.
    const cachedMs = (first.expiresAt ?? 0) - clock.now();
    assert.ok(cachedMs > 6 * 3_600_000 - 60_000 && cachedMs <= 6 * 3_600_000, `cached for ${cachedMs} ms`);
    assert.deepEqual(targets, ['AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken']);
    await clock.advance(3_600_000);
    assert.equal((await sim.pull('123456789012.dkr.ecr.eu-west-1.amazonaws.com/other:v2')).plugins[0]?.outcome, 'cache-hit');
    assert.equal(targets.length, 1, 'the cache hit did not exec the plugin');
  });

  it('without AWS credentials: exit status 1, and the kubelet logs the plugin, the image and the SDK error', async () => {
    const r = await execPlugin(entry(), { apiVersion: 'credentialprovider.kubelet.k8s.io/v1', image: ECR_IMAGE }, { binDir, environ: environ() }).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e as { kubeletMessage: string },
    );
    assert.match(r.kubeletMessage, /^error execing credential provider plugin ecr-credential-provider for image 123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/team\/app: exit status 1: /);
    assert.match(r.kubeletMessage, /Error running credential provider plugin: operation error ECR: GetAuthorizationToken, get identity: get credentials/);
  });

  it('asked in v1beta1 it refuses: the kubelet logs its "not supported" line', async () => {
    const r = await execPlugin(entry({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1' }), { apiVersion: 'credentialprovider.kubelet.k8s.io/v1beta1', image: ECR_IMAGE }, { binDir, environ: environ() }).then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e as { kubeletMessage: string },
    );
    assert.match(r.kubeletMessage, /exit status 1: .*group version credentialprovider\.kubelet\.k8s\.io\/v1beta1 is not supported/);
  });

  it('`outrigger credential-provider test` replays pulls through it from a real kubelet config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'outrigger-ecr-cfg-'));
    try {
      const config = join(dir, 'credential-provider-config.yaml');
      writeFileSync(
        config,
        [
          'apiVersion: kubelet.config.k8s.io/v1',
          'kind: CredentialProviderConfig',
          'providers:',
          '  - name: ecr-credential-provider',
          '    matchImages: ["*.dkr.ecr.*.amazonaws.com"]',
          '    defaultCacheDuration: 12h',
          '    apiVersion: credentialprovider.kubelet.k8s.io/v1',
          '    env:',
          `      - {name: HOME, value: ${JSON.stringify(home)}}`,
          '      - {name: AWS_EC2_METADATA_DISABLED, value: "true"}',
          ...fakeAws.map((e) => `      - {name: ${e.name}, value: ${JSON.stringify(e.name === 'AWS_ENDPOINT_URL_ECR' ? endpoint : e.value)}}`),
          '',
        ].join('\n'),
      );
      const stdout = new PassThrough();
      let text = '';
      stdout.on('data', (b: Buffer) => (text += b.toString()));
      const code = await runCredentialProviderCommand(['test', '--config', config, '--bin-dir', binDir, '--image', `${ECR_IMAGE}:v1`, '--image', `${ECR_IMAGE}:v2`, '--image', 'quay.io/team/app:v1', '--every', '1h'], { stdout, stderr: new PassThrough() });
      assert.equal(code, 0, text);
      assert.match(text, /^0s pull .*\n {2}ecr-credential-provider: exec: Registry key "123456789012\.dkr\.ecr\.eu-west-1\.amazonaws\.com", cached until (5h59m\d+s|6h0m0s)\n/);
      assert.match(text, /^1h0m0s pull .*:v2 .*\n {2}ecr-credential-provider: cache hit: Registry key/m);
      assert.match(text, /^ {2}ecr-credential-provider: not matched \(\*\.dkr\.ecr\.\*\.amazonaws\.com: host has 2 labels, the pattern 6\)$/m);
      assert.match(text, /3 pulls: 1 exec, 1 cache hit, 0 errors/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
