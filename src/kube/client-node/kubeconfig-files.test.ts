import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../clock.js';
import { SimulatedApiServer } from '../memory/index.js';
import { HttpApiServer } from '../memory/http/index.js';
import { createKubeClient } from './create-kube-client.js';
import { KubeConfigError } from './kube-config-error.js';
import { loadKubeConfig } from './load-kube-config.js';

let dir = '';
const testdata = new URL('./testdata/', import.meta.url);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outrigger-kcfiles-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A one-context kubeconfig with the given cluster and user fields (YAML flow maps). */
function kubeconfig(cluster: string, user: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: "https://127.0.0.1:6443"${cluster === '' ? '' : `, ${cluster}`} }
users:
- name: u
  user: { ${user} }
contexts:
- name: ctx
  context: { cluster: c, user: u }
current-context: ctx
`;
}

async function write(name: string, text: string | Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function configError(kubeconfigPath: string): KubeConfigError {
  try {
    loadKubeConfig({ kubeconfig: kubeconfigPath, env: {} });
  } catch (err) {
    assert.ok(err instanceof KubeConfigError, `expected a KubeConfigError, got ${String(err)}`);
    return err;
  }
  return assert.fail('expected a KubeConfigError');
}

describe('kubeconfig files are read bounded', () => {
  // Before: client-node's readFileSync read /dev/zero until the heap ran out.
  it('refuses --kubeconfig=/dev/zero by name', () => {
    assert.match(configError('/dev/zero').message, /^kubeconfig file \/dev\/zero \(from --kubeconfig\) is a character device, not a regular file/);
  });

  it('names the flag that gave the kubeconfig', () => {
    assert.throws(() => loadKubeConfig({ kubeconfig: '/dev/zero', kubeconfigFlag: '--authorization-kubeconfig', env: {} }), /^KubeConfigError: kubeconfig file \/dev\/zero \(from --authorization-kubeconfig\) is a character device/);
  });

  it('refuses a FIFO as --kubeconfig instead of blocking', (t) => {
    const fifo = join(dir, 'kc-fifo');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return t.skip('mkfifo is not available');
    assert.match(configError(fifo).message, /is a named pipe \(FIFO\), not a regular file/);
  });

  it('refuses a kubeconfig whose YAML aliases explode', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    assert.match(configError(await write('bomb.yaml', bomb)).message, /is malformed: .*YAML aliases expand to too many nodes/);
  });

  it('refuses a certificate-authority file that is a device, naming the cluster', async () => {
    const err = configError(await write('ca-dev.yaml', kubeconfig('certificate-authority: /dev/zero', 'token: t')));
    assert.match(err.message, /\(context "ctx"\): cluster "c" certificate-authority: "\/dev\/zero" is a character device/);
  });

  it('refuses client-certificate and client-key files that are devices', async () => {
    assert.match(configError(await write('cert-dev.yaml', kubeconfig('', 'client-certificate: /dev/zero, client-key: /dev/zero'))).message, /user "u" client-certificate: "\/dev\/zero" is a character device/);
  });

  it('refuses client-node\'s "token-file" spelling, which it would read unbounded and client-go ignores', async () => {
    assert.match(configError(await write('token-file.yaml', kubeconfig('', 'token-file: /dev/zero'))).message, /users\[0\] \("u"\): "token-file" is not a kubeconfig field \(client-go reads "tokenFile"\)/);
  });
});

describe('kubeconfig credentials are checked as client-go does', () => {
  // Before: client-node does not know `tokenFile`, so the missing file was ignored and every
  // request went out unauthenticated.
  it('fails on a tokenFile that does not exist, naming the file', async () => {
    const err = configError(await write('token-missing.yaml', kubeconfig('', `tokenFile: ${join(dir, 'no-token')}`)));
    assert.match(err.message, /user "u" tokenFile: ".*no-token" does not exist: the user's bearer token cannot be read$/);
  });

  it('refuses a tokenFile that is a device', async () => {
    assert.match(configError(await write('token-dev.yaml', kubeconfig('', 'tokenFile: /dev/zero'))).message, /tokenFile: "\/dev\/zero" is a character device/);
  });

  // Before: the bytes were passed to TLS and the failure blamed a self-signed server certificate.
  it('says garbage certificate-authority-data cannot be parsed, naming the kubeconfig and the cluster', async () => {
    const path = await write('ca-garbage.yaml', kubeconfig(`certificate-authority-data: ${Buffer.from('not a certificate').toString('base64')}`, 'token: t'));
    const err = configError(path);
    assert.equal(
      err.message,
      `kubeconfig ${path} (context "ctx"): cluster "c": the CA in certificate-authority-data cannot be parsed: it holds no PEM certificate (-----BEGIN CERTIFICATE-----); it must be the base64 of PEM certificates`,
    );
    assert.equal(err.file, path);
    assert.equal(err.context, 'ctx');
  });

  it('says a PEM block that is not a certificate cannot be parsed', async () => {
    const bad = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const path = await write('ca-badpem.yaml', kubeconfig(`certificate-authority-data: ${Buffer.from(bad).toString('base64')}`, 'token: t'));
    assert.match(configError(path).message, /the CA in certificate-authority-data cannot be parsed: no certificate in it can be parsed/);
  });

  it('refuses a client certificate without its key', async () => {
    const cert = await readFile(new URL('loopback-cert.pem', testdata));
    const path = await write('cert-only.yaml', kubeconfig('', `client-certificate-data: ${cert.toString('base64')}`));
    assert.match(configError(path).message, /user "u": client-certificate\(-data\) is set without client-key\(-data\)/);
  });

  it('resolves a relative tokenFile against the kubeconfig folder and sends its token, re-reading it every minute on the clock', async () => {
    const sim = new SimulatedApiServer({ clock: new FakeClock() });
    const face = await HttpApiServer.start({ server: sim });
    const clock = new FakeClock();
    await write('token', 'first-token\n');
    const path = await write('token-ok.yaml', kubeconfig('', 'tokenFile: token').replace('https://127.0.0.1:6443', face.url));
    const client = await createKubeClient({ kubeconfig: path, env: {}, clock, timeoutMs: 5_000 });
    try {
      await client.nodes.list();
      assert.equal(face.requests.at(-1)?.headers['authorization'], 'Bearer first-token');
      await write('token', 'rotated-token');
      await client.nodes.list();
      assert.equal(face.requests.at(-1)?.headers['authorization'], 'Bearer first-token', 'cached within the minute');
      await clock.advance(60_000);
      await client.nodes.list();
      assert.equal(face.requests.at(-1)?.headers['authorization'], 'Bearer rotated-token');
    } finally {
      client.close();
      await face.close();
    }
  });
});
