// The built-in plugin as the kubelet runs it: a real child process per request, sources chosen
// by args, the token exchange against a real loopback HTTP server.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PLUGIN = fileURLToPath(new URL('./credential-provider-plugin.ts', import.meta.url));
const V1 = 'credentialprovider.kubelet.k8s.io/v1';

function runPlugin(args: string[], request: Record<string, unknown>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', PLUGIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(JSON.stringify({ kind: 'CredentialProviderRequest', apiVersion: V1, ...request }));
  });
}

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'outrigger-plugin-'));
  writeFileSync(join(dir, 'token'), 's3cret\n');
  writeFileSync(
    join(dir, 'mapping.json'),
    JSON.stringify({
      cacheDuration: '10m',
      registries: [
        { match: '*.registry.example.com', username: 'robot', passwordFile: join(dir, 'token') },
        { match: 'registry.example.com/team', username: 'team', password: 'p2' },
        { match: 'other.io', username: 'o', password: 'p3' },
      ],
    }),
  );
  writeFileSync(join(dir, 'docker.json'), JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('hub:pw').toString('base64') }, 'ghcr.io': { username: 'gh', password: 'tok' } } }));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ registries: [{ match: 'r.io', username: 'u' }] }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('outrigger-credential-provider --credentials', () => {
  it('answers the entries whose host matches the image registry, password files trimmed', async () => {
    const r = await runPlugin(['--credentials', join(dir, 'mapping.json')], { image: 'eu.registry.example.com/app' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { kind: 'CredentialProviderResponse', apiVersion: V1, cacheKeyType: 'Registry', cacheDuration: '10m0s', auth: { '*.registry.example.com': { username: 'robot', password: 's3cret' } } });
  });
  it('includes path patterns of the same host (the kubelet matches paths itself)', async () => {
    const r = await runPlugin(['--credentials', join(dir, 'mapping.json')], { image: 'registry.example.com/team/app' });
    assert.deepEqual(Object.keys((JSON.parse(r.stdout) as { auth: object }).auth), ['registry.example.com/team']);
  });
  it('an image no entry matches gets an empty answer (the pull goes on anonymously)', async () => {
    const r = await runPlugin(['--credentials', join(dir, 'mapping.json')], { image: 'quay.io/x' });
    assert.equal(r.status, 0);
    assert.equal('auth' in (JSON.parse(r.stdout) as object), false);
  });
  it('a bad file fails the request naming file and field', async () => {
    const r = await runPlugin(['--credentials', join(dir, 'bad.json')], { image: 'r.io/x' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^outrigger-credential-provider: cannot provide credentials for image "r.io\/x": --credentials .*bad.json: registries\[0\]: give exactly one of password and passwordFile\n$/);
  });
});

describe('outrigger-credential-provider --docker-config', () => {
  it('decodes auth, drops the scheme and /v1/ of Docker Hub keys', async () => {
    const hub = await runPlugin(['--docker-config', join(dir, 'docker.json')], { image: 'index.docker.io/library/nginx' });
    assert.deepEqual((JSON.parse(hub.stdout) as { auth: object }).auth, { 'index.docker.io': { username: 'hub', password: 'pw' } });
    const gh = await runPlugin(['--docker-config', join(dir, 'docker.json')], { image: 'ghcr.io/o/r' });
    assert.deepEqual((JSON.parse(gh.stdout) as { auth: object }).auth, { 'ghcr.io': { username: 'gh', password: 'tok' } });
  });
});

describe('outrigger-credential-provider --token-exchange-url (real loopback HTTP server)', () => {
  let server: Server;
  let base = '';
  const seen: { authorization: string | undefined; body: unknown }[] = [];
  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ authorization: req.headers.authorization, body: JSON.parse(body) as unknown });
        if (req.url === '/deny') {
          res.writeHead(403, { 'content-type': 'text/plain' }).end('role not allowed');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ username: 'oauth2', password: `reg-${req.headers.authorization?.slice(-4) ?? ''}`, expiresInSeconds: 600 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends the token as a bearer and the annotations; caches for half the lifetime', async () => {
    const r = await runPlugin(['--token-exchange-url', `${base}/exchange`], { image: 'registry.example.com/app', serviceAccountToken: 'aaaa.bbbb.cccc', serviceAccountAnnotations: { 'example.com/role': 'puller' } });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { kind: 'CredentialProviderResponse', apiVersion: V1, cacheKeyType: 'Registry', cacheDuration: '5m0s', auth: { 'registry.example.com': { username: 'oauth2', password: 'reg-cccc' } } });
    assert.deepEqual(seen.at(-1), { authorization: 'Bearer aaaa.bbbb.cccc', body: { image: 'registry.example.com/app', serviceAccountAnnotations: { 'example.com/role': 'puller' } } });
  });
  it('a refusal from the endpoint fails the request with its status, never the token', async () => {
    const r = await runPlugin(['--token-exchange-url', `${base}/deny`], { image: 'registry.example.com/app', serviceAccountToken: 'TOKEN-XYZ' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /token exchange at http:\/\/127.0.0.1:\d+\/deny answered 403 Forbidden: role not allowed/);
    assert.doesNotMatch(r.stderr, /TOKEN-XYZ/);
  });
  it('without a token (no tokenAttributes in the kubelet config) says what to configure', async () => {
    const r = await runPlugin(['--token-exchange-url', `${base}/exchange`], { image: 'registry.example.com/app' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no service-account token: set tokenAttributes/);
  });
  it('refuses plain http to a non-loopback host', async () => {
    const r = await runPlugin(['--token-exchange-url', 'http://exchange.example.com/x'], { image: 'r.io/a', serviceAccountToken: 't' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /must be https \(plain http only to a loopback address\)/);
  });
  it('an unreachable endpoint fails with the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const r = await runPlugin(['--token-exchange-url', `http://127.0.0.1:${port}/x`], { image: 'r.io/a', serviceAccountToken: 't' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /token exchange at http:\/\/127.0.0.1:\d+\/x failed: fetch failed: .*ECONNREFUSED/);
  });
});

describe('outrigger-credential-provider: no source', () => {
  it('fails every request with one line', async () => {
    const r = await runPlugin([], { image: 'r.io/a' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no source given/);
  });
});
