// Validation (a) of the cluster level: it passes against upstream's own cloud-controller-manager
// (k8s.io/cloud-provider v0.37.2 with the anchor cloud, test/reference-ccm, built with Go) for
// every feature that cloud declares — the same fixture Outrigger's manager passes in
// test/conformance-cluster.test.ts. So a PASS means "behaves as upstream", not "behaves as
// Outrigger". Real kube-apiserver + etcd; the suite is the real CLI process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import { createKubeClient } from '../../src/kube/client-node/index.js';
import type { ClientNodeKubeClient } from '../../src/kube/client-node/index.js';
import { CLUSTER_CASES } from '../../src/conformance/index.js';
import type { ClusterConformanceReport } from '../../src/conformance/index.js';
import { startKubeTestCluster } from '../../src/testing.js';
import type { KubeTestCluster } from '../../src/testing.js';
import { REPO_ROOT, waitForObject } from '../helpers/ccm-process.js';
import { startReferenceCcm } from '../reference-ccm/start-reference-ccm.js';
import type { CcmProcess } from '../reference-ccm/start-reference-ccm.js';

const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
const FAKE_CONFIG = join(REPO_ROOT, 'src/conformance/testdata/fake-cloud-config.json');
const FIXTURE = join(REPO_ROOT, 'src/conformance/testdata/cluster-fake-fixture.yaml');

function kubeletNode(name: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { taints: [{ key: UNINITIALIZED, value: 'true', effect: 'NoSchedule' }] },
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: new Date().toISOString(), lastTransitionTime: new Date().toISOString() }] },
  };
}

/** `outrigger conformance <args>` as a child process, killed after `timeoutMs`. */
function runCli(args: readonly string[], timeoutMs = 300_000): Promise<{ code: number | string; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'conformance', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal ?? -1, stdout, stderr });
    });
  });
}

describe('outrigger conformance cluster against upstream\'s reference cloud-controller-manager', () => {
  let cluster: KubeTestCluster;
  let admin: ClientNodeKubeClient;
  let ccm: CcmProcess | undefined;

  before(async () => {
    cluster = await startKubeTestCluster();
    admin = await createKubeClient({ kubeconfig: cluster.adminKubeconfig, qps: -1, userAgent: 'e2e-admin', env: {} });
    for (const n of ['node-1', 'node-2']) await admin.nodes.create(kubeletNode(n));
    ccm = startReferenceCcm({ kubeconfig: cluster.adminKubeconfig, cloudConfig: FAKE_CONFIG, flags: ['--configure-cloud-routes=false'] });
    for (const n of ['node-1', 'node-2']) {
      await waitForObject(admin.nodes, (o) => o.metadata?.name === n && !(o.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED), `${n} initialised by the reference CCM`, 60_000).catch((err: unknown) => {
        throw new Error(`${String(err)}\nreference CCM output:\n${ccm?.tail(40) ?? ''}`);
      });
    }
  });
  after(async () => {
    await ccm?.stop();
    admin.close();
    await cluster.stop();
  });

  it(`passes every case of the fixture Outrigger's manager passes (${CLUSTER_CASES.length - 2}; the anchor cloud has no data plane: the two traffic cases are skipped)`, async () => {
    const run = await runCli(['cluster', '--kubeconfig', cluster.adminKubeconfig, '--fixture', FIXTURE, '--output', 'json', '--case-timeout', '60s']);
    const report = JSON.parse(run.stdout) as ClusterConformanceReport;
    assert.equal(run.code, 0, `${run.stderr}\n${JSON.stringify(report.results.filter((r) => r.status !== 'passed'), null, 1)}\nreference CCM:\n${ccm?.tail(40) ?? ''}`);
    assert.equal(report.passed, CLUSTER_CASES.length - 2);
    assert.deepEqual(report.results.filter((r) => r.status === 'skipped').map((r) => r.id), ['lb.source-ranges-traffic', 'lb.traffic']);
    assert.deepEqual(report.leftovers, []);
    assert.equal(ccm?.hasExited(), false, 'the reference CCM kept running');
  });
});
