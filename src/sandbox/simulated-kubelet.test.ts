import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../kube/clock.js';
import type { KubeObject } from '../kube/resources.js';
import type { ResourceClient, WatchEvent } from '../kube/client.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { NODE_LEASE_RENEW_MS, NODE_STATUS_REPORT_MS, startSimulatedKubelets, UNINITIALIZED_TAINT_KEY } from './simulated-kubelet.js';

/** The next change the watch delivers (opened before the action that causes it). */
async function nextChange<T extends KubeObject>(client: ResourceClient<T>, namespace?: string): Promise<{ next: Promise<WatchEvent<T>>; close(): void }> {
  const list = await client.list(namespace === undefined ? {} : { namespace });
  const stream = await client.watch({ resourceVersion: list.metadata.resourceVersion, ...(namespace === undefined ? {} : { namespace }) });
  const next = (async () => {
    for await (const e of stream) if (e.type !== 'BOOKMARK') return e;
    throw new Error('watch ended');
  })();
  return { next, close: () => stream.close() };
}

describe('simulated kubelets', () => {
  it('register Nodes as a kubelet with an external cloud provider: uninitialized taint, --node-ip as InternalIP, Ready', async () => {
    const clock = new FakeClock();
    const sim = new SimulatedApiServer({ clock });
    const kube = sim.client();
    const kubelets = await startSimulatedKubelets({ nodes: [{ name: 'node-0', address: '127.0.50.1' }, { name: 'node-1', address: '127.0.50.2' }], kubeFor: () => kube, clock, log: () => {} });
    try {
      const nodes = (await kube.nodes.list()).items;
      assert.deepEqual(nodes.map((n) => n.metadata?.name), ['node-0', 'node-1']);
      const n0 = nodes[0] as Node;
      assert.deepEqual(n0.spec?.taints, [{ key: UNINITIALIZED_TAINT_KEY, value: 'true', effect: 'NoSchedule' }]);
      assert.deepEqual(n0.status?.addresses?.[0], { type: 'InternalIP', address: '127.0.50.1' });
      assert.equal(n0.metadata?.annotations?.['alpha.kubernetes.io/provided-node-ip'], '127.0.50.1');
      assert.equal(n0.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'True');
      const lease = await kube.leases.get({ namespace: 'kube-node-lease', name: 'node-0' });
      assert.equal(lease.spec?.holderIdentity, 'node-0');
      assert.equal(lease.spec?.leaseDurationSeconds, 40);
      assert.equal(lease.metadata?.ownerReferences?.[0]?.uid, n0.metadata?.uid);
    } finally {
      await kubelets.stop();
    }
  });

  it('renew the node Lease every 10 s and report Ready every 5 minutes, on the clock', async () => {
    const clock = new FakeClock();
    const sim = new SimulatedApiServer({ clock });
    const kube = sim.client();
    const kubelets = await startSimulatedKubelets({ nodes: [{ name: 'node-0', address: '127.0.50.1' }], kubeFor: () => kube, clock, log: () => {} });
    try {
      const before = await kube.leases.get({ namespace: 'kube-node-lease', name: 'node-0' });
      const renewed = await nextChange<Lease>(kube.leases, 'kube-node-lease');
      await clock.advance(NODE_LEASE_RENEW_MS);
      const e = await renewed.next;
      renewed.close();
      assert.equal(e.type, 'MODIFIED');
      assert.equal(Date.parse(e.object.spec?.renewTime ?? '') - Date.parse(before.spec?.renewTime ?? ''), NODE_LEASE_RENEW_MS);

      const heartbeat = await nextChange<Node>(kube.nodes);
      await clock.advance(NODE_STATUS_REPORT_MS - NODE_LEASE_RENEW_MS);
      const n = await heartbeat.next;
      heartbeat.close();
      const ready = n.object.status?.conditions?.find((c) => c.type === 'Ready');
      assert.equal(ready?.lastHeartbeatTime, new Date(clock.now()).toISOString().replace('.000Z', 'Z'));
      assert.equal(ready?.lastTransitionTime, new Date(Date.UTC(2026, 0, 1)).toISOString().replace('.000Z', 'Z'), 'Ready since registration');
    } finally {
      await kubelets.stop();
    }
    assert.equal(clock.pendingTimers, 0, 'stop() ends both heartbeats');
  });

  it('logs a failed heartbeat and keeps beating (as the kubelet)', async () => {
    const clock = new FakeClock();
    const sim = new SimulatedApiServer({ clock });
    const kube = sim.client();
    const lines: string[] = [];
    let logged: () => void = () => {};
    const failed = new Promise<void>((resolve) => (logged = resolve));
    const kubelets = await startSimulatedKubelets({
      nodes: [{ name: 'node-0', address: '127.0.50.1' }],
      kubeFor: () => kube,
      clock,
      log: (l) => {
        lines.push(l);
        logged();
      },
    });
    try {
      const { apiErrors } = await import('../kube/errors.js');
      sim.faults.inject({ verb: 'update', resource: 'leases', error: apiErrors.internal('etcd is away'), times: 1 });
      await clock.advance(NODE_LEASE_RENEW_MS);
      await failed;
      const renewed = await nextChange<Lease>(kube.leases, 'kube-node-lease');
      await clock.advance(NODE_LEASE_RENEW_MS);
      assert.equal((await renewed.next).type, 'MODIFIED');
      renewed.close();
      assert.equal(lines.length, 1);
      assert.match(lines[0] ?? '', /simulated kubelet node-0: renewing its Lease failed: .*etcd is away/);
    } finally {
      await kubelets.stop();
    }
  });
});
