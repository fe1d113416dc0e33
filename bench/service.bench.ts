/**
 * Service controller figures: 10,000 LoadBalancer Services × 5,000 Nodes on the simulated API and
 * the fake cloud; one Node joins ⇒ exactly one UpdateLoadBalancer per Service. Prints the setup
 * time, the host-update pass's CPU and wall time, cloud calls and API patches of the pass.
 *
 * Sizes: `SERVICE_BENCH_SERVICES` and `SERVICE_BENCH_NODES` override the defaults.
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../src/kube/clock.js';
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
const UA = 'service-controller';

function node(i: number): Node {
  return { metadata: { name: `node-${i}` }, spec: { providerID: `fake://node-${i}` }, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
}

function service(i: number): Service {
  return {
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30000 + (i % 2000) }] },
  };
}

const joinOneNode: Benchmark = {
  name: `service controller: ${SERVICES} LB Services × ${NODES} Nodes, one Node joins`,
  async run(): Promise<Figure[]> {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock, historyLimit: 100_000 });
    const admin = server.client({ userAgent: 'bench' });
    const kube = server.client({ userAgent: UA });
    for (let i = 0; i < NODES; i++) await admin.nodes.create(node(i));
    for (let i = 0; i < SERVICES; i++) await admin.services.create(service(i));
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
    const settle = async (): Promise<void> => {
      let idle = 0;
      while (idle < 4) {
        await clock.advance(0);
        idle = controller.isIdle() ? idle + 1 : 0;
      }
    };
    const patches = (): number =>
      server
        .requestCounts()
        .filter((c) => c.userAgent === UA && c.verb === 'patch' && c.resource === 'services/status')
        .reduce((n, c) => n + c.count, 0);

    informers.start(stop.signal);
    const running = controller.run(stop.signal);
    const setupMs = await timeIt(settle);
    const ensures = cloud.callCount('ensureLoadBalancer');
    const setupPatches = patches();

    cloud.resetCalls();
    server.resetRequestCounts();
    const computationsBefore = controller.nodeSetComputations;
    const cpuBefore = process.cpuUsage();
    const passMs = await timeIt(async () => {
      await admin.nodes.create(node(NODES));
      await settle();
    });
    const cpu = process.cpuUsage(cpuBefore);
    const updates = cloud.callCount('updateLoadBalancer');
    const lbWithNewNode = cloud.loadBalancers().filter((lb) => lb.nodes.length === NODES + 1).length;
    if (updates !== SERVICES || lbWithNewNode !== SERVICES) {
      throw new Error(`expected exactly one UpdateLoadBalancer per Service: ${updates} updates, ${lbWithNewNode} of ${SERVICES} load balancers updated`);
    }
    const passPatches = patches();
    const computations = controller.nodeSetComputations - computationsBefore;

    stop.abort();
    await running;
    await informers.shutdown();
    await broadcaster.shutdown().catch(() => undefined);
    return [
      { label: 'setup: initial Ensures', value: ensures, unit: 'calls' },
      { label: 'setup: services/status patches (finalizer + status)', value: setupPatches, unit: 'patches' },
      { label: 'setup: wall time (create + sync all)', value: setupMs, unit: 'ms' },
      { label: 'join: UpdateLoadBalancer calls (one per Service)', value: updates, unit: 'calls' },
      { label: 'join: services/status patches', value: passPatches, unit: 'patches' },
      { label: 'join: node-set computations', value: computations, unit: 'times' },
      { label: 'join: pass CPU time (user + system)', value: (cpu.user + cpu.system) / 1000, unit: 'ms' },
      { label: 'join: pass wall time (incl. fake cloud + events)', value: passMs, unit: 'ms' },
    ];
  },
};

/** The benchmarks of this file. */
export const benchmarks: readonly Benchmark[] = [joinOneNode];
