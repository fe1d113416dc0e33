// Two edges of the cluster level found in review, tested without a cluster:
// - lb.source-ranges-traffic needs a range that excludes the suite's client; with a wide
//   cluster.traffic.clientCIDR (0.0.0.0/0, 192.0.0.0/2) every documentation range it could pick
//   overlaps the client, and a correct CCM would FAIL the case. It is skipped, saying why.
// - clusterConformanceCases(...).cleanup() after the cluster could not be used at all (nothing was
//   created): it answers "nothing left" instead of rejecting in the provider's `after` hook.
// - an --only that selects no case is bad input (one line naming it), not a run of nothing that
//   reports no failure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createKubeClient } from '../src/kube/client-node/index.js';
import { CLUSTER_CASES, ClusterConformanceError, clusterConformanceCases, runClusterConformance } from '../src/conformance/index.js';
import type { ConformanceFixture } from '../src/conformance/index.js';

const rangesTraffic = CLUSTER_CASES.find((c) => c.id === 'lb.source-ranges-traffic');
const withClient = (clientCIDR: string): ConformanceFixture => ({ loadBalancer: { sourceRanges: true }, cluster: { traffic: { nodePort: 30080, clientCIDR } } });

describe('lb.source-ranges-traffic: a foreign range must really exclude the client', () => {
  it('runs when a documentation range lies outside the client range', () => {
    for (const c of ['10.0.0.0/8', '192.0.2.0/24', '198.0.0.0/8', '2001:db8::/32']) assert.equal(rangesTraffic?.skipReason(withClient(c)), undefined, c);
  });

  it('is skipped, naming clientCIDR, when every candidate overlaps the client range (it could only fail a correct CCM)', () => {
    for (const c of ['0.0.0.0/0', '192.0.0.0/2']) {
      assert.match(rangesTraffic?.skipReason(withClient(c)) ?? '', new RegExp(`^cluster\\.traffic\\.clientCIDR ${c.replace(/[./]/g, '\\$&')} overlaps `), c);
    }
  });
});

describe('clusterConformanceCases: cleanup() when the cluster could not be used', () => {
  it('answers no leftovers (nothing was created) instead of rejecting', async () => {
    const port = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const dead = await createKubeClient({ master: `http://127.0.0.1:${port}`, env: {}, maxRetries: 0 });
    try {
      const suite = clusterConformanceCases({ kube: dead, clusterName: 'gone', fixture: {}, only: ['node.provider-id'] });
      assert.equal((await suite.cases[0]?.run())?.status, 'failed');
      assert.deepEqual(await suite.cleanup(), []);
    } finally {
      dead.close();
    }
  });
});

describe('--only that names no cluster case', () => {
  it('is a ClusterConformanceError naming the entry, raised before the cluster is contacted', async () => {
    // An unreachable cluster: a run that asked it anything would fail with "cannot reach" instead.
    const dead = await createKubeClient({ master: 'http://127.0.0.1:9', env: {}, maxRetries: 0 });
    try {
      await assert.rejects(
        runClusterConformance({ kube: dead, fixture: {}, only: ['lb.create', 'lb.craete'] }),
        (err: unknown) => err instanceof ClusterConformanceError && /^--only "lb\.craete": no cluster case id contains it \(the ids: node\.provider-id, /.test(err.message) && !err.message.includes('\n'),
      );
      assert.throws(() => clusterConformanceCases({ kube: dead, fixture: {}, only: ['nope'] }), /--only "nope": no cluster case/);
    } finally {
      dead.close();
    }
  });
});
