// Figures on the real apiserver (printed, not asserted): 1,000 Nodes registered as kubelets would
// → all initialised, at the default --kube-api-qps and at 1000, with the API writes per Node
// counted from the audit log. What is asserted is that every Node was initialised.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Node } from 'kubernetes-types/core/v1.js';
import { createKubeClient } from '../../src/kube/client-node/index.js';
import type { ClientNodeKubeClient } from '../../src/kube/client-node/index.js';
import { startKubeTestCluster } from '../../src/testing.js';
import type { KubeTestCluster } from '../../src/testing.js';
import { startCcm } from '../helpers/ccm-process.js';

const NODE_COUNT = 1000;
const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
const RUNS = [
  { label: 'default --kube-api-qps (20, burst 30)', prefix: 'd', flags: [] as string[] },
  { label: '--kube-api-qps=1000 --kube-api-burst=1000', prefix: 'q', flags: ['--kube-api-qps=1000', '--kube-api-burst=1000'] },
];

const names = (prefix: string): string[] => Array.from({ length: NODE_COUNT }, (_, i) => `${prefix}-node-${String(i).padStart(4, '0')}`);

function kubeletNode(name: string, i: number): Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { taints: [{ key: UNINITIALIZED, value: 'true', effect: 'NoSchedule' }] },
    status: {
      conditions: [{ type: 'Ready', status: 'True' }],
      addresses: [
        { type: 'InternalIP', address: `10.${(i >> 8) & 255}.${i & 255}.1` },
        { type: 'Hostname', address: name },
      ],
    },
  };
}

/** Resolves once no Node with `prefix` carries the uninitialized taint (watch-driven, bounded). */
async function allInitialised(client: ClientNodeKubeClient, prefix: string, timeoutMs: number): Promise<void> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const pending = new Set<string>();
  const tainted = (n: Node): boolean => (n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED);
  const list = await client.nodes.list({ signal: deadline });
  for (const n of list.items) if ((n.metadata?.name ?? '').startsWith(`${prefix}-`) && tainted(n)) pending.add(n.metadata?.name ?? '');
  let rv = list.metadata.resourceVersion;
  while (pending.size > 0) {
    deadline.throwIfAborted();
    const stream = await client.nodes.watch({ resourceVersion: rv, timeoutSeconds: 30, signal: deadline });
    try {
      for await (const e of stream) {
        rv = e.object.metadata?.resourceVersion ?? rv;
        if (e.type === 'MODIFIED' && !tainted(e.object)) pending.delete(e.object.metadata?.name ?? '');
        if (pending.size === 0) break;
      }
    } finally {
      stream.close();
    }
  }
}

describe(`scale figures on the real apiserver: ${NODE_COUNT} kubelet-style Nodes`, () => {
  let cluster: KubeTestCluster;
  let admin: ClientNodeKubeClient;
  let cloudConfig: string;

  before(async () => {
    cluster = await startKubeTestCluster();
    admin = await createKubeClient({ kubeconfig: cluster.adminKubeconfig, qps: -1, userAgent: 'e2e-admin', env: {} });
    const instances = RUNS.flatMap((r) => names(r.prefix).map((nodeName) => ({ nodeName, providerID: `fake://${nodeName}`, zone: 'z1', region: 'r1', instanceType: 'small' })));
    cloudConfig = join(cluster.dir, 'fake.json');
    await writeFile(cloudConfig, JSON.stringify({ capabilities: ['instancesV2'], instances }));
  });
  after(async () => {
    admin.close();
    await cluster.stop();
  });

  for (const run of RUNS) {
    it(`initialises all of them at ${run.label}`, async () => {
      const nodes = names(run.prefix);
      // Register them as kubelets would, 20 at a time.
      for (let i = 0; i < nodes.length; i += 20) {
        await Promise.all(nodes.slice(i, i + 20).map((name, j) => admin.nodes.create(kubeletNode(name, i + j))));
      }
      const writesBefore = (await cluster.auditedWrites()).length;
      const started = Date.now();
      const ccm = startCcm(['--cloud-provider=fake', `--cloud-config=${cloudConfig}`, `--kubeconfig=${cluster.adminKubeconfig}`, '--secure-port=0', '--webhook-secure-port=0', '--leader-elect=false', '--controllers=cloud-node-controller', ...run.flags]);
      try {
        await allInitialised(admin, run.prefix, 540_000);
        const elapsed = Date.now() - started;
        const writes = (await cluster.auditedWrites()).slice(writesBefore).filter((w) => w.userAgent.startsWith('cloud-controller-manager') && w.name.startsWith(`${run.prefix}-`));
        const perNode = writes.length / NODE_COUNT;
        const byVerb = new Map<string, number>();
        for (const w of writes) byVerb.set(`${w.verb} ${w.resource}${w.subresource === '' ? '' : `/${w.subresource}`}`, (byVerb.get(`${w.verb} ${w.resource}${w.subresource === '' ? '' : `/${w.subresource}`}`) ?? 0) + 1);
        console.log(`figure: ${NODE_COUNT} Nodes initialised at ${run.label}: ${elapsed} ms from manager start; ${perNode.toFixed(2)} API writes per Node (${[...byVerb].map(([k, v]) => `${k}: ${v}`).join(', ')})`);
        const left = (await admin.nodes.list()).items.filter((n) => (n.metadata?.name ?? '').startsWith(`${run.prefix}-`) && (n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED));
        assert.equal(left.length, 0);
      } finally {
        ccm.kill();
        await ccm.exited;
      }
    });
  }
});
