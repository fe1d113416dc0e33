/**
 * Route controller figures: reconcile passes over 5,000 dual-stack Nodes (10,000 routes) against
 * the simulated API server and the fake cloud — the first pass (create everything, set every
 * condition), a steady-state pass (nothing to do), and a pass after 10% of the Nodes changed
 * address with address-tracking routes (delete + create each).
 */
import type { Node } from 'kubernetes-types/core/v1.js';
import { RealClock } from '../src/kube/clock.js';
import { EventBroadcaster } from '../src/kube/events.js';
import { SimulatedApiServer } from '../src/kube/memory/index.js';
import { NODES } from '../src/kube/resources.js';
import { SharedInformerFactory } from '../src/kube/shared-informers.js';
import { noopLogger } from '../src/log/logger.js';
import { RouteController, ROUTE_CONTROLLER_CLIENT_NAME, ROUTE_CONTROLLER_EVENT_COMPONENT } from '../src/controllers/route/index.js';
import { FakeCloudProvider } from '../src/providers/fake/index.js';
import type { Benchmark, Figure } from './harness.js';
import { timeIt } from './harness.js';

const NODE_COUNT = 5_000;
const CLUSTER = 'bench';

function node(i: number): Node {
  const hi = Math.floor(i / 256);
  const lo = i % 256;
  return {
    metadata: { name: `node-${i}` },
    spec: { podCIDR: `10.${64 + hi}.${lo}.0/24`, podCIDRs: [`10.${64 + hi}.${lo}.0/24`, `fd00:10:${(i >> 8).toString(16)}:${lo.toString(16)}00::/56`] },
  };
}

function address(i: number, generation: number): { type: string; address: string } {
  return { type: 'InternalIP', address: `172.${16 + generation}.${Math.floor(i / 256)}.${i % 256}` };
}

async function waitFor(predicate: () => boolean): Promise<void> {
  const clock = new RealClock();
  while (!predicate()) await clock.sleep(5);
}

const dualStackPass: Benchmark = {
  name: `route controller: passes over ${NODE_COUNT} dual-stack Nodes`,
  async run(): Promise<Figure[]> {
    const clock = new RealClock();
    const random = (): number => 0.5;
    const server = new SimulatedApiServer({ clock, random });
    const admin = server.client({ userAgent: 'bench' });
    for (let i = 0; i < NODE_COUNT; i++) {
      await admin.nodes.create(node(i));
      await admin.nodes.patchStatus({ name: `node-${i}` }, { type: 'strategic', body: { status: { addresses: [address(i, 0)] } } });
    }
    const cloud = new FakeCloudProvider({ clock, routeNodeAddresses: true, callHistoryLimit: 100 });
    const kube = server.client({ userAgent: ROUTE_CONTROLLER_CLIENT_NAME });
    const informers = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random });
    const broadcaster = new EventBroadcaster({ client: kube, clock, random });
    const controller = new RouteController(
      { kube, informers, cloud, recorder: broadcaster.newRecorder({ component: ROUTE_CONTROLLER_EVENT_COMPONENT }), clock, random, logger: noopLogger },
      { clusterName: CLUSTER, clusterCIDR: '10.64.0.0/10,fd00:10::/32' },
    );
    const abort = new AbortController();
    informers.start(abort.signal);
    await informers.waitForCacheSync(abort.signal);
    const nodeInformer = informers.informerFor(NODES);

    const figures: Figure[] = [];
    const measure = async (label: string): Promise<void> => {
      cloud.resetCalls();
      server.resetRequestCounts();
      let created = 0;
      let deleted = 0;
      let conditions = 0;
      const ms = await timeIt(async () => {
        const result = await controller.reconcileOnce(abort.signal);
        created = result.created;
        deleted = result.deleted;
        conditions = result.conditionUpdates;
      });
      figures.push(
        { label: `${label}: wall time`, value: ms, unit: 'ms' },
        { label: `${label}: cloud calls (list+create+delete)`, value: cloud.callCount(), unit: 'calls' },
        { label: `${label}: routes created / deleted`, value: created + deleted, unit: `(${created} / ${deleted})` },
        { label: `${label}: NetworkUnavailable patches`, value: conditions, unit: 'patches' },
      );
    };

    await measure('first pass');
    // Let the informer see the condition patches before the steady-state pass.
    await waitFor(() => nodeInformer.list().every((n) => n.status?.conditions?.some((c) => c.type === 'NetworkUnavailable') === true));
    await measure('steady pass');

    const changed = NODE_COUNT / 10;
    for (let i = 0; i < changed; i++) {
      await admin.nodes.patchStatus({ name: `node-${i}` }, { type: 'strategic', body: { status: { addresses: [address(i, 1)] } } });
    }
    await waitFor(() => nodeInformer.get(`node-${changed - 1}`)?.status?.addresses?.[0]?.address === address(changed - 1, 1).address);
    await measure(`${changed} Nodes re-addressed`);

    abort.abort();
    await informers.shutdown();
    await broadcaster.shutdown();
    return figures;
  },
};

/** Route controller benchmarks. */
export const benchmarks: readonly Benchmark[] = [dualStackPass];
