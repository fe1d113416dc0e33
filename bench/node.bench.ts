/**
 * Cloud node controller figures: 5,000 tainted Nodes registered at once on the simulated API,
 * initialised against the fake provider (InstancesV2) — wall time, API writes per node and cloud
 * calls per node. Prints figures only.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { RealClock } from '../src/kube/clock.js';
import { EventBroadcaster } from '../src/kube/events.js';
import { SimulatedApiServer } from '../src/kube/memory/index.js';
import { SharedInformerFactory } from '../src/kube/shared-informers.js';
import { noopLogger } from '../src/log/logger.js';
import { CloudNodeController } from '../src/controllers/node/index.js';
import { FakeCloudProvider } from '../src/providers/fake/index.js';
import type { Benchmark, Figure } from './harness.js';
import { timeIt } from './harness.js';

const NODES = 5_000;

/** A deterministic [0, 1) source (core code takes randomness by injection). */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function node(i: number): Node {
  return {
    metadata: { name: `node-${i}`, annotations: { 'alpha.kubernetes.io/provided-node-ip': `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` } },
    spec: { taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] },
    status: { addresses: [{ type: 'Hostname', address: `node-${i}` }] },
  };
}

function initBenchmark(workers: number): Benchmark {
  return {
    name: `cloud node controller: ${NODES} nodes registered at once, --concurrent-node-syncs=${workers}`,
    async run(): Promise<Figure[]> {
      const clock = new RealClock();
      const random = lcg(42);
      const server = new SimulatedApiServer({ clock, random });
      const admin = server.client({ userAgent: 'kubelet' });
      const cloud = new FakeCloudProvider({
        clock,
        capabilities: ['instancesV2'],
        callHistoryLimit: 0,
        copyCallArgs: false,
        instances: Array.from({ length: NODES }, (_, i) => ({
          nodeName: `node-${i}`,
          instanceType: 'standard-2',
          zone: `zone-${i % 3}`,
          region: 'region-1',
          addresses: [
            { type: 'InternalIP' as const, address: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` },
            { type: 'ExternalIP' as const, address: `198.${i >> 16}.${(i >> 8) & 255}.${i & 255}` },
          ],
        })),
      });
      const kube = server.client({ userAgent: 'node-controller' });
      const informers = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random });
      const broadcaster = new EventBroadcaster({ client: kube, clock, random });
      let initialised = 0;
      let done: () => void = () => {};
      const allDone = new Promise<void>((resolve) => (done = resolve));
      const controller = new CloudNodeController(
        { kube, informers, cloud, recorder: broadcaster.newRecorder({ component: 'cloud-node-controller' }), clock, random, logger: noopLogger },
        {
          concurrentNodeSyncs: workers,
          metrics: {
            observeInitialNodeSyncDelaySeconds: () => {
              if (++initialised === NODES) done();
            },
          },
        },
      );
      const stop = new AbortController();
      informers.start(stop.signal);
      const running = controller.run(stop.signal);
      // Registered at once: every kubelet creates its Node; the controller is already watching.
      const wallMs = await timeIt(async () => {
        await Promise.all(Array.from({ length: NODES }, (_, i) => admin.nodes.create(node(i))));
        await allDone;
      });
      stop.abort();
      await running;
      await informers.shutdown();
      await broadcaster.shutdown();
      let writes = 0;
      for (const c of server.requestCounts()) {
        if (c.userAgent === 'node-controller' && c.resource.startsWith('nodes') && c.verb !== 'get' && c.verb !== 'list' && c.verb !== 'watch') writes += c.count;
      }
      return [
        { label: 'nodes initialised', value: initialised, unit: 'nodes' },
        { label: 'wall time (create + initialise all)', value: wallMs, unit: 'ms' },
        { label: 'throughput', value: (NODES / wallMs) * 1000, unit: 'nodes/s' },
        { label: 'node API writes per node (update + status patch)', value: writes / NODES, unit: 'writes' },
        { label: 'cloud calls per node', value: cloud.callCount() / NODES, unit: 'calls' },
      ];
    },
  };
}

/** Node initialisation at upstream's default worker count and with more workers. */
export const benchmarks: readonly Benchmark[] = [initBenchmark(1), initBenchmark(4)];
