// The cluster level of the conformance suite, as an operator runs it: the real `outrigger
// conformance cluster` command (a child process, through its kubeconfig and the client-node
// adapter) against the real kube-apiserver + etcd, with `outrigger run --cloud-provider=local`
// as the cloud-controller-manager (loopback pool 127.0.136.0/29, Nodes on 127.0.137.1-2; no
// other test uses them) and a small process per Node answering HTTP on nodePort 30080 (what
// kube-proxy would serve), so the traffic cases run too. Every case passes; Ctrl-C mid-run still cleans up (exit 130); a
// ServiceAccount without the suite's grants is refused up front, naming what it lacks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import { createKubeClient } from '../../src/kube/client-node/index.js';
import type { ClientNodeKubeClient } from '../../src/kube/client-node/index.js';
import { CLUSTER_CASES } from '../../src/conformance/index.js';
import type { ClusterConformanceReport } from '../../src/conformance/index.js';
import { startKubeTestCluster } from '../../src/testing.js';
import type { KubeTestCluster } from '../../src/testing.js';
import { REPO_ROOT, freePort, startCcm, waitForObject } from '../helpers/ccm-process.js';
import type { CcmProcess } from '../helpers/ccm-process.js';
import { kubectlOk } from '../helpers/kubectl.js';

const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
const NODES = [
  { name: 'n1', ip: '127.0.137.1' },
  { name: 'n2', ip: '127.0.137.2' },
] as const;

const CLOUD_CONFIG = `pools:
  - name: conformance-e2e
    ranges: [127.0.136.0/29]
healthCheck:
  enabled: false
drainTimeoutMs: 0
inventory:
  - name: n1
    addresses: [{ type: InternalIP, address: 127.0.137.1 }, { type: ExternalIP, address: 127.0.138.1 }]
    zone: zone-a
    region: lab
    instanceType: small
  - name: n2
    addresses: [{ type: InternalIP, address: 127.0.137.2 }]
    zone: zone-b
    region: lab
    instanceType: small
`;

const FIXTURE = `# What the local provider of this test's cloud-config must make of the cluster.
instances:
  - nodeName: n1
    providerID: local://n1
    addresses: [{ type: InternalIP, address: 127.0.137.1 }, { type: ExternalIP, address: 127.0.138.1 }]
    zone: zone-a
    region: lab
    instanceType: small
  - nodeName: n2
    providerID: local://n2
    addresses: [{ type: InternalIP, address: 127.0.137.2 }]
    zone: zone-b
    region: lab
    instanceType: small
loadBalancer:
  protocols: [TCP, UDP]
  sourceRanges: true
  externalTrafficPolicyLocal: true
  ports: [18080, 18081]
cluster:
  excludeNode: n2
  traffic: { nodePort: 30080, clientCIDR: 127.0.0.0/8 }
`;

function kubeletNode(name: string, ip: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { taints: [{ key: UNINITIALIZED, value: 'true', effect: 'NoSchedule' }] },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }],
      addresses: [
        { type: 'InternalIP', address: ip },
        { type: 'Hostname', address: name },
      ],
    },
  };
}

interface CliRun {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `outrigger conformance <args>` as a child process; `interruptOn` sends SIGINT once stdout
 * shows it. Bounded: killed after `timeoutMs`.
 */
function runCli(args: readonly string[], o: { interruptOn?: RegExp; timeoutMs?: number } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'conformance', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let stdout = '';
  let stderr = '';
  let interrupted = false;
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    if (!interrupted && o.interruptOn?.test(stdout) === true) {
      interrupted = true;
      child.kill('SIGINT');
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 300_000);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    });
  });
}

/** test/helpers/node-agent.mjs on the Node's loopback address: HTTP on `port`, until killed. */
function startNodeAgent(name: string, ip: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'test/helpers/node-agent.mjs'), name, ip, String(port)], { stdio: ['pipe', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`node agent ${name} exited ${code}: ${err}`)));
  });
}

describe('outrigger conformance cluster against outrigger run --cloud-provider=local on a real apiserver', () => {
  const agents: ChildProcess[] = [];
  let cluster: KubeTestCluster;
  let admin: ClientNodeKubeClient;
  let ccm: CcmProcess | undefined;
  let fixture: string;

  before(async () => {
    cluster = await startKubeTestCluster();
    admin = await createKubeClient({ kubeconfig: cluster.adminKubeconfig, qps: -1, userAgent: 'e2e-admin', env: {} });
    for (const n of NODES) await admin.nodes.create(kubeletNode(n.name, n.ip));
    for (const n of NODES) agents.push(await startNodeAgent(n.name, n.ip, 30080));
    const cloudConfig = join(cluster.dir, 'local.yaml');
    await writeFile(cloudConfig, CLOUD_CONFIG);
    fixture = join(cluster.dir, 'fixture.yaml');
    await writeFile(fixture, FIXTURE);
    ccm = startCcm([
      '--cloud-provider=local',
      `--cloud-config=${cloudConfig}`,
      `--kubeconfig=${cluster.adminKubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      '--webhook-secure-port=0',
      '--configure-cloud-routes=false',
      '--leader-elect=false',
    ]);
    for (const n of NODES) await waitForObject(admin.nodes, (o) => o.metadata?.name === n.name && !(o.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED), `${n.name} initialised`, 60_000);
  });
  after(async () => {
    ccm?.kill();
    if (ccm !== undefined) await ccm.exited;
    for (const a of agents) a.kill('SIGKILL');
    admin.close();
    await cluster.stop();
  });

  it(`passes every case (${CLUSTER_CASES.length}, traffic included) and leaves no Service, no namespace content and no Node label behind`, async () => {
    const started = Date.now();
    const run = await runCli(['cluster', '--kubeconfig', cluster.adminKubeconfig, '--fixture', fixture, '--output', 'json', '--case-timeout', '60s', '--junit', join(cluster.dir, 'junit.xml')]);
    const report = JSON.parse(run.stdout) as ClusterConformanceReport;
    assert.equal(run.code, 0, `${run.stderr}\n${JSON.stringify(report.results.filter((r) => r.status !== 'passed'), null, 1)}`);
    assert.equal(report.passed, CLUSTER_CASES.length);
    assert.deepEqual(report.leftovers, []);
    console.log(`figure: cluster level, ${report.passed} cases against the local provider on a real apiserver: ${Date.now() - started} ms (CLI start included)`);
    assert.match(run.stderr, new RegExp(`cleanup: deleted namespace ${report.namespace}`));
    assert.deepEqual((await admin.services.list({ namespace: report.namespace })).items, []);
    const n2 = await admin.nodes.get({ name: 'n2' });
    assert.equal(n2.metadata?.labels?.['node.kubernetes.io/exclude-from-external-load-balancers'], undefined);
    // kubectl sees the upstream Event reasons the cases waited for.
    const reasons = await kubectlOk(cluster.adminKubeconfig, ['get', 'events', '-n', report.namespace, '-o', 'jsonpath={.items[*].reason}']);
    for (const r of ['EnsuringLoadBalancer', 'EnsuredLoadBalancer', 'UpdatedLoadBalancer', 'DeletingLoadBalancer', 'DeletedLoadBalancer']) assert.match(reasons, new RegExp(`\\b${r}\\b`));
  });

  it('Ctrl-C mid-run: the running case stops, the rest are not run, cleanup still removes its Services; exit 130', async () => {
    const run = await runCli(['cluster', '--kubeconfig', cluster.adminKubeconfig, '--fixture', fixture, '--case-timeout', '60s'], { interruptOn: /PASS lb\.create/ });
    assert.equal(run.code, 130, run.stderr);
    assert.match(run.stderr, /SIGINT: interrupted, cleaning up/);
    const ns = /cleanup: deleted namespace (outrigger-conformance-\w+)/.exec(run.stderr)?.[1];
    assert.ok(ns !== undefined, run.stderr);
    assert.deepEqual((await admin.services.list({ namespace: ns })).items, []);
    assert.match(run.stdout, /not run: Error: SIGINT|not run: SIGINT/);
  });

  it('a ServiceAccount without the grants the suite needs is refused before anything is created, naming each verb and resource', async () => {
    await kubectlOk(cluster.adminKubeconfig, ['create', 'serviceaccount', 'conformance-nobody', '-n', 'default']);
    const kubeconfig = await cluster.serviceAccountKubeconfig('default', 'conformance-nobody');
    const before = (await admin.resource({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true }).list()).items.length;
    const run = await runCli(['cluster', '--kubeconfig', kubeconfig, '--fixture', fixture], { timeoutMs: 60_000 });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /^outrigger conformance cluster: the suite's own credentials may not list nodes, list events, create namespaces, .*patch nodes \(cluster-wide, checked with SelfSubjectAccessReview against https:\/\/127\.0\.0\.1:\d+\)/);
    assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
    const afterCount = (await admin.resource({ group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false, hasStatus: true }).list()).items.length;
    assert.equal(afterCount, before, 'nothing was created');

    // The ClusterRole docs/conformance.md gives (taken from the page) is enough: the same account passes.
    const doc = await readFile(join(REPO_ROOT, 'docs/conformance.md'), 'utf8');
    const role = /```yaml\n(apiVersion: rbac\.authorization\.k8s\.io\/v1\nkind: ClusterRole\n[\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(role !== undefined, 'docs/conformance.md lists the ClusterRole');
    await kubectlOk(cluster.adminKubeconfig, ['apply', '-f', '-'], { input: role });
    await kubectlOk(cluster.adminKubeconfig, ['create', 'clusterrolebinding', 'conformance-nobody', '--clusterrole=outrigger-conformance', '--serviceaccount=default:conformance-nobody']);
    const granted = await runCli(['cluster', '--kubeconfig', kubeconfig, '--fixture', fixture, '--only', 'node.provider-id', '--only', 'lb.host-set-change', '--case-timeout', '60s'], { timeoutMs: 120_000 });
    assert.equal(granted.code, 0, granted.stderr + granted.stdout);
    assert.match(granted.stdout, /PASS lb\.host-set-change/);
  });
});
