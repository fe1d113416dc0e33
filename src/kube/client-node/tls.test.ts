import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../clock.js';
import { SimulatedApiServer } from '../memory/index.js';
import { HttpApiServer } from '../memory/http/index.js';
import { createKubeClient } from './create-kube-client.js';
import type { CreateKubeClientOptions } from './create-kube-client.js';
import { KubeTransportError } from './kube-transport-error.js';

const testdata = new URL('./testdata/', import.meta.url);

async function withTlsFace(fn: (face: HttpApiServer, dir: string) => Promise<void>, token?: string): Promise<void> {
  const [cert, key] = await Promise.all([readFile(new URL('loopback-cert.pem', testdata)), readFile(new URL('loopback-key.pem', testdata))]);
  const sim = new SimulatedApiServer({ clock: new FakeClock() });
  await sim.client().nodes.create({ metadata: { name: 'n1' } });
  const face = await HttpApiServer.start({ server: sim, tls: { cert, key }, ...(token === undefined ? {} : { token }) });
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-tls-'));
  try {
    await fn(face, dir);
  } finally {
    await face.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function listNames(options: CreateKubeClientOptions): Promise<string[]> {
  const client = await createKubeClient({ env: {}, timeoutMs: 5_000, ...options });
  try {
    return (await client.nodes.list()).items.map((n) => n.metadata?.name ?? '');
  } finally {
    client.close();
  }
}

describe('createKubeClient over HTTPS', () => {
  it('verifies the server with the kubeconfig certificate-authority-data', async () => {
    await withTlsFace(async (face, dir) => {
      assert.match(face.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const path = join(dir, 'config');
      await face.writeKubeconfig(path);
      assert.deepEqual(await listNames({ kubeconfig: path }), ['n1']);
    });
  });

  it('accepts an unverifiable server only with insecure-skip-tls-verify', async () => {
    await withTlsFace(async (face, dir) => {
      const path = join(dir, 'insecure');
      await writeFile(path, face.kubeconfig().replace(/ {4}certificate-authority-data: .*\n/, '    insecure-skip-tls-verify: true\n'));
      assert.deepEqual(await listNames({ kubeconfig: path }), ['n1']);
    });
  });

  it('fails TLS verification with one error naming the server and the fix', async () => {
    await withTlsFace(async (face) => {
      const err = await listNames({ master: face.url }).then(() => assert.fail('expected failure'), (e: unknown) => e);
      assert.ok(err instanceof KubeTransportError, String(err));
      assert.equal(err.failure, 'tls');
      assert.ok(err.message.includes(face.url), err.message);
      assert.match(err.message, /TLS verification failed: set the cluster's certificate-authority\(-data\) in --master/);
    });
  });

  it('runs in cluster with the service account token file and CA, as a pod would', async () => {
    await withTlsFace(async (face, dir) => {
      const sa = join(dir, 'var/run/secrets/kubernetes.io/serviceaccount');
      await mkdir(sa, { recursive: true });
      await writeFile(join(sa, 'token'), 'pod-token');
      await copyFile(new URL('loopback-cert.pem', testdata), join(sa, 'ca.crt'));
      const port = new URL(face.url).port;
      const names = await listNames({ env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port }, inClusterPathPrefix: dir });
      assert.deepEqual(names, ['n1']);
      assert.equal(face.requests.at(-1)?.headers['authorization'], 'Bearer pod-token');
    }, 'pod-token');
  });
});
