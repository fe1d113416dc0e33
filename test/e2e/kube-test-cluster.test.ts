import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_USER, findKubeBinaries, startKubeTestCluster } from '../../src/testing.js';
import type { KubeTestCluster } from '../../src/testing.js';
import { kubectl, kubectlOk } from '../helpers/kubectl.js';

describe('the real test cluster (kube-apiserver and etcd from upstream modules)', () => {
  let cluster: KubeTestCluster;
  before(async () => {
    cluster = await startKubeTestCluster({ users: [{ name: 'nobody' }] });
  });
  after(async () => {
    await cluster.stop();
  });

  it('serves the pinned version and answers the real kubectl as admin', async () => {
    const version = await cluster.request('GET', '/version');
    assert.equal((version.json as { gitVersion?: string }).gitVersion, 'v1.37.2');
    const out = await kubectlOk(cluster.adminKubeconfig, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(out, ADMIN_USER);
    const namespaces = await kubectlOk(cluster.adminKubeconfig, ['get', 'namespaces', '-o', 'name']);
    assert.match(namespaces, /namespace\/kube-system/);
  });

  it('enforces RBAC: a user without grants is forbidden, an unknown token is unauthorized', async () => {
    const forbidden = await cluster.request('GET', '/api/v1/nodes', undefined, { token: cluster.tokenFor('nobody') });
    assert.equal(forbidden.status, 403);
    const unknown = await cluster.request('GET', '/api/v1/nodes', undefined, { token: 'not-a-token' });
    assert.equal(unknown.status, 401);
  });

  it('mints a kubeconfig for a ServiceAccount with TokenRequest; the account acts as itself', async () => {
    await kubectlOk(cluster.adminKubeconfig, ['create', 'serviceaccount', 'probe', '-n', 'kube-system']);
    const kubeconfig = await cluster.serviceAccountKubeconfig('kube-system', 'probe');
    const who = await kubectlOk(kubeconfig, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(who, 'system:serviceaccount:kube-system:probe');
    const denied = await kubectl(kubeconfig, ['get', 'nodes']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /forbidden/);
  });

  it('counts writes per user agent from the audit log', async () => {
    const before = (await cluster.writesByUserAgent()).get('audit-probe') ?? 0;
    for (const name of ['a1', 'a2', 'a3']) {
      const res = await cluster.request('POST', '/api/v1/namespaces', { metadata: { name } }, { userAgent: 'audit-probe' });
      assert.equal(res.status, 201);
    }
    assert.equal((await cluster.request('GET', '/api/v1/namespaces', undefined, { userAgent: 'audit-probe' })).status, 200);
    const writes = (await cluster.auditedWrites()).filter((w) => w.userAgent === 'audit-probe');
    assert.equal(writes.length - before, 3, 'three creates, the GET is not a write');
    assert.deepEqual(writes.map((w) => [w.verb, w.resource, w.name, w.code, w.user]), [
      ['create', 'namespaces', 'a1', 201, ADMIN_USER],
      ['create', 'namespaces', 'a2', 201, ADMIN_USER],
      ['create', 'namespaces', 'a3', 201, ADMIN_USER],
    ]);
  });
});

describe('the test cluster on bad input', () => {
  it('names the missing binaries and how to build them', () => {
    assert.throws(() => findKubeBinaries(''), /OUTRIGGER_KUBE_BIN_DIR is not set; build them with `bash scripts\/kube-build.sh`/);
    assert.throws(() => findKubeBinaries('/nonexistent'), /no executable \/nonexistent\/etcd/);
  });

  it('reports a server that exits during start with the last lines of its log, and leaves no temp dir', async () => {
    const real = findKubeBinaries();
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-fakebin-'));
    try {
      // A kube-apiserver that refuses to start: the harness must say so, with its output.
      await writeFile(join(dir, 'kube-apiserver'), '#!/bin/sh\necho "E1206 bogus: flag provided but not defined" >&2\nexit 1\n');
      await chmod(join(dir, 'kube-apiserver'), 0o755);
      await symlink(real.etcd, join(dir, 'etcd'));
      let message = '';
      await startKubeTestCluster({ binDir: dir }).then(
        async (c) => c.stop(),
        (err: unknown) => {
          message = (err as Error).message;
        },
      );
      assert.match(message, /^kube-apiserver exited before it was ready to answer \/readyz \(exited with code 1\); last lines of (\S+):\nE1206 bogus: flag provided but not defined$/);
      const logDir = /last lines of (\S+)\/kube-apiserver\.log/.exec(message)?.[1] ?? '';
      assert.notEqual(logDir, '');
      assert.equal(existsSync(logDir), false, 'the temp dir is removed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
