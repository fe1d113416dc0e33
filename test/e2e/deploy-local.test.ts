// deploy/ as an operator applies it: rendered and applied with the real kubectl, then
// `outrigger run --cloud-provider=local` runs as the cloud-controller-manager ServiceAccount (its
// own TokenRequest token, not admin) against the real apiserver, so a missing RBAC grant fails
// here for real. Nodes register as a kubelet with --cloud-provider=external would; a small process
// per node serves its nodePort and kube-proxy's healthz on the node's loopback InternalIP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { createKubeClient } from '../../src/kube/client-node/index.js';
import type { ClientNodeKubeClient } from '../../src/kube/client-node/index.js';
import { startKubeTestCluster } from '../../src/testing.js';
import type { KubeTestCluster } from '../../src/testing.js';
import { REPO_ROOT, freePort, httpsGet, startCcm, waitForObject } from '../helpers/ccm-process.js';
import type { CcmProcess } from '../helpers/ccm-process.js';
import { kubectlOk } from '../helpers/kubectl.js';
import { probeTcp } from '../helpers/probe-tcp.js';

const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
const SHUTDOWN = 'node.cloudprovider.kubernetes.io/shutdown';
const NODE_PORT = 30080;
const NODES = [
  { name: 'n1', ip: '127.0.121.1' },
  { name: 'n2', ip: '127.0.121.2' },
] as const;
const POOL = '127.0.120.0/29';

const CLOUD_CONFIG = `pools:
  - name: e2e
    ranges: [${POOL}]
healthCheck:
  intervalMs: 500
inventory:
  - name: n1
    addresses: [{ type: InternalIP, address: 127.0.121.1 }, { type: ExternalIP, address: 127.0.122.1 }]
    zone: zone-a
    instanceType: small
  - name: n2
    addresses: [{ type: InternalIP, address: 127.0.121.2 }]
    zone: zone-b
    instanceType: small
  - name: n3
    addresses: [{ type: InternalIP, address: 127.0.121.3 }]
    shutdown: true
`;

/** A Node as a kubelet with --cloud-provider=external registers it. */
function kubeletNode(name: string, ip: string, ready: boolean): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { taints: [{ key: UNINITIALIZED, value: 'true', effect: 'NoSchedule' }] },
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
    },
  };
}

function startNodeAgent(name: string, ip: string, ports: readonly number[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/node-agent.mjs'), name, ip, ports.join(',')], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`node agent ${name} exited ${code}: ${err}`)));
  });
}

function httpGetVia(ip: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    void import('node:http').then(({ get }) => {
      const req = get({ host: ip, port, path: '/', agent: false, timeout: 5_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  });
}

describe('deploy/ applied with kubectl; outrigger run --cloud-provider=local as its ServiceAccount', () => {
  let cluster: KubeTestCluster;
  let admin: ClientNodeKubeClient;
  let ccm: CcmProcess | undefined;
  let securePort: number;
  const agents: ChildProcess[] = [];

  before(async () => {
    cluster = await startKubeTestCluster();
    admin = await createKubeClient({ kubeconfig: cluster.adminKubeconfig, qps: -1, userAgent: 'e2e-admin', env: {} });
  });
  after(async () => {
    ccm?.kill();
    if (ccm !== undefined) await ccm.exited;
    for (const a of agents) a.kill('SIGKILL');
    admin.close();
    await cluster.stop();
  });

  it('renders deploy/ and its overlays with kubectl kustomize; the base names no provider; the local overlay applies', async () => {
    const base = await kubectlOk(cluster.adminKubeconfig, ['kustomize', join(REPO_ROOT, 'deploy/base')]);
    assert.match(base, /kind: ClusterRole\n/);
    assert.doesNotMatch(base, /--cloud-provider=/, 'the base never runs a provider by accident');
    const moduleOverlay = await kubectlOk(cluster.adminKubeconfig, ['kustomize', join(REPO_ROOT, 'deploy/overlays/provider-module')]);
    assert.match(moduleOverlay, /--provider-module=@acme\/outrigger-provider/);
    // The apiserver validates every object of it without keeping any.
    await kubectlOk(cluster.adminKubeconfig, ['apply', '--dry-run=server', '-f', '-'], { input: moduleOverlay });
    const rendered = await kubectlOk(cluster.adminKubeconfig, ['kustomize', join(REPO_ROOT, 'deploy/overlays/local')]);
    assert.match(rendered, /--cloud-provider=local/);
    assert.match(rendered, /--cloud-config=\/etc\/outrigger\/local\.yaml/);
    const applied = await kubectlOk(cluster.adminKubeconfig, ['apply', '-f', '-'], { input: rendered });
    assert.match(applied, /serviceaccount\/cloud-controller-manager created/);
    assert.match(applied, /configmap\/outrigger-local-config-\w+ created/);
    assert.match(applied, /deployment.apps\/cloud-controller-manager created/);
    assert.match(applied, /clusterrolebinding.rbac.authorization.k8s.io\/system:cloud-controller-manager created/);
  });

  it('initialises kubelet-registered Nodes while running as the ServiceAccount, not admin', async () => {
    for (const n of NODES) await admin.nodes.create(kubeletNode(n.name, n.ip, true));
    await admin.nodes.create(kubeletNode('n3', '127.0.121.3', false));
    for (const n of NODES) agents.push(await startNodeAgent(n.name, n.ip, [NODE_PORT]));

    const saKubeconfig = await cluster.serviceAccountKubeconfig('kube-system', 'cloud-controller-manager');
    const cloudConfig = join(cluster.dir, 'local.yaml');
    await writeFile(cloudConfig, CLOUD_CONFIG);
    securePort = await freePort();
    ccm = startCcm([
      '--cloud-provider=local',
      `--cloud-config=${cloudConfig}`,
      `--kubeconfig=${saKubeconfig}`,
      `--authentication-kubeconfig=${saKubeconfig}`,
      `--authorization-kubeconfig=${saKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${securePort}`,
      '--webhook-secure-port=0',
      '--configure-cloud-routes=false',
      '--node-monitor-period=1s',
    ]);
    for (const n of NODES) {
      const done = await waitForObject(admin.nodes, (o) => o.metadata?.name === n.name && !(o.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED), `${n.name} initialised`, 60_000);
      assert.equal(done.spec?.providerID, `local://${n.name}`);
      assert.equal(done.metadata?.labels?.['topology.kubernetes.io/zone'], n.name === 'n1' ? 'zone-a' : 'zone-b');
      assert.equal(done.metadata?.labels?.['node.kubernetes.io/instance-type'], 'small');
    }
    // The cloud's addresses reach the Node (a nodes/status patch).
    const n1 = await waitForObject(admin.nodes, (o) => o.metadata?.name === 'n1' && (o.status?.addresses ?? []).some((a) => a.type === 'ExternalIP'), 'n1 ExternalIP', 60_000);
    assert.deepEqual(n1.status?.addresses?.find((a) => a.type === 'ExternalIP')?.address, '127.0.122.1');
    // Every write came from the ServiceAccount's identity: nothing needed admin.
    const writes = (await cluster.auditedWrites()).filter((w) => w.userAgent.startsWith('cloud-controller-manager'));
    assert.ok(writes.length > 0);
    assert.deepEqual([...new Set(writes.map((w) => w.user))], ['system:serviceaccount:kube-system:cloud-controller-manager']);
    const denied = writes.filter((w) => w.code === 403);
    assert.deepEqual(denied, [], 'no write was forbidden by deploy/rbac.yaml');
  });

  it('gives a LoadBalancer Service an ingress address, carries real TCP to the node processes, and records the events', async () => {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { type: 'LoadBalancer', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: NODE_PORT }] },
    };
    const createdAt = Date.now();
    await admin.services.create(svc);
    const ready = await waitForObject(admin.services, (s) => s.metadata?.name === 'web' && (s.status?.loadBalancer?.ingress ?? []).length > 0, 'web ingress', 60_000);
    const ingress = ready.status?.loadBalancer?.ingress?.[0];
    assert.match(ingress?.ip ?? '', /^127\.0\.120\.[0-7]$/);
    assert.equal(ingress?.ipMode, 'Proxy');
    assert.ok((ready.metadata?.finalizers ?? []).includes('service.kubernetes.io/load-balancer-cleanup'));
    const seen = new Set<string>();
    seen.add((await httpGetVia(ingress?.ip ?? '', 80)).trim());
    console.log(`figure: Service created → first byte through the load balancer: ${Date.now() - createdAt} ms (real apiserver, local provider)`);
    for (let i = 0; i < 5; i++) seen.add((await httpGetVia(ingress?.ip ?? '', 80)).trim());
    assert.deepEqual([...seen].sort(), ['node n1', 'node n2'], 'round-robin over both nodes');
    const described = await kubectlOk(cluster.adminKubeconfig, ['describe', 'service', 'web', '-n', 'default']);
    assert.match(described, /Normal\s+EnsuringLoadBalancer\s+.*service-controller\s+Ensuring load balancer/);
    assert.match(described, /Normal\s+EnsuredLoadBalancer\s+.*service-controller\s+Ensured load balancer/);
  });

  it('serves /metrics to a token RBAC allows (200), refuses one without the grant (403) and a bad token (401); /healthz is open', async () => {
    await kubectlOk(cluster.adminKubeconfig, ['create', 'serviceaccount', 'scraper', '-n', 'kube-system']);
    await kubectlOk(cluster.adminKubeconfig, ['create', 'clusterrolebinding', 'scraper-metrics', '--clusterrole=cloud-controller-manager:metrics-reader', '--serviceaccount=kube-system:scraper']);
    await kubectlOk(cluster.adminKubeconfig, ['create', 'serviceaccount', 'stranger', '-n', 'kube-system']);
    const allowed = await httpsGet(securePort, '/metrics', { authorization: `Bearer ${await cluster.serviceAccountToken('kube-system', 'scraper')}` });
    assert.equal(allowed.status, 200);
    assert.match(allowed.body, /^# HELP /m);
    const stranger = await httpsGet(securePort, '/metrics', { authorization: `Bearer ${await cluster.serviceAccountToken('kube-system', 'stranger')}` });
    assert.equal(stranger.status, 403);
    const bogus = await httpsGet(securePort, '/metrics', { authorization: 'Bearer not-a-token' });
    assert.equal(bogus.status, 401);
    // No token at all is system:anonymous, which RBAC does not allow /metrics (as upstream: 403).
    assert.equal((await httpsGet(securePort, '/metrics')).status, 403);
    assert.equal((await httpsGet(securePort, '/healthz')).status, 200);
  });

  it('taints a shut-down instance and lifts the taint when its Node is Ready again; deletes a Node whose instance vanished', async () => {
    await waitForObject(admin.nodes, (o) => o.metadata?.name === 'n3' && (o.spec?.taints ?? []).some((t) => t.key === SHUTDOWN), 'n3 shutdown taint', 60_000);
    await admin.nodes.patchStatus({ name: 'n3' }, { type: 'strategic', body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString() }] } } });
    await waitForObject(admin.nodes, (o) => o.metadata?.name === 'n3' && !(o.spec?.taints ?? []).some((t) => t.key === SHUTDOWN), 'n3 shutdown taint lifted', 60_000);

    const ghost = kubeletNode('ghost', '127.0.121.9', false);
    ghost.spec = {};
    await admin.nodes.create(ghost);
    const deadline = Date.now() + 60_000;
    // Bounded: until the lifecycle controller deletes it or the deadline passes.
    for (;;) {
      const list = await admin.nodes.list({ fieldSelector: 'metadata.name=ghost' });
      if (list.items.length === 0) break;
      assert.ok(Date.now() < deadline, 'ghost was not deleted within 60 s');
      const stream = await admin.nodes.watch({ resourceVersion: list.metadata.resourceVersion, fieldSelector: 'metadata.name=ghost', timeoutSeconds: 5 });
      for await (const e of stream) if (e.type === 'DELETED') break;
      stream.close();
    }
    const events = await kubectlOk(cluster.adminKubeconfig, ['get', 'events', '-A', '--field-selector=involvedObject.name=ghost', '-o', 'jsonpath={.items[*].reason}']);
    assert.match(events, /DeletingNode/);
  });

  it('deleting the Service removes the finalizer (the object goes) and closes the listener', async () => {
    const ip = (await admin.services.get({ namespace: 'default', name: 'web' })).status?.loadBalancer?.ingress?.[0]?.ip ?? '';
    assert.equal(await probeTcp(ip, 80), 'connected');
    await kubectlOk(cluster.adminKubeconfig, ['delete', 'service', 'web', '-n', 'default', '--wait=true', '--timeout=60s']);
    const gone = await admin.services.list({ namespace: 'default', fieldSelector: 'metadata.name=web' });
    assert.equal(gone.items.length, 0);
    assert.equal(await probeTcp(ip, 80), 'ECONNREFUSED');
  });

  it('was never forbidden anything, reads included, over the whole run', () => {
    // Runs after the other cases' traffic; reads are not audited, so the manager's own log is the witness.
    assert.doesNotMatch(ccm?.stderr() ?? '', /forbidden/i);
  });
});
