import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { kubeconfigFor } from '../memory/http/index.js';
import { KubeConfigError } from './kube-config-error.js';
import { loadKubeConfig } from './load-kube-config.js';
import type { KubeConfigSource } from './load-kube-config.js';

let dir = '';

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outrigger-loadkc-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function configError(source: KubeConfigSource): KubeConfigError {
  try {
    loadKubeConfig(source);
  } catch (err) {
    if (err instanceof KubeConfigError) return err;
    throw err;
  }
  assert.fail('expected a KubeConfigError');
}

const twoContexts = `
apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: { server: "https://a.example:6443" }
- name: b
  cluster: { server: "https://b.example:6443" }
users:
- name: u
  user: { token: t }
contexts:
- name: ctx-a
  context: { cluster: a, user: u }
- name: ctx-b
  context: { cluster: b, user: u }
current-context: ctx-a
`;

describe('loadKubeConfig: sources', () => {
  it('uses --kubeconfig and its current-context', async () => {
    const path = await file('two.yaml', twoContexts);
    const loaded = loadKubeConfig({ kubeconfig: path, env: {} });
    assert.equal(loaded.server.toString(), 'https://a.example:6443/');
    assert.equal(loaded.contextName, 'ctx-a');
    assert.equal(loaded.source, `kubeconfig ${path} (context "ctx-a")`);
  });

  it('switches to --context', async () => {
    const path = await file('two-ctx.yaml', twoContexts);
    assert.equal(loadKubeConfig({ kubeconfig: path, context: 'ctx-b', env: {} }).server.host, 'b.example:6443');
  });

  it('lets --master override the kubeconfig server (client-go ConfigOverrides)', async () => {
    const path = await file('two-master.yaml', twoContexts);
    const loaded = loadKubeConfig({ kubeconfig: path, master: 'https://override.example:443', env: {} });
    assert.equal(loaded.server.hostname, 'override.example');
    assert.equal(loaded.kubeConfig.getCurrentUser()?.token, 't');
  });

  it('uses --master alone when no kubeconfig is given', () => {
    const loaded = loadKubeConfig({ master: 'http://127.0.0.1:8001', env: { KUBECONFIG: '/nonexistent' } });
    assert.equal(loaded.server.toString(), 'http://127.0.0.1:8001/');
    assert.match(loaded.source, /^--master http:\/\/127\.0\.0\.1:8001/);
  });

  it('merges $KUBECONFIG files, the first file winning', async () => {
    const first = await file('first.yaml', kubeconfigFor('http://127.0.0.1:1111', { name: 'one' }));
    const second = await file('second.yaml', kubeconfigFor('http://127.0.0.1:2222', { name: 'two' }));
    const loaded = loadKubeConfig({ env: { KUBECONFIG: [first, join(dir, 'missing.yaml'), second].join(delimiter) } });
    assert.equal(loaded.server.port, '1111');
    assert.deepEqual(loaded.kubeConfig.getContexts().map((c) => c.name).sort(), ['one', 'two']);
    assert.equal(loadKubeConfig({ context: 'two', env: { KUBECONFIG: [first, second].join(delimiter) } }).server.port, '2222');
  });

  it('prefers the in-cluster service account when no flag is given, with its token file as credential', async () => {
    const prefix = join(dir, 'sa');
    await mkdir(join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount'), { recursive: true });
    await writeFile(join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount/token'), 'sa-token');
    const loaded = loadKubeConfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443', KUBECONFIG: '/ignored' }, inClusterPathPrefix: prefix });
    assert.equal(loaded.server.toString(), 'https://[fd00::1]/');
    assert.equal(loaded.source, 'in-cluster service account (context "inClusterContext")');
  });

  it('falls back to ~/.kube/config', async () => {
    const home = join(dir, 'home');
    await mkdir(join(home, '.kube'), { recursive: true });
    await writeFile(join(home, '.kube', 'config'), kubeconfigFor('http://127.0.0.1:3333'));
    assert.equal(loadKubeConfig({ env: { HOME: home } }).server.port, '3333');
  });
});

describe('loadKubeConfig: bad input', () => {
  it('never falls back to localhost:8080 when nothing is configured', () => {
    const err = configError({ env: { HOME: join(dir, 'no-home') } });
    assert.match(err.message, /no Kubernetes API server configured: pass --kubeconfig=<file> or --master=<url>, set \$KUBECONFIG/);
    assert.match(err.message, /never falls back to http:\/\/localhost:8080/);
  });

  const cases: ReadonlyArray<{ name: string; text?: string; source?: (path: string) => KubeConfigSource; message: RegExp; context?: string }> = [
    { name: 'a missing --kubeconfig file', source: () => ({ kubeconfig: join(dir, 'nope.yaml') }), message: /kubeconfig file .*nope\.yaml \(from --kubeconfig\) does not exist/ },
    { name: 'malformed YAML', text: 'clusters: [\n  - {', message: /is malformed: .*; check it with `kubectl config view --kubeconfig/ },
    { name: 'an empty file', text: '', message: /is malformed/ },
    { name: 'a cluster without server', text: 'clusters:\n- name: a\n  cluster: {}\nusers: []\ncontexts: []\n', message: /is malformed: .*server/ },
    { name: 'an unknown --context', text: twoContexts, source: (p) => ({ kubeconfig: p, context: 'prod' }), message: /context "prod" does not exist; known contexts: ctx-a, ctx-b/, context: 'prod' },
    {
      name: 'no current-context',
      text: twoContexts.replace('current-context: ctx-a', ''),
      message: /no current-context; pass --context or set one with `kubectl config use-context`/,
    },
    {
      name: 'a context naming an undefined cluster',
      text: twoContexts.replace('context: { cluster: a, user: u }', 'context: { cluster: zz, user: u }'),
      message: /\(context "ctx-a"\): the context's cluster is not defined/,
      context: 'ctx-a',
    },
    { name: 'a server that is not a URL', text: twoContexts.replace('https://a.example:6443', 'a.example 6443'), message: /server "a\.example 6443" is not a URL/ },
  ];
  for (const c of cases) {
    it(`names the file and what to do for ${c.name}`, async () => {
      const path = c.text === undefined ? '' : await file(`bad-${c.name.replace(/\W+/g, '-')}.yaml`, c.text);
      const err = configError({ env: {}, ...(c.source === undefined ? { kubeconfig: path } : c.source(path)) });
      assert.match(err.message, c.message);
      if (path !== '') assert.equal(err.file, path);
      if (c.context !== undefined) assert.equal(err.context, c.context);
    });
  }

  it('refuses a --master that is not http(s)', () => {
    assert.match(configError({ master: 'ftp://x', env: {} }).message, /--master: server ftp:\/\/x must use http or https/);
  });

  it('refuses in-cluster configuration without a service account token', () => {
    const err = configError({ env: { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' }, inClusterPathPrefix: join(dir, 'no-sa') });
    assert.match(err.message, /has no service account token at .*token: mount the service account token or pass --kubeconfig/);
  });
});
