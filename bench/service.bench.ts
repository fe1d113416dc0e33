/**
 * Service controller figures on the simulated API and the fake cloud:
 * - **one Node joins**: 10,000 LoadBalancer Services × 5,000 Nodes; one Node joins ⇒ exactly one
 *   UpdateLoadBalancer per Service. Prints the setup time, the host-update pass's CPU and wall
 *   time, cloud calls and API patches of the pass.
 * - **a burst of joins**: 5,000 Nodes join one per virtual millisecond with 1 and with 100
 *   Services: host-update passes, UpdateLoadBalancer calls (at most one per Service per 1 s
 *   window, plus the final pass) and the CPU of the whole burst.
 *
 * Sizes: `SERVICE_BENCH_SERVICES` and `SERVICE_BENCH_NODES` override the defaults of the first,
 * `SERVICE_BENCH_BURST` the number of joining Nodes of the second.
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../src/kube/clock.js';
import type { KubeClient } from '../src/kube/client.js';
import { EventBroadcaster } from '../src/kube/events.js';
import { SimulatedApiServer } from '../src/kube/memory/index.js';
import { SharedInformerFactory } from '../src/kube/shared-informers.js';
import { noopLogger } from '../src/log/logger.js';
import { ServiceController, SERVICE_CONTROLLER_EVENT_SOURCE } from '../src/controllers/service/service-controller.js';
import { FakeCloudProvider } from '../src/providers/fake/fake-provider.js';
import type { Benchmark, Figure } from './harness.js';
import { timeIt } from './harness.js';

const SERVICES = Number(process.env['SERVICE_BENCH_SERVICES'] ?? 10_000);
const NODES = Number(process.env['SERVICE_BENCH_NODES'] ?? 5_000);
const BURST = Number(process.env['SERVICE_BENCH_BURST'] ?? 5_000);
const UA = 'service-controller';

function node(i: number): Node {
  return { metadata: { name: `node-${i}` }, spec: { providerID: `fake://node-${i}` }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
}

function service(i: number): Service {
  // No node ports: 10,000 Services would not fit the default node port range (30000–32767).
  return {
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ name: 'http', protocol: 'TCP', port: 80 }] },
  };
}

interface Rig {
  readonly clock: FakeClock;
  readonly server: SimulatedApiServer;
  readonly admin: KubeClient;
  readonly cloud: FakeCloudProvider;
  readonly controller: ServiceController;
  settle(): Promise<void>;
  patches(): number;
  stop(): Promise<void>;
}

async function rig(nodes: number, services: number): Promise<Rig> {
  const clock = new FakeClock();
  const server = new SimulatedApiServer({ clock, historyLimit: 100_000 });
  const admin = server.client({ userAgent: 'bench' });
  const kube = server.client({ userAgent: UA });
  for (let i = 0; i < nodes; i++) await admin.nodes.create(node(i));
  for (let i = 0; i < services; i++) await admin.services.create(service(i));
  // Recording is off: keeping deep copies of 5,000 Nodes per call would measure the fake, not the controller.
  const cloud = new FakeCloudProvider({ clock, capabilities: ['loadBalancer'], loadBalancerIPRange: '10.128.0.0/9', copyCallArgs: false, callHistoryLimit: 1 });
  const random = (): number => 0.5;
  const informers = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random });
  const broadcaster = new EventBroadcaster({ client: kube, clock, random });
  const controller = new ServiceController(
    { kube, informers, cloud, recorder: broadcaster.newRecorder({ component: SERVICE_CONTROLLER_EVENT_SOURCE }), clock, random, logger: noopLogger },
    { concurrentServiceSyncs: 1 },
  );
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  return {
    clock,
    server,
    admin,
    cloud,
    controller,
    // Runs what can run now; while work is owed (a host-update pass folded to the end of its
    // 1 s interval), lets virtual time pass to the next timer.
    async settle() {
      let idle = 0;
      while (idle < 4) {
        await clock.advance(0);
        idle = controller.isIdle() ? idle + 1 : 0;
        const next = clock.nextTimerAt();
        if (idle === 0 && next !== undefined && next > clock.now()) await clock.advanceTo(next);
      }
    },
    patches: () =>
      server
        .requestCounts()
        .filter((c) => c.userAgent === UA && c.verb === 'patch' && c.resource === 'services/status')
        .reduce((n, c) => n + c.count, 0),
    async stop() {
      stop.abort();
      await running;
      await informers.shutdown();
      await broadcaster.shutdown().catch(() => undefined);
    },
  };
}

const joinOneNode: Benchmark = {
  name: `service controller: ${SERVICES} LB Services × ${NODES} Nodes, one Node joins`,
  async run(): Promise<Figure[]> {
    const r = await rig(NODES, SERVICES);
    const setupMs = await timeIt(() => r.settle());
    const ensures = r.cloud.callCount('ensureLoadBalancer');
    const setupPatches = r.patches();
    // Past the interval of the last start-up pass: the join's pass runs at once.
    await r.clock.advance(1_000);
    await r.settle();

    r.cloud.resetCalls();
    r.server.resetRequestCounts();
    const computationsBefore = r.controller.nodeSetComputations;
    const cpuBefore = process.cpuUsage();
    const passMs = await timeIt(async () => {
      await r.admin.nodes.create(node(NODES));
      await r.settle();
    });
    const cpu = process.cpuUsage(cpuBefore);
    const updates = r.cloud.callCount('updateLoadBalancer');
    const lbWithNewNode = r.cloud.loadBalancers().filter((lb) => lb.nodes.length === NODES + 1).length;
    if (updates !== SERVICES || lbWithNewNode !== SERVICES) {
      throw new Error(`expected exactly one UpdateLoadBalancer per Service: ${updates} updates, ${lbWithNewNode} of ${SERVICES} load balancers updated`);
    }
    const passPatches = r.patches();
    const computations = r.controller.nodeSetComputations - computationsBefore;
    await r.stop();
    return [
      { label: 'setup: initial Ensures', value: ensures, unit: 'calls' },
      { label: 'setup: services/status patches (finalizer + status)', value: setupPatches, unit: 'patches' },
      { label: 'setup: wall time (create + sync all)', value: setupMs, unit: 'ms' },
      { label: 'join: UpdateLoadBalancer calls (one per Service)', value: updates, unit: 'calls' },
      { label: 'join: services/status patches', value: passPatches, unit: 'patches' },
      { label: 'join: node-set snapshots', value: computations, unit: 'times' },
      { label: 'join: pass CPU time (user + system)', value: (cpu.user + cpu.system) / 1000, unit: 'ms' },
      { label: 'join: pass wall time (incl. fake cloud + events)', value: passMs, unit: 'ms' },
    ];
  },
};

function burst(services: number): Benchmark {
  return {
    name: `service controller: ${BURST} Nodes join one per ms with ${services} LB Service${services === 1 ? '' : 's'}`,
    async run(): Promise<Figure[]> {
      const r = await rig(0, services);
      await r.settle();
      await r.clock.advance(1_000);
      await r.settle();
      r.cloud.resetCalls();
      const passes = r.controller.nodeSyncPasses;
      const snapshots = r.controller.nodeSetComputations;
      const cpuBefore = process.cpuUsage();
      for (let i = 0; i < BURST; i++) {
        await r.admin.nodes.create(node(i));
        await r.clock.advance(1);
      }
      await r.settle();
      const cpu = process.cpuUsage(cpuBefore);
      const complete = r.cloud.loadBalancers().filter((lb) => lb.nodes.length === BURST).length;
      await r.stop();
      return [
        { label: 'host-update passes', value: r.controller.nodeSyncPasses - passes, unit: 'passes' },
        { label: 'UpdateLoadBalancer calls', value: r.cloud.callCount('updateLoadBalancer'), unit: 'calls' },
        { label: 'node-set snapshots', value: r.controller.nodeSetComputations - snapshots, unit: 'times' },
        { label: 'load balancers on the final set', value: complete, unit: `of ${services}` },
        { label: 'CPU of the burst (API writes included)', value: (cpu.user + cpu.system) / 1000, unit: 'ms' },
      ];
    },
  };
}

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [joinOneNode, burst(1), burst(100)];
