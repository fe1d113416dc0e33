/**
 * Simulated API server figures: write throughput and watch fan-out for 10,000 objects.
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { RealClock } from '../src/kube/clock.js';
import type { WatchStream } from '../src/kube/client.js';
import { SimulatedApiServer } from '../src/kube/memory/index.js';
import type { Benchmark, Figure } from './harness.js';
import { timeIt } from './harness.js';

const OBJECTS = 10_000;
const WATCHERS = 10;

function node(i: number): Node {
  return {
    metadata: { name: `node-${i}`, labels: { 'kubernetes.io/hostname': `node-${i}` } },
    spec: { taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] },
    status: { addresses: [{ type: 'InternalIP', address: `10.0.${Math.floor(i / 250)}.${i % 250}` }] },
  };
}

async function drain(stream: WatchStream<Node>, count: number): Promise<number> {
  let seen = 0;
  for await (const _event of stream) {
    seen++;
    if (seen >= count) break;
  }
  return seen;
}

const writes: Benchmark = {
  name: `simulated API: writes of ${OBJECTS} Nodes`,
  async run(): Promise<Figure[]> {
    const server = new SimulatedApiServer({ clock: new RealClock() });
    const kube = server.client({ userAgent: 'bench' });
    const createMs = await timeIt(async () => {
      for (let i = 0; i < OBJECTS; i++) await kube.nodes.create(node(i));
    });
    const patchMs = await timeIt(async () => {
      for (let i = 0; i < OBJECTS; i++) {
        await kube.nodes.patch({ name: `node-${i}` }, { type: 'strategic', body: { metadata: { labels: { zone: 'z1' } } } });
      }
    });
    const statusMs = await timeIt(async () => {
      for (let i = 0; i < OBJECTS; i++) {
        await kube.nodes.patchStatus(
          { name: `node-${i}` },
          { type: 'strategic', body: { status: { conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' }] } } },
        );
      }
    });
    let listed = 0;
    const listMs = await timeIt(async () => {
      listed = (await kube.nodes.list()).items.length;
    });
    return [
      { label: 'create', value: OBJECTS / (createMs / 1000), unit: 'writes/s' },
      { label: 'strategic-merge patch (labels)', value: OBJECTS / (patchMs / 1000), unit: 'writes/s' },
      { label: 'status patch (conditions)', value: OBJECTS / (statusMs / 1000), unit: 'writes/s' },
      { label: `list of ${listed} Nodes`, value: listMs, unit: 'ms' },
    ];
  },
};

const fanOut: Benchmark = {
  name: `simulated API: watch fan-out, ${OBJECTS} creates to ${WATCHERS} watchers`,
  async run(): Promise<Figure[]> {
    const server = new SimulatedApiServer({ clock: new RealClock() });
    const kube = server.client({ userAgent: 'bench' });
    const streams = await Promise.all(Array.from({ length: WATCHERS }, () => kube.nodes.watch({ resourceVersion: server.resourceVersion() })));
    let delivered = 0;
    const totalMs = await timeIt(async () => {
      const consumers = streams.map((s) => drain(s, OBJECTS));
      for (let i = 0; i < OBJECTS; i++) await kube.nodes.create(node(i));
      delivered = (await Promise.all(consumers)).reduce((a, b) => a + b, 0);
    });
    for (const s of streams) s.close();
    return [
      { label: 'events delivered', value: delivered, unit: 'events' },
      { label: 'delivery rate (writes + fan-out)', value: delivered / (totalMs / 1000), unit: 'events/s' },
      { label: 'wall time', value: totalMs, unit: 'ms' },
    ];
  },
};

/** The simulated API server benchmarks. */
export const benchmarks: readonly Benchmark[] = [writes, fanOut];
