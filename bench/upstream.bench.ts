/**
 * The performance anchor: the same generated cluster through upstream's CCM (k8s.io/cloud-provider
 * v0.37.2 with the anchor cloud, test/reference-ccm) and through Outrigger, on a real test
 * cluster, with identical flags — upstream's default `--kube-api-qps 20 --kube-api-burst 30`, and
 * 1000/1000 so the client rate limiter is not what is measured. Rounds are interleaved (the order
 * alternates each round) so drift on the shared machine hits both alike.
 *
 * Per CCM and round: wall time from process start until every Node is initialised and every
 * LoadBalancer Service has an address (observed with watches), the process's CPU seconds and peak
 * RSS at that moment (/proc), API writes per Node and per Service from the audit log, cloud calls
 * per Node from the call log. Printed as the median with its range, and the ratio Outrigger /
 * upstream. Needs Go (`npm run bench -- upstream-1000` builds what it needs).
 *
 * Sizes: `upstream-1000-nodes` (1,000 Nodes, 200 Services), `upstream-5000-nodes` (5,000 Nodes,
 * 1,000 Services), `upstream-10000-services` (10,000 Services, 1 joining Node). Rounds per setting:
 * `OUTRIGGER_BENCH_ROUNDS` (default 2).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { createKubeClient } from '../src/kube/client-node/index.js';
import type { ClientNodeKubeClient } from '../src/kube/client-node/index.js';
import type { ResourceClient } from '../src/kube/client.js';
import { startKubeTestCluster } from '../src/testing.js';
import type { KubeTestCluster } from '../src/testing.js';
import { countCallLog, ensureKubeBinaries, referenceCcmBinary, startOutriggerCcm, startReferenceCcm } from '../test/reference-ccm/start-reference-ccm.js';
import type { Benchmark, Figure } from './harness.js';

type Which = 'upstream' | 'outrigger';
const UNINITIALIZED = 'node.cloudprovider.kubernetes.io/uninitialized';
const SETTINGS = [
  { label: 'qps 20/burst 30', flags: [] as string[] },
  { label: 'qps 1000/burst 1000', flags: ['--kube-api-qps=1000', '--kube-api-burst=1000'] },
];
const RUN_DEADLINE_MS = 30 * 60_000;

interface Shape {
  readonly name: string;
  readonly nodes: number;
  readonly services: number;
}

interface Sample {
  readonly wallS: number;
  readonly cpuS: number;
  readonly rssMB: number;
  readonly writesPerNode: number;
  readonly writesPerService: number;
  readonly eventsWritten: number;
  readonly cloudCallsPerNode: number;
  /** Printed with each round, not a figure: where the cloud calls went. */
  readonly callsByMethod?: Readonly<Record<string, number>>;
}

const nodeName = (i: number): string => `bn-${String(i).padStart(5, '0')}`;

function kubeletNode(i: number): Node {
  const name = nodeName(i);
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: { taints: [{ key: UNINITIALIZED, value: 'true', effect: 'NoSchedule' }] },
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      addresses: [{ type: 'InternalIP', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }, { type: 'Hostname', address: name }],
    },
  };
}

function lbService(i: number): Service {
  const name = `bs-${String(i).padStart(5, '0')}`;
  return { metadata: { name, namespace: 'default' }, spec: { type: 'LoadBalancer', selector: { app: name }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }] } };
}

/** Runs `fn` over `items` with at most `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** Resolves once `pending(object)` is false for every object of `client` (list, then watch; bounded). */
async function untilNonePending<T extends Node | Service>(client: ResourceClient<T>, pending: (o: T) => boolean, signal: AbortSignal): Promise<void> {
  const waiting = new Set<string>();
  const key = (o: T): string => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
  const list = await client.list({ signal });
  for (const o of list.items) if (pending(o)) waiting.add(key(o));
  let rv = list.metadata.resourceVersion;
  while (waiting.size > 0) {
    signal.throwIfAborted();
    const stream = await client.watch({ resourceVersion: rv, timeoutSeconds: 60, signal });
    try {
      for await (const e of stream) {
        rv = e.object.metadata?.resourceVersion ?? rv;
        if (e.type === 'MODIFIED' && !pending(e.object)) waiting.delete(key(e.object));
        if (waiting.size === 0) break;
      }
    } finally {
      stream.close();
    }
  }
}

/** utime + stime of `pid`, in seconds (Linux /proc; clock ticks are 100 Hz on every Linux we run). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set size of `pid` (VmHWM), MB. */
function peakRssMB(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? NaN : Number(match[1]) / 1024;
}

async function wipe(cluster: KubeTestCluster, admin: ClientNodeKubeClient): Promise<void> {
  const services = (await admin.services.list()).items.filter((s) => s.metadata?.name !== 'kubernetes');
  await inBatches(services, 50, async (s) => {
    const path = `/api/v1/namespaces/${s.metadata?.namespace ?? 'default'}/services/${s.metadata?.name ?? ''}`;
    if ((s.metadata?.finalizers ?? []).length > 0) await cluster.request('PUT', path, { ...s, metadata: { ...s.metadata, finalizers: [] } });
    await cluster.request('DELETE', path);
  });
  await cluster.request('DELETE', '/api/v1/nodes');
  await cluster.request('DELETE', '/api/v1/namespaces/default/events');
  const deadline = Date.now() + 120_000;
  while ((await admin.nodes.list()).items.length > 0 || (await admin.services.list()).items.length > 1) {
    if (Date.now() > deadline) throw new Error('bench: the cluster could not be wiped within 2 minutes');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function oneRun(shape: Shape, which: Which, flags: readonly string[], ctx: { cluster: KubeTestCluster; admin: ClientNodeKubeClient; kubeconfig: Record<Which, string>; user: Record<Which, string>; dir: string; cloudConfig: string }, round: number): Promise<Sample> {
  const { cluster, admin } = ctx;
  await wipe(cluster, admin);
  const nodes = Array.from({ length: shape.nodes }, (_, i) => i);
  await inBatches(nodes, 40, (i) => admin.nodes.create(kubeletNode(i)));
  await inBatches(Array.from({ length: shape.services }, (_, i) => i), 40, (i) => admin.services.create(lbService(i)));
  const callLog = join(ctx.dir, `${which}-${round}-${flags.length}.calls.jsonl`);
  const writesBefore = (await cluster.auditedWrites()).length;
  const options = { kubeconfig: ctx.kubeconfig[which], cloudConfig: ctx.cloudConfig, callLog, flags: ['--controllers=*', ...flags] };
  const started = performance.now();
  const ccm = which === 'upstream' ? startReferenceCcm(options) : startOutriggerCcm(options);
  try {
    const signal = AbortSignal.timeout(RUN_DEADLINE_MS);
    const died = ccm.exited.then((code) => {
      throw new Error(`${which} CCM exited (${code}) during the benchmark:\n${ccm.tail(15)}`);
    });
    await Promise.race([
      Promise.all([
        untilNonePending(admin.nodes, (n) => (n.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED), signal),
        untilNonePending(admin.services, (s) => s.spec?.type === 'LoadBalancer' && (s.status?.loadBalancer?.ingress ?? []).length === 0, signal),
      ]),
      died,
    ]);
    const wallS = (performance.now() - started) / 1000;
    const cpuS = cpuSeconds(ccm.pid);
    const rssMB = peakRssMB(ccm.pid);
    const writes = (await cluster.auditedWrites()).slice(writesBefore).filter((w) => w.user === ctx.user[which]);
    const count = (resource: string): number => writes.filter((w) => w.resource === resource).length;
    const calls = countCallLog(callLog);
    return {
      wallS,
      cpuS,
      rssMB,
      writesPerNode: count('nodes') / shape.nodes,
      writesPerService: shape.services === 0 ? 0 : count('services') / shape.services,
      eventsWritten: count('events'),
      cloudCallsPerNode: [...calls.values()].reduce((a, b) => a + b, 0) / shape.nodes,
      callsByMethod: Object.fromEntries([...calls].sort()),
    };
  } finally {
    await ccm.stop();
    await rm(callLog, { force: true });
  }
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

function figures(label: string, samples: Record<Which, Sample[]>): Figure[] {
  const metrics: [Exclude<keyof Sample, 'callsByMethod'>, string, string][] = [
    ['wallS', 'wall until all initialised and ensured', 's'],
    ['cpuS', 'CPU of the CCM process', 's'],
    ['rssMB', 'peak RSS of the CCM process', 'MB'],
    ['writesPerNode', 'API writes per Node', 'writes'],
    ['writesPerService', 'API writes per Service', 'writes'],
    ['eventsWritten', 'Events written', 'events'],
    ['cloudCallsPerNode', 'cloud calls per Node', 'calls'],
  ];
  const out: Figure[] = [];
  for (const [key, what, unit] of metrics) {
    const up = samples.upstream.map((s) => s[key]);
    const ours = samples.outrigger.map((s) => s[key]);
    out.push({ label: `${label}: ${what}, upstream`, value: median(up), unit, range: [Math.min(...up), Math.max(...up)] });
    out.push({ label: `${label}: ${what}, Outrigger`, value: median(ours), unit, range: [Math.min(...ours), Math.max(...ours)] });
    if (median(up) > 0) out.push({ label: `${label}: ${what}, ratio Outrigger/upstream`, value: median(ours) / median(up), unit: '×' });
  }
  return out;
}

async function runShape(shape: Shape): Promise<Figure[]> {
  ensureKubeBinaries();
  referenceCcmBinary();
  const rounds = Number(process.env['OUTRIGGER_BENCH_ROUNDS'] ?? '2');
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`OUTRIGGER_BENCH_ROUNDS must be a positive integer, got ${process.env['OUTRIGGER_BENCH_ROUNDS']}`);
  const user = { upstream: 'ccm-upstream', outrigger: 'ccm-outrigger' };
  const cluster = await startKubeTestCluster({
    users: Object.values(user).map((name) => ({ name, groups: ['system:masters'] })),
    // 10,000 LoadBalancer Services need 10,000 node ports; the default range has 2,768 (the
    // 10,000-Service size failed with "failed to allocate a nodePort: range is full").
    apiserverArgs: ['--service-node-port-range=30000-44999'],
  });
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-bench-upstream-'));
  const admin = await createKubeClient({ kubeconfig: cluster.adminKubeconfig, qps: -1, userAgent: 'bench-admin', env: {} });
  try {
    const cloudConfig = join(dir, 'fake.json');
    const instances = Array.from({ length: shape.nodes }, (_, i) => ({ nodeName: nodeName(i), instanceType: 'm5.large', zone: `zone-${i % 3}`, region: 'region-1', addresses: kubeletNode(i).status?.addresses?.slice(0, 1) }));
    await writeFile(cloudConfig, JSON.stringify({ capabilities: ['instancesV2', 'loadBalancer'], instances, loadBalancerIPRange: '198.18.0.0/15' }));
    const ctx = {
      cluster,
      admin,
      user,
      dir,
      cloudConfig,
      kubeconfig: {
        upstream: await cluster.writeKubeconfig(user.upstream, cluster.tokenFor(user.upstream)),
        outrigger: await cluster.writeKubeconfig(user.outrigger, cluster.tokenFor(user.outrigger)),
      },
    };
    const out: Figure[] = [];
    for (const setting of SETTINGS) {
      const samples: Record<Which, Sample[]> = { upstream: [], outrigger: [] };
      for (let round = 0; round < rounds; round++) {
        const order: Which[] = round % 2 === 0 ? ['upstream', 'outrigger'] : ['outrigger', 'upstream'];
        for (const which of order) {
          const sample = await oneRun(shape, which, setting.flags, ctx, round);
          console.error(`bench ${shape.name} ${setting.label} round ${round + 1}/${rounds} ${which}: ${JSON.stringify(sample)}`);
          samples[which].push(sample);
        }
      }
      out.push(...figures(setting.label, samples));
    }
    return out;
  } finally {
    admin.close();
    await cluster.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const SHAPES: readonly Shape[] = [
  { name: 'upstream-1000-nodes: 1,000 kubelet-style Nodes + 200 LoadBalancer Services, upstream CCM vs Outrigger', nodes: 1000, services: 200 },
  { name: 'upstream-5000-nodes: 5,000 kubelet-style Nodes + 1,000 LoadBalancer Services, upstream CCM vs Outrigger', nodes: 5000, services: 1000 },
  { name: 'upstream-10000-services: 10,000 LoadBalancer Services × 1 joining Node, upstream CCM vs Outrigger', nodes: 1, services: 10000 },
];

export const benchmarks: readonly Benchmark[] = SHAPES.map((shape) => ({ name: shape.name, run: () => runShape(shape) }));
