import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, NodeAddress, NodeCondition } from 'kubernetes-types/core/v1.js';
import { FakeCloudProvider, type FakeRouteSeed } from '../../providers/fake/index.js';
import { FakeClock } from '../../kube/clock.js';
import { apiErrors } from '../../kube/errors.js';
import { EventBroadcaster } from '../../kube/events.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import { NODES } from '../../kube/resources.js';
import { SharedInformerFactory } from '../../kube/shared-informers.js';
import { MemoryLogSink, createLogger, noopLogger } from '../../log/logger.js';
import { QueueWatch } from '../../simulation/runner/queue-watch.js';
import { settle } from '../../testing/settle.js';
import type { ControllerContext } from '../context.js';
import {
  REASON_FAILED_TO_CREATE_ROUTE,
  ROUTE_CONTROLLER_CLIENT_NAME,
  ROUTE_CONTROLLER_EVENT_COMPONENT,
  RouteController,
  RouteControllerConfigError,
  nodeUpdateAffectsRoutes,
  type RouteControllerOptions,
} from './route-controller.js';

const CLUSTER = 'my-k8s';
const ip = (address: string): NodeAddress => ({ type: 'InternalIP', address });

/** A Node as a test declares it: name, pod CIDRs, addresses and (optionally) a pre-set condition. */
interface NodeSpec {
  readonly name: string;
  readonly podCIDRs?: readonly string[];
  readonly addresses?: readonly string[];
  readonly condition?: Pick<NodeCondition, 'status' | 'reason' | 'message'>;
}

const node1: NodeSpec = { name: 'node-1', podCIDRs: ['10.120.0.0/24'], addresses: ['10.0.1.1'] };
const node2: NodeSpec = { name: 'node-2', podCIDRs: ['10.120.1.0/24'], addresses: ['10.0.2.1'] };
const nodeNoCidr: NodeSpec = { name: 'node-2', addresses: ['10.0.5.1'] };
const node3: NodeSpec = { name: 'node-3', podCIDRs: ['10.120.0.0/24', 'a00:100::/24'], addresses: ['10.0.3.1'] };
const node4: NodeSpec = { name: 'node-4', podCIDRs: ['10.120.1.0/24', 'a00:200::/24'], addresses: ['10.0.4.1'] };
const nodeDuplicateCidr: NodeSpec = { name: 'node-4', podCIDRs: ['10.120.1.0/24', '10.120.1.0/24'], addresses: ['10.0.4.1'] };

const route = (targetNode: string, destinationCIDR: string, address?: string, extra: Partial<FakeRouteSeed> = {}): FakeRouteSeed => ({
  targetNode,
  destinationCIDR,
  ...(address === undefined ? {} : { targetNodeAddresses: [ip(address)] }),
  ...extra,
});

interface SetupOptions {
  readonly nodes: readonly NodeSpec[];
  readonly routes?: readonly FakeRouteSeed[];
  readonly dualStack?: boolean;
  /** The fake lists routes with `enableNodeAddresses` (upstream cases whose routes set it). */
  readonly routeNodeAddresses?: boolean;
  readonly options?: RouteControllerOptions;
}

async function setup(o: SetupOptions) {
  const clock = new FakeClock();
  let uid = 0;
  const server = new SimulatedApiServer({ clock, newUid: () => `uid-${++uid}`, random: () => 0.5 });
  const admin = server.client({ userAgent: 'test' });
  for (const n of o.nodes) {
    const podCIDRs = n.podCIDRs === undefined ? {} : { podCIDR: n.podCIDRs[0] ?? '', podCIDRs: [...n.podCIDRs] };
    await admin.nodes.create({ metadata: { name: n.name }, spec: podCIDRs });
    const conditions = n.condition === undefined ? [] : [{ type: 'NetworkUnavailable', ...n.condition }];
    await admin.nodes.patchStatus(
      { name: n.name },
      { type: 'strategic', body: { status: { addresses: (n.addresses ?? []).map(ip), ...(conditions.length > 0 ? { conditions } : {}) } } },
    );
  }
  const cloud = new FakeCloudProvider({ clock, routeNodeAddresses: o.routeNodeAddresses ?? false });
  for (const r of o.routes ?? []) cloud.putRoute(CLUSTER, r);
  const kube = server.client({ userAgent: ROUTE_CONTROLLER_CLIENT_NAME });
  const informers = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random: () => 0.5 });
  const broadcaster = new EventBroadcaster({ client: kube, clock, random: () => 0.5 });
  const logs = new MemoryLogSink();
  const queues = new QueueWatch();
  const ctx: ControllerContext = {
    kube,
    informers,
    cloud,
    recorder: broadcaster.newRecorder({ component: ROUTE_CONTROLLER_EVENT_COMPONENT }),
    clock,
    random: () => 0.5,
    logger: createLogger(logs.sink, 4),
    workQueueMetrics: queues,
  };
  const controller = new RouteController(ctx, {
    clusterName: CLUSTER,
    clusterCIDR: o.dualStack === true ? '10.120.0.0/16,ace:cab:deca::/8' : '10.120.0.0/16',
    ...o.options,
  });
  const abort = new AbortController();
  informers.start(abort.signal);
  assert.equal(await informers.waitForCacheSync(abort.signal), true);
  server.resetRequestCounts();

  const nodeInformer = informers.informerFor(NODES);
  return {
    clock,
    server,
    cloud,
    kube,
    controller,
    broadcaster,
    logs,
    abort,
    nodeInformer,
    /** The NetworkUnavailable condition of a Node on the server. */
    condition(name: string): NodeCondition | undefined {
      const node = server.snapshot(NODES).find((n) => n.metadata?.name === name);
      return node?.status?.conditions?.find((c) => c.type === 'NetworkUnavailable');
    },
    /** Cloud routes as `node cidr [addresses]`, sorted. */
    routes(): string[] {
      return cloud
        .routesState(CLUSTER)
        .map((r) => `${r.targetNode} ${r.destinationCIDR} [${r.targetNodeAddresses.map((a) => a.address).join(',')}]${r.blackhole ? ' blackhole' : ''}`)
        .sort();
    },
    /** nodes/status patches the controller sent. */
    conditionPatches(): number {
      return server
        .requestCounts()
        .filter((c) => c.userAgent === ROUTE_CONTROLLER_CLIENT_NAME && c.verb === 'patch' && c.resource === 'nodes/status')
        .reduce((sum, c) => sum + c.count, 0);
    },
    /** Every API write by the controller other than events. */
    nonEventWrites(): number {
      return server
        .requestCounts()
        .filter((c) => c.userAgent === ROUTE_CONTROLLER_CLIENT_NAME && c.verb !== 'get' && c.verb !== 'list' && c.verb !== 'watch' && !c.resource.startsWith('events'))
        .reduce((sum, c) => sum + c.count, 0);
    },
    async events(): Promise<{ reason: string; type: string; node: string; message: string; component: string }[]> {
      await broadcaster.flush();
      const list = await kube.events.list();
      return list.items.map((e) => ({
        reason: e.reason ?? '',
        type: e.type ?? '',
        node: e.involvedObject.name ?? '',
        message: e.message ?? '',
        component: e.source?.component ?? '',
      }));
    },
    /** Lets the informer see what was written, and the controller finish what it owes (see the shared `settle`). */
    settle: (): Promise<boolean> => settle(clock, { queues }),
    /** One pass, then lets the informer see the controller's writes. */
    async pass() {
      const result = await controller.reconcileOnce(abort.signal);
      await settle(clock, { queues });
      return result;
    },
    async stop(): Promise<void> {
      abort.abort();
      await informers.shutdown();
      await broadcaster.shutdown();
    },
  };
}

type Expected = 'False' | 'True' | 'untouched';

interface ReconcileCase {
  readonly description: string;
  readonly dualStack?: boolean;
  readonly routeNodeAddresses?: boolean;
  readonly nodes: readonly NodeSpec[];
  readonly initialRoutes: readonly FakeRouteSeed[];
  /** `node cidr [addresses]` as {@link setup}'s routes() prints them. */
  readonly expectedRoutes: readonly string[];
  /** NetworkUnavailable per node, in `nodes` order (upstream's tests never checked it). */
  readonly expectedNetworkUnavailable: readonly Expected[];
  readonly creates: number;
  readonly deletes: number;
}

// The cases of upstream's TestReconcile, with the same names, plus the ones the issue asks for.
const reconcileCases: readonly ReconcileCase[] = [
  {
    description: 'routes have no TargetNodeAddresses at the beginning',
    dualStack: true,
    routeNodeAddresses: true,
    nodes: [node3, node4],
    initialRoutes: [route('node-3', '10.120.0.0/24'), route('node-4', '10.120.1.0/24'), route('node-3', 'a00:100::/24'), route('node-4', 'a00:200::/24')],
    expectedRoutes: ['node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]', 'node-4 10.120.1.0/24 [10.0.4.1]', 'node-4 a00:200::/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 4,
    deletes: 4,
  },
  {
    description: "routes' TargetNodeAddresses changed",
    dualStack: true,
    routeNodeAddresses: true,
    nodes: [node3, node4],
    initialRoutes: [
      route('node-3', '10.120.0.0/24', '10.0.13.1'),
      route('node-4', '10.120.1.0/24', '10.0.14.1'),
      route('node-3', 'a00:100::/24', '10.0.13.1'),
      route('node-4', 'a00:200::/24', '10.0.14.1'),
    ],
    expectedRoutes: ['node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]', 'node-4 10.120.1.0/24 [10.0.4.1]', 'node-4 a00:200::/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 4,
    deletes: 4,
  },
  {
    description: 'multicidr 2 nodes and no routes',
    dualStack: true,
    nodes: [node3, node4],
    initialRoutes: [],
    expectedRoutes: ['node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]', 'node-4 10.120.1.0/24 [10.0.4.1]', 'node-4 a00:200::/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 4,
    deletes: 0,
  },
  {
    description: 'multicidr 2 nodes and all routes created',
    dualStack: true,
    nodes: [node3, node4],
    initialRoutes: [
      route('node-3', '10.120.0.0/24', '10.0.3.1'),
      route('node-4', '10.120.1.0/24', '10.0.4.1'),
      route('node-3', 'a00:100::/24', '10.0.3.1'),
      route('node-4', 'a00:200::/24', '10.0.4.1'),
    ],
    expectedRoutes: ['node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]', 'node-4 10.120.1.0/24 [10.0.4.1]', 'node-4 a00:200::/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 0,
    deletes: 0,
  },
  {
    description: 'multicidr 2 nodes and few wrong routes',
    dualStack: true,
    nodes: [node3, node4],
    initialRoutes: [
      route('node-3', '10.120.1.0/24', '10.0.3.1'),
      route('node-4', '10.120.0.0/24', '10.0.4.1'),
      route('node-3', 'a00:200::/24', '10.0.3.1'),
      route('node-4', 'a00:100::/24', '10.0.4.1'),
    ],
    expectedRoutes: ['node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]', 'node-4 10.120.1.0/24 [10.0.4.1]', 'node-4 a00:200::/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 4,
    deletes: 4,
  },
  {
    description: 'multicidr 2 nodes and some routes created',
    dualStack: true,
    nodes: [node3, node4],
    initialRoutes: [route('node-3', '10.120.0.0/24', '10.0.3.1'), route('node-4', 'a00:200::/24', '10.0.4.1')],
    expectedRoutes: ['node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]', 'node-4 10.120.1.0/24 [10.0.4.1]', 'node-4 a00:200::/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 2,
    deletes: 0,
  },
  {
    description: 'multicidr 2 nodes and too many routes',
    dualStack: true,
    nodes: [node3, node4],
    initialRoutes: [
      route('node-3', '10.120.0.0/24', '10.0.3.1'),
      route('node-4', '10.120.1.0/24', '10.0.4.1'),
      route('node-x', '10.120.2.0/24', '10.0.5.1'),
      route('node-3', 'a00:100::/24', '10.0.3.1'),
      route('node-4', 'a00:200::/24', '10.0.4.1'),
      route('node-y', 'a00:300::/24', '10.0.6.1'),
    ],
    expectedRoutes: ['node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]', 'node-4 10.120.1.0/24 [10.0.4.1]', 'node-4 a00:200::/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 0,
    deletes: 2,
  },
  {
    description: 'single cidr 2 nodes and routes created',
    nodes: [node1, node2],
    initialRoutes: [route('node-1', '10.120.0.0/24', '10.0.1.1'), route('node-2', '10.120.1.0/24', '10.0.2.1')],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 0,
    deletes: 0,
  },
  {
    description: 'single cidr node ips changed so routes should be updated',
    routeNodeAddresses: true,
    nodes: [node1, node2],
    initialRoutes: [route('node-1', '10.120.0.0/24', '10.0.1.2'), route('node-2', '10.120.1.0/24', '10.0.2.2')],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 2,
    deletes: 2,
  },
  {
    description: 'single cidr 2 nodes and one route created',
    nodes: [node1, node2],
    initialRoutes: [route('node-1', '10.120.0.0/24', '10.0.1.1')],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 1,
    deletes: 0,
  },
  {
    description: 'single cidr 2 nodes and no routes',
    nodes: [node1, node2],
    initialRoutes: [],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 2,
    deletes: 0,
  },
  {
    description: 'single cidr 2 nodes and too many routes',
    nodes: [node1, node2],
    initialRoutes: [
      route('node-1', '10.120.0.0/24', '10.0.1.1'),
      route('node-2', '10.120.1.0/24', '10.0.2.1'),
      route('node-3', '10.120.2.0/24', '10.0.3.1'),
      route('node-4', '10.120.3.0/24', '10.0.4.1'),
    ],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 0,
    deletes: 2,
  },
  {
    description: 'single cidr 2 nodes and 2 routes with 1 incorrect',
    nodes: [node1, node2],
    initialRoutes: [route('node-1', '10.120.0.0/24', '10.0.1.1'), route('node-3', '10.120.2.0/24', '10.0.2.1')],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 1,
    deletes: 1,
  },
  {
    description: 'single cidr 2 nodes and one node without cidr assigned',
    nodes: [node1, nodeNoCidr],
    initialRoutes: [],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]'],
    // A Node without pod CIDRs and without routes is none of the controller's business.
    expectedNetworkUnavailable: ['False', 'untouched'],
    creates: 1,
    deletes: 0,
  },
  {
    description: 'single cidr node without cidr but with a leftover route loses the route and gets NetworkUnavailable=True',
    nodes: [node1, nodeNoCidr],
    initialRoutes: [route('node-2', '10.120.1.0/24', '10.0.5.1')],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]'],
    expectedNetworkUnavailable: ['False', 'True'],
    creates: 1,
    deletes: 1,
  },
  {
    description: 'single cidr 2 nodes and an extra blackhole route in our range',
    nodes: [node1, node2],
    initialRoutes: [
      route('node-1', '10.120.0.0/24', '10.0.1.1'),
      route('node-2', '10.120.1.0/24', '10.0.2.1'),
      route('', '10.120.2.0/24', '10.0.100.1', { name: 'blackhole', blackhole: true }),
    ],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 0,
    deletes: 1,
  },
  {
    description: 'single cidr 2 nodes and an extra blackhole route not in our range',
    nodes: [node1, node2],
    initialRoutes: [
      route('node-1', '10.120.0.0/24', '10.0.1.1'),
      route('node-2', '10.120.1.0/24', '10.0.2.1'),
      route('', '10.1.2.0/24', '10.0.100.1', { name: 'blackhole', blackhole: true }),
    ],
    expectedRoutes: [' 10.1.2.0/24 [10.0.100.1] blackhole', 'node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]'],
    expectedNetworkUnavailable: ['False', 'False'],
    creates: 0,
    deletes: 0,
  },
  {
    description: 'dual-stack blackhole in the IPv6 cluster CIDR is deleted, one outside both is kept',
    dualStack: true,
    nodes: [node3],
    initialRoutes: [
      route('node-3', '10.120.0.0/24', '10.0.3.1'),
      route('node-3', 'a00:100::/24', '10.0.3.1'),
      route('', 'a00:900::/24', undefined, { name: 'bh-in', blackhole: true }),
      route('', 'fd00::/64', undefined, { name: 'bh-out', blackhole: true }),
    ],
    expectedRoutes: [' fd00::/64 [] blackhole', 'node-3 10.120.0.0/24 [10.0.3.1]', 'node-3 a00:100::/24 [10.0.3.1]'],
    expectedNetworkUnavailable: ['False'],
    creates: 0,
    deletes: 1,
  },
  {
    description: 'a foreign route outside the cluster CIDR to an unknown node is left alone',
    nodes: [node1],
    initialRoutes: [route('node-1', '10.120.0.0/24', '10.0.1.1'), route('other-cluster-node', '10.200.0.0/24', '10.9.9.9')],
    expectedRoutes: ['node-1 10.120.0.0/24 [10.0.1.1]', 'other-cluster-node 10.200.0.0/24 [10.9.9.9]'],
    expectedNetworkUnavailable: ['False'],
    creates: 0,
    deletes: 0,
  },
  {
    description: 'duplicate pod cidr',
    nodes: [nodeDuplicateCidr],
    initialRoutes: [],
    // De-duplicated: one route, one call, and the Node is reachable (upstream calls twice and fails once).
    expectedRoutes: ['node-4 10.120.1.0/24 [10.0.4.1]'],
    expectedNetworkUnavailable: ['False'],
    creates: 1,
    deletes: 0,
  },
];

describe('RouteController reconcile (upstream TestReconcile cases, on the simulated API and the fake cloud)', () => {
  for (const c of reconcileCases) {
    it(c.description, async () => {
      const h = await setup({ nodes: c.nodes, routes: c.initialRoutes, dualStack: c.dualStack ?? false, routeNodeAddresses: c.routeNodeAddresses ?? false });
      try {
        const result = await h.pass();
        assert.deepEqual(h.routes(), [...c.expectedRoutes].sort());
        assert.equal(h.cloud.callCount('listRoutes'), 1);
        assert.equal(h.cloud.callCount('createRoute'), c.creates, 'createRoute calls');
        assert.equal(h.cloud.callCount('deleteRoute'), c.deletes, 'deleteRoute calls');
        assert.equal(result.createFailures + result.deleteFailures, 0);
        // Created routes carry the Node UID as the name hint.
        for (const call of h.cloud.calls('createRoute')) {
          const [cluster, nameHint, created] = call.args;
          assert.equal(cluster, CLUSTER);
          assert.equal(nameHint, h.nodeInformer.get(created.targetNode)?.metadata?.uid);
        }
        let expectedPatches = 0;
        c.nodes.forEach((n, i) => {
          const want = c.expectedNetworkUnavailable[i];
          const got = h.condition(n.name);
          if (want === 'untouched') {
            assert.equal(got, undefined, `${n.name}: NetworkUnavailable must not be written`);
            return;
          }
          expectedPatches++;
          assert.equal(got?.status, want, `${n.name}: NetworkUnavailable status`);
          assert.equal(got?.reason, want === 'False' ? 'RouteCreated' : 'NoRouteCreated');
          assert.equal(got?.message, want === 'False' ? 'RouteController created a route' : 'RouteController failed to create a route');
          assert.equal(got?.lastTransitionTime, '2026-01-01T00:00:00Z');
          assert.equal(got?.lastHeartbeatTime, '2026-01-01T00:00:00Z');
        });
        assert.equal(h.conditionPatches(), expectedPatches, 'one status patch per node the pass decided on');
        assert.equal(h.nonEventWrites(), expectedPatches, 'no other API writes');
        assert.deepEqual(await h.events(), [], 'no events when every call succeeds');

        // A second pass is a no-op: nothing to create or delete, conditions already right.
        h.cloud.resetCalls();
        h.server.resetRequestCounts();
        await h.pass();
        assert.equal(h.cloud.callCount('createRoute') + h.cloud.callCount('deleteRoute'), 0, 'second pass changes nothing in the cloud');
        assert.equal(h.conditionPatches(), 0, 'second pass writes no condition');
      } finally {
        await h.stop();
      }
    });
  }
});

describe('RouteController NetworkUnavailable condition (upstream TestUpdateNetworkingCondition)', () => {
  const cases: readonly { description: string; existing?: NodeSpec['condition']; routesCreated: boolean; expectedUpdate: boolean }[] = [
    { description: 'No existing condition, routes created - should update', routesCreated: true, expectedUpdate: true },
    { description: 'No existing condition, routes not created - should update', routesCreated: false, expectedUpdate: true },
    {
      description: 'Existing condition with same status and reason (RouteCreated) - should not update',
      existing: { status: 'False', reason: 'RouteCreated', message: 'RouteController created a route' },
      routesCreated: true,
      expectedUpdate: false,
    },
    {
      description: 'Existing condition with same status but different reason (CalicoIsUp) - should update',
      existing: { status: 'False', reason: 'CalicoIsUp', message: 'Calico is running on this node' },
      routesCreated: true,
      expectedUpdate: true,
    },
    {
      description: 'Existing condition with Status=True and different reason - should update when routes not created',
      existing: { status: 'True', reason: 'SomeOtherReason', message: 'Some other message' },
      routesCreated: false,
      expectedUpdate: true,
    },
    {
      description: 'Existing condition with Status=False, transitioning to routes not created - should update',
      existing: { status: 'False', reason: 'RouteCreated', message: 'RouteController created a route' },
      routesCreated: false,
      expectedUpdate: true,
    },
    {
      description: 'Existing condition with Status=True and NoRouteCreated reason - should not update',
      existing: { status: 'True', reason: 'NoRouteCreated', message: 'RouteController failed to create a route' },
      routesCreated: false,
      expectedUpdate: false,
    },
  ];
  for (const c of cases) {
    it(c.description, async () => {
      const n: NodeSpec = { ...node1, ...(c.existing === undefined ? {} : { condition: c.existing }) };
      const h = await setup({ nodes: [n], routes: c.routesCreated ? [route('node-1', '10.120.0.0/24', '10.0.1.1')] : [] });
      try {
        // "Routes not created": every create fails.
        if (!c.routesCreated) h.cloud.failAlways('createRoute', new Error('quota exceeded'));
        await h.clock.advance(3_000); // so a rewritten condition carries a new timestamp
        await h.pass();
        assert.equal(h.conditionPatches(), c.expectedUpdate ? 1 : 0);
        const got = h.condition('node-1');
        assert.equal(got?.status, c.routesCreated ? 'False' : 'True');
        if (c.expectedUpdate) {
          assert.equal(got?.reason, c.routesCreated ? 'RouteCreated' : 'NoRouteCreated');
          assert.equal(got?.lastTransitionTime, '2026-01-01T00:00:03Z');
        } else {
          assert.equal(got?.reason, c.existing?.reason);
        }
      } finally {
        await h.stop();
      }
    });
  }

  it('patches only its own condition and keeps the kubelet conditions', async () => {
    const h = await setup({ nodes: [node1] });
    try {
      await h.kube.nodes.patchStatus({ name: 'node-1' }, { type: 'strategic', body: { status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] } } });
      await h.settle();
      await h.pass();
      const node = h.server.snapshot(NODES).find((x) => x.metadata?.name === 'node-1');
      assert.deepEqual(node?.status?.conditions?.map((x) => `${x.type}=${x.status}`).sort(), ['NetworkUnavailable=False', 'Ready=True']);
      assert.deepEqual(node?.status?.addresses, [ip('10.0.1.1')]);
    } finally {
      await h.stop();
    }
  });

  it('retries the condition patch on a 409 Conflict', async () => {
    const h = await setup({ nodes: [node1], routes: [route('node-1', '10.120.0.0/24', '10.0.1.1')] });
    try {
      h.server.faults.inject({ verb: 'patch', resource: 'nodes/status', times: 1, error: apiErrors.conflict('nodes', '', 'node-1', 'try again') });
      const pass = h.controller.reconcileOnce(h.abort.signal);
      await h.clock.advance(200); // the retry backoff: 100 ms with jitter up to 1.0
      const result = await pass;
      assert.equal(result.conditionUpdates, 1);
      assert.equal(result.conditionFailures, 0);
      assert.equal(h.conditionPatches(), 2);
      assert.equal(h.condition('node-1')?.status, 'False');
    } finally {
      await h.stop();
    }
  });
});

describe('RouteController failures', () => {
  it('a route creation failing for one node: that node gets NetworkUnavailable=True and an event, the others are unaffected, the next pass creates it', async () => {
    const node5: NodeSpec = { name: 'node-5', podCIDRs: ['10.120.5.0/24'], addresses: ['10.0.5.1'] };
    const h = await setup({ nodes: [node1, node2, node5] });
    try {
      h.cloud.onCall = (call) => {
        if (call.method === 'createRoute' && call.args[2].targetNode === 'node-2') throw new Error('route table full');
      };
      const first = await h.pass();
      assert.equal(first.created, 2);
      assert.equal(first.createFailures, 1);
      assert.deepEqual(h.routes(), ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-5 10.120.5.0/24 [10.0.5.1]']);
      assert.equal(h.condition('node-1')?.status, 'False');
      assert.equal(h.condition('node-5')?.status, 'False');
      assert.equal(h.condition('node-2')?.status, 'True');
      assert.equal(h.condition('node-2')?.reason, 'NoRouteCreated');
      const events = await h.events();
      assert.equal(events.length, 1);
      const [event] = events;
      const uid = h.nodeInformer.get('node-2')?.metadata?.uid ?? '';
      assert.deepEqual(event, {
        reason: REASON_FAILED_TO_CREATE_ROUTE,
        type: 'Warning',
        node: 'node-2',
        message: `Could not create route ${uid} 10.120.1.0/24 for node node-2 after 0s: route table full`,
        component: 'route_controller',
      });

      // The cloud recovers; the next pass creates only the missing route and flips only node-2.
      h.cloud.onCall = undefined;
      h.cloud.resetCalls();
      h.server.resetRequestCounts();
      const second = await h.pass();
      assert.equal(second.created, 1);
      assert.deepEqual(h.cloud.calls('createRoute').map((call) => call.args[2].targetNode), ['node-2']);
      assert.deepEqual(h.routes(), ['node-1 10.120.0.0/24 [10.0.1.1]', 'node-2 10.120.1.0/24 [10.0.2.1]', 'node-5 10.120.5.0/24 [10.0.5.1]']);
      assert.equal(h.condition('node-2')?.status, 'False');
      assert.equal(h.condition('node-2')?.reason, 'RouteCreated');
      assert.equal(h.conditionPatches(), 1);
    } finally {
      await h.stop();
    }
  });

  it('a failed delete is logged and does not fail the pass', async () => {
    const h = await setup({ nodes: [node1], routes: [route('node-1', '10.120.0.0/24', '10.0.1.1'), route('gone', '10.120.9.0/24', '10.0.9.1')] });
    try {
      h.cloud.failNext('deleteRoute', new Error('busy'));
      const result = await h.pass();
      assert.equal(result.deleteFailures, 1);
      assert.equal(h.condition('node-1')?.status, 'False');
      assert.ok(h.logs.records.some((r) => r.level === 'error' && r.msg === 'Could not delete route'));
      await h.pass();
      assert.deepEqual(h.routes(), ['node-1 10.120.0.0/24 [10.0.1.1]']);
    } finally {
      await h.stop();
    }
  });

  it('a failed listRoutes rejects the pass and touches nothing', async () => {
    const h = await setup({ nodes: [node1] });
    try {
      h.cloud.failNext('listRoutes', new Error('cloud API down'));
      await assert.rejects(h.controller.reconcileOnce(h.abort.signal), /error listing routes: cloud API down/);
      assert.equal(h.cloud.callCount('createRoute'), 0);
      assert.equal(h.conditionPatches(), 0);
    } finally {
      await h.stop();
    }
  });

  it('deletes before creating when routes carry node addresses (update = delete, then create)', async () => {
    const h = await setup({ nodes: [node1], routes: [route('node-1', '10.120.0.0/24', '10.0.1.9')], routeNodeAddresses: true });
    try {
      h.cloud.setLatency('deleteRoute', 1_000);
      const pass = h.controller.reconcileOnce(h.abort.signal);
      await h.settle();
      assert.equal(h.cloud.callCount('createRoute'), 0, 'create waits for the delete');
      await h.clock.advance(1_000);
      await pass;
      assert.deepEqual(h.cloud.calls().filter((x) => x.method !== 'listRoutes').map((x) => x.method), ['deleteRoute', 'createRoute']);
      assert.deepEqual(h.routes(), ['node-1 10.120.0.0/24 [10.0.1.1]']);
    } finally {
      await h.stop();
    }
  });

  it('overlaps creates with deletes when routes do not carry node addresses', async () => {
    const h = await setup({ nodes: [node1], routes: [route('gone', '10.120.9.0/24', '10.0.9.1')] });
    try {
      h.cloud.setLatency('deleteRoute', 1_000);
      const pass = h.controller.reconcileOnce(h.abort.signal);
      await h.settle();
      assert.equal(h.cloud.callCount('createRoute'), 1, 'create started while the delete is in flight');
      await h.clock.advance(1_000);
      await pass;
    } finally {
      await h.stop();
    }
  });

  it('keeps at most 200 cloud route calls in flight', async () => {
    const nodes: NodeSpec[] = Array.from({ length: 250 }, (_, i) => ({ name: `n-${i}`, podCIDRs: [`10.120.${i}.0/24`], addresses: [`10.1.${i}.1`] }));
    const stale: FakeRouteSeed[] = Array.from({ length: 100 }, (_, i) => route(`gone-${i}`, `10.121.${i}.0/24`, '10.9.9.9'));
    const h = await setup({ nodes, routes: stale, options: { clusterCIDR: '10.120.0.0/15' } });
    try {
      let inFlight = 0;
      let peak = 0;
      const gates: (() => void)[] = [];
      h.cloud.onCall = async (call) => {
        if (call.method === 'listRoutes') return;
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((resolve) => gates.push(resolve));
        inFlight--;
      };
      const pass = h.controller.reconcileOnce(h.abort.signal);
      await h.settle();
      assert.equal(inFlight, 200);
      while (gates.length > 0) {
        for (const release of gates.splice(0)) release();
        await h.settle();
      }
      const result = await pass;
      assert.equal(peak, 200);
      assert.equal(result.created, 250);
      assert.equal(result.deleted, 100);
    } finally {
      await h.stop();
    }
  });
});

describe('RouteController run (periodic mode)', () => {
  it('reconciles right after the Node cache syncs, then every --route-reconciliation-period, start to start', async () => {
    const h = await setup({ nodes: [node1], options: { routeReconciliationPeriodMs: 10_000 } });
    try {
      h.cloud.setLatency('listRoutes', 3_000);
      const running = h.controller.run(h.abort.signal);
      await h.settle();
      assert.equal(h.cloud.callCount('listRoutes'), 1, 'first pass at once');
      await h.clock.advance(3_000);
      assert.deepEqual(h.routes(), ['node-1 10.120.0.0/24 [10.0.1.1]']);
      await h.clock.advance(6_999); // t = 9.999 s
      assert.equal(h.cloud.callCount('listRoutes'), 1);
      await h.clock.advance(1); // t = 10 s: start to start, despite the 3 s pass
      assert.equal(h.cloud.callCount('listRoutes'), 2);
      await h.clock.advance(10_000);
      assert.equal(h.cloud.callCount('listRoutes'), 3);
      h.abort.abort();
      await h.clock.advance(10_000);
      await running;
    } finally {
      await h.stop();
    }
  });

  it('a failed pass is logged and retried at the next period, not with backoff', async () => {
    const h = await setup({ nodes: [node1] });
    try {
      h.cloud.failNext('listRoutes', new Error('cloud API down'));
      const running = h.controller.run(h.abort.signal);
      await h.settle();
      assert.equal(h.cloud.callCount('listRoutes'), 1);
      assert.ok(h.logs.records.some((r) => r.level === 'error' && r.msg === "Couldn't reconcile node routes"));
      await h.clock.advance(9_999);
      assert.equal(h.cloud.callCount('listRoutes'), 1);
      await h.clock.advance(1);
      assert.equal(h.cloud.callCount('listRoutes'), 2);
      assert.deepEqual(h.routes(), ['node-1 10.120.0.0/24 [10.0.1.1]']);
      h.abort.abort();
      await running;
    } finally {
      await h.stop();
    }
  });

  it('counts route_controller_route_sync_total once per pass', async () => {
    let syncs = 0;
    const h = await setup({ nodes: [node1], options: { metrics: { routeSyncTotal: { inc: () => syncs++ } } } });
    try {
      const running = h.controller.run(h.abort.signal);
      await h.settle();
      await h.clock.advance(20_000);
      assert.equal(syncs, 3);
      h.abort.abort();
      await running;
    } finally {
      await h.stop();
    }
  });
});

describe('RouteController configuration', () => {
  const base = (cloud: FakeCloudProvider): ControllerContext => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const kube = server.client();
    return {
      kube,
      informers: new SharedInformerFactory({ client: kube, clock, random: () => 0.5 }),
      cloud,
      recorder: { event: () => undefined },
      clock,
      random: () => 0.5,
      logger: noopLogger,
    };
  };

  const failing: readonly { description: string; clusterCIDR: string | undefined; message: RegExp }[] = [
    { description: 'an empty --cluster-cidr', clusterCIDR: undefined, message: /--cluster-cidr is empty.*--configure-cloud-routes=false/s },
    { description: 'an unparsable --cluster-cidr', clusterCIDR: '10.120.0.0/33', message: /failed to parse cidr value "10\.120\.0\.0\/33"/ },
    { description: 'two IPv4 CIDRs', clusterCIDR: '10.0.0.0/16,10.1.0.0/16', message: /dual-stack/ },
    { description: 'three CIDRs', clusterCIDR: '10.0.0.0/16,fd00::/8,10.1.0.0/16', message: /at most 2/ },
  ];
  for (const c of failing) {
    it(`refuses ${c.description} with an error naming --cluster-cidr and --configure-cloud-routes`, () => {
      assert.throws(
        () => new RouteController(base(new FakeCloudProvider()), c.clusterCIDR === undefined ? {} : { clusterCIDR: c.clusterCIDR }),
        (err: unknown) =>
          err instanceof RouteControllerConfigError && c.message.test(err.message) && err.message.includes('--cluster-cidr') && err.message.includes('--configure-cloud-routes'),
      );
    });
  }

  it('refuses a non-positive --route-reconciliation-period', () => {
    assert.throws(() => new RouteController(base(new FakeCloudProvider()), { clusterCIDR: '10.0.0.0/8', routeReconciliationPeriodMs: 0 }), RouteControllerConfigError);
  });

  const skipped: readonly { description: string; cloud: () => FakeCloudProvider; options: RouteControllerOptions; log: RegExp }[] = [
    {
      description: '--configure-cloud-routes=false (even without --cluster-cidr)',
      cloud: () => new FakeCloudProvider(),
      options: { configureCloudRoutes: false },
      log: /--configure-cloud-routes: false/,
    },
    {
      description: 'a provider without routes (even without --cluster-cidr)',
      cloud: () => new FakeCloudProvider({ capabilities: ['instancesV2'] }),
      options: {},
      log: /does not support routes/,
    },
  ];
  for (const c of skipped) {
    it(`is skipped with a log line for ${c.description}`, async () => {
      const logs = new MemoryLogSink();
      const cloud = c.cloud();
      const controller = new RouteController({ ...base(cloud), logger: createLogger(logs.sink) }, c.options);
      assert.match(controller.skipReason ?? '', c.log);
      await controller.run(new AbortController().signal);
      assert.ok(logs.records.some((r) => c.log.test(r.msg)));
      assert.equal(cloud.callCount(), 0);
    });
  }
});

describe('RouteController watch-based mode (KEP-5237)', () => {
  const node: Node = {
    metadata: { name: 'node-1', uid: '01', resourceVersion: '5' },
    spec: { podCIDR: '10.120.0.0/24', podCIDRs: ['10.120.0.0/24'] },
    status: { addresses: [ip('10.0.1.1')] },
  };
  const cases: readonly { description: string; updated: Node; enqueue: boolean }[] = [
    { description: 'internal IP updated', updated: { ...node, metadata: { ...node.metadata, resourceVersion: '6' }, status: { addresses: [ip('10.0.1.2')] } }, enqueue: true },
    {
      description: 'pod CIDR updated',
      updated: { ...node, metadata: { ...node.metadata, resourceVersion: '6' }, spec: { podCIDR: '10.121.0.0/24', podCIDRs: ['10.121.0.0/24'] } },
      enqueue: true,
    },
    { description: 'node object not updated (a resync)', updated: node, enqueue: true },
    {
      description: 'unrelated node update',
      updated: { ...node, metadata: { ...node.metadata, resourceVersion: '6' }, status: { ...node.status, images: [{ names: ['registry.k8s.io/pause:latest'], sizeBytes: 239840 }] } },
      enqueue: false,
    },
  ];
  for (const c of cases) {
    it(`${c.description} ⇒ ${c.enqueue ? 'reconcile' : 'no reconcile'} (upstream TestHandleNodeUpdate)`, () => {
      assert.equal(nodeUpdateAffectsRoutes(node, c.updated), c.enqueue);
    });
  }

  it('reconciles on Node changes, at most once per 10 s, ignoring the period flag', async () => {
    const h = await setup({ nodes: [node1], options: { watchBasedReconciliation: true, routeReconciliationPeriodMs: 1_000 } });
    try {
      const running = h.controller.run(h.abort.signal);
      await h.settle();
      // The initial add event triggers the first pass immediately (bucket burst of one).
      assert.equal(h.cloud.callCount('listRoutes'), 1);
      assert.deepEqual(h.routes(), ['node-1 10.120.0.0/24 [10.0.1.1]']);
      await h.clock.advance(30_000);
      assert.equal(h.cloud.callCount('listRoutes'), 1, 'no timer-driven passes');

      // A storm of relevant changes: one more pass, 10 s after the previous token.
      await h.kube.nodes.create({ metadata: { name: 'node-2' }, spec: { podCIDRs: ['10.120.1.0/24'] } });
      await h.kube.nodes.patch({ name: 'node-2' }, { type: 'strategic', body: { spec: { podCIDRs: ['10.120.1.0/24'] } } });
      await h.settle();
      assert.equal(h.cloud.callCount('listRoutes'), 2, 'a token was available: reconciled at once');
      await h.kube.nodes.patchStatus({ name: 'node-2' }, { type: 'strategic', body: { status: { addresses: [ip('10.0.2.1')] } } });
      await h.settle();
      assert.equal(h.cloud.callCount('listRoutes'), 2, 'rate-limited');
      await h.clock.advance(10_000);
      assert.equal(h.cloud.callCount('listRoutes'), 3);
      assert.equal(h.condition('node-2')?.status, 'False');
      h.abort.abort();
      await running;
    } finally {
      await h.stop();
    }
  });
});
