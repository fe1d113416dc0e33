/**
 * Simulated API server figures: write throughput and watch fan-out for 10,000 objects, and the
 * main-thread CPU of the write mix the controllers send in a generated cluster.
 *
 * `SIMULATED_API_BENCH_BASELINE=<compiled out dir>` (e.g. a `tsc -p tsconfig.build.json --outDir`
 * of an older revision) also runs the write mix with that build's server, alternating with the
 * current one, and prints the ratio; `SIMULATED_API_BENCH_CURRENT=<compiled out dir>` takes the
 * current server from a build too (this tree runs through tsx otherwise), so both are compiled alike.
 */
import { readFileSync } from 'node:fs';
import type { Node } from 'kubernetes-types/core/v1.js';
import { FakeClock, RealClock } from '../src/kube/clock.js';
import type { Clock } from '../src/kube/clock.js';
import type { KubeClient, WatchStream } from '../src/kube/client.js';
import { SimulatedApiServer } from '../src/kube/memory/index.js';
import { kubeletNode, loadBalancerService } from '../src/simulation/generators/generate-cluster.js';
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

/** A server constructor: this tree's, or a baseline build's. */
type ServerFactory = (clock: Clock) => { client(options?: { userAgent?: string }): KubeClient; resourceVersion(): string };

/** CPU time of this process's main thread (Linux), in ms; 10 ms resolution. */
function mainThreadCpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const MIX_NODES = 5_000;
const MIX_EVENTS = 8_000;
const MIX_SERVICES = 1_000;
/** Writes of one round of the mix (creates, updates, patches). */
const MIX_WRITES = MIX_NODES * 3 + MIX_EVENTS + MIX_EVENTS / 4 + MIX_SERVICES * 3;

/**
 * One round of what the controllers write in `outrigger simulate`: kubelet-registered Nodes
 * created, initialised (update) and given addresses (status patch), Events created and bumped,
 * LoadBalancer Services created, given the finalizer and an ingress; one Node watch open.
 */
async function writeMix(factory: ServerFactory): Promise<number> {
  const server = factory(new FakeClock());
  const kube = server.client({ userAgent: 'bench' });
  const watch = await kube.nodes.watch({ resourceVersion: server.resourceVersion() });
  const draining = (async () => {
    for await (const _event of watch) {
      // consumed, as an informer would
    }
  })();
  const before = mainThreadCpuMs();
  for (let i = 0; i < MIX_NODES; i++) await kube.nodes.create(kubeletNode(`node-${i}`, i) as Node);
  for (let i = 0; i < MIX_NODES; i++) {
    const n = await kube.nodes.get({ name: `node-${i}` });
    await kube.nodes.update({ ...n, spec: { ...n.spec, providerID: `fake://node-${i}`, taints: [] }, metadata: { ...n.metadata, labels: { ...n.metadata?.labels, 'topology.kubernetes.io/zone': 'zone-a' } } });
    await kube.nodes.patchStatus(
      { name: `node-${i}` },
      { type: 'strategic', body: { status: { addresses: [{ type: 'InternalIP', address: '172.16.0.1' }, { type: 'Hostname', address: `node-${i}` }], conditions: [{ type: 'NetworkUnavailable', status: 'False', reason: 'RouteCreated' }] } } },
    );
  }
  const event = (i: number) => ({
    metadata: { name: `node-${i}.18${i.toString(16)}`, namespace: 'default' },
    involvedObject: { kind: 'Node', name: `node-${i}`, apiVersion: 'v1', uid: 'u' },
    reason: 'Synced',
    message: 'Node synced successfully',
    type: 'Normal',
    source: { component: 'cloud-node-controller' },
    count: 1,
    firstTimestamp: '2026-01-01T00:00:00Z',
    lastTimestamp: '2026-01-01T00:00:00Z',
  });
  for (let i = 0; i < MIX_EVENTS; i++) await kube.events.create(event(i));
  for (let i = 0; i < MIX_EVENTS / 4; i++) {
    await kube.events.patch({ namespace: 'default', name: `node-${i}.18${i.toString(16)}` }, { type: 'strategic', body: { count: 2, lastTimestamp: '2026-01-01T00:00:01Z' } });
  }
  for (let i = 0; i < MIX_SERVICES; i++) {
    const key = { namespace: 'default', name: `svc-${i}` };
    await kube.services.create(loadBalancerService(`svc-${i}`) as never);
    await kube.services.patchStatus(key, { type: 'strategic', body: { metadata: { finalizers: ['service.kubernetes.io/load-balancer-cleanup'] } } });
    await kube.services.patchStatus(key, { type: 'strategic', body: { status: { loadBalancer: { ingress: [{ ip: '198.18.0.1', ipMode: 'VIP' }] } } } });
  }
  const cpu = mainThreadCpuMs() - before;
  watch.close();
  await draining;
  return cpu;
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const mix: Benchmark = {
  name: `simulated API: the controllers' write mix (${MIX_WRITES} writes), main-thread CPU`,
  async run(): Promise<Figure[]> {
    const load = async (dir: string): Promise<ServerFactory> => {
      const mod = (await import(`${dir}/kube/memory/index.js`)) as { SimulatedApiServer: new (o: { clock: Clock }) => ReturnType<ServerFactory> };
      return (clock) => new mod.SimulatedApiServer({ clock });
    };
    const currentDir = process.env['SIMULATED_API_BENCH_CURRENT'];
    const current: ServerFactory = currentDir === undefined ? (clock) => new SimulatedApiServer({ clock }) : await load(currentDir);
    const dir = process.env['SIMULATED_API_BENCH_BASELINE'];
    const baseline = dir === undefined ? undefined : await load(dir);
    await writeMix(current); // warm-up
    if (baseline !== undefined) await writeMix(baseline);
    const now: number[] = [];
    const old: number[] = [];
    for (let i = 0; i < 5; i++) {
      if (baseline !== undefined) old.push(await writeMix(baseline));
      now.push(await writeMix(current));
    }
    const figures: Figure[] = [{ label: 'main-thread CPU per write (median of 5)', value: (median(now) * 1000) / MIX_WRITES, unit: 'µs', range: [(Math.min(...now) * 1000) / MIX_WRITES, (Math.max(...now) * 1000) / MIX_WRITES] }];
    if (baseline !== undefined) {
      figures.push(
        { label: 'baseline: main-thread CPU per write', value: (median(old) * 1000) / MIX_WRITES, unit: 'µs', range: [(Math.min(...old) * 1000) / MIX_WRITES, (Math.max(...old) * 1000) / MIX_WRITES] },
        { label: 'current / baseline (medians)', value: median(now) / median(old), unit: '×' },
      );
    }
    return figures;
  },
};

/** The simulated API server benchmarks. */
export const benchmarks: readonly Benchmark[] = [writes, fanOut, mix];
