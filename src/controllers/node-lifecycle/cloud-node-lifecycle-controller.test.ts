import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, Taint } from 'kubernetes-types/core/v1.js';
import { InstanceNotFoundError, NotImplementedError } from '../../cloud/errors.js';
import { FakeClock } from '../../kube/clock.js';
import { apiErrors } from '../../kube/errors.js';
import { NODES } from '../../kube/resources.js';
import { FakeCloudProvider } from '../../providers/fake/index.js';
import { createControllerTestEnv } from '../controller-test-env.test-util.js';
import { EventBroadcaster } from '../../kube/events.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import { SharedInformerFactory } from '../../kube/shared-informers.js';
import { noopLogger } from '../../log/logger.js';
import { QueueWatch } from '../../simulation/runner/queue-watch.js';
import { settle } from '../../testing/settle.js';
import type { FakeCapability, FakeInstanceSpec, FakeMethod } from '../../providers/fake/index.js';
import { CloudNodeLifecycleController } from './cloud-node-lifecycle-controller.js';
import type { CloudNodeLifecycleControllerOptions } from './cloud-node-lifecycle-controller.js';

const SHUTDOWN: Taint = { key: 'node.cloudprovider.kubernetes.io/shutdown', effect: 'NoSchedule' };
const V1: readonly FakeCapability[] = ['instances'];
const V2: readonly FakeCapability[] = ['instancesV2'];

interface NodeInput {
  readonly name?: string;
  /** Status of the Ready condition; `none` for no condition at all. */
  readonly ready: 'True' | 'False' | 'Unknown' | 'none';
  readonly providerID?: string;
  readonly taints?: readonly Taint[];
}

function makeNode(input: NodeInput): Node {
  return {
    metadata: { name: input.name ?? 'node0' },
    spec: { ...(input.providerID === undefined ? {} : { providerID: input.providerID }), taints: [...(input.taints ?? [])] },
    status: { conditions: input.ready === 'none' ? [] : [{ type: 'Ready', status: input.ready }] },
  };
}

interface Harness {
  readonly clock: FakeClock;
  readonly server: SimulatedApiServer;
  /** Lets the controller finish what it owes (`withinMs` of virtual time may pass); whether it ended idle. */
  settle(withinMs?: number): Promise<boolean>;
  node(name?: string): Node | undefined;
  events(): Promise<Event[]>;
  /** Requests by the controller on nodes: `verb resource` → count. */
  requests(): Record<string, number>;
  stop(): Promise<void>;
}

async function start(cloud: FakeCloudProvider, nodes: readonly Node[], clock: FakeClock, options: CloudNodeLifecycleControllerOptions = {}): Promise<Harness> {
  const { server, informers, broadcaster, ctx, events, settle } = await createControllerTestEnv({ clock, cloud, nodes, component: 'cloud-node-lifecycle-controller', userAgent: 'node-controller' });
  const controller = new CloudNodeLifecycleController(ctx, options);
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  await settle();
  return {
    clock,
    server,
    settle,
    node: (name = 'node0') => server.snapshot(NODES).find((n) => n.metadata?.name === name),
    events,
    requests: () => {
      const out: Record<string, number> = {};
      for (const c of server.requestCounts()) {
        if (c.userAgent !== 'node-controller' || !c.resource.startsWith('nodes')) continue;
        out[`${c.verb} ${c.resource}`] = (out[`${c.verb} ${c.resource}`] ?? 0) + c.count;
      }
      return out;
    },
    stop: async () => {
      stop.abort();
      await running;
      await informers.shutdown();
      await broadcaster.shutdown();
    },
  };
}

interface Case {
  readonly name: string;
  readonly capabilities: readonly FakeCapability[];
  readonly instances: readonly FakeInstanceSpec[];
  readonly node: NodeInput;
  readonly failAlways?: { readonly method: FakeMethod; readonly error: Error };
  readonly wantDeleted: boolean;
  readonly wantShutdownTaint?: boolean;
  /** Cloud calls made, in order. */
  readonly wantCalls?: readonly FakeMethod[];
}

const running: FakeInstanceSpec = { nodeName: 'node0', providerID: 'fake://node0' };
const stopped: FakeInstanceSpec = { nodeName: 'node0', providerID: 'fake://node0', shutdown: true };

const cases: readonly Case[] = [
  // Test_NodesDeleted
  {
    name: 'node is not ready and does not exist',
    capabilities: V1,
    instances: [],
    node: { ready: 'False', providerID: 'fake://node0' },
    wantDeleted: true,
    wantCalls: ['instanceExistsByProviderID'],
  },
  {
    name: 'node is not ready and provider returns err',
    capabilities: V1,
    instances: [running],
    node: { ready: 'False', providerID: 'fake://node0' },
    failAlways: { method: 'instanceExistsByProviderID', error: new Error('cloud is down') },
    wantDeleted: false,
    wantShutdownTaint: false,
    wantCalls: ['instanceExistsByProviderID'],
  },
  {
    name: 'node is not ready but still exists',
    capabilities: V1,
    instances: [running],
    node: { ready: 'False', providerID: 'fake://node0' },
    wantDeleted: false,
    wantShutdownTaint: false,
    wantCalls: ['instanceExistsByProviderID', 'instanceShutdownByProviderID'],
  },
  { name: "node ready condition is unknown, node doesn't exist", capabilities: V1, instances: [], node: { ready: 'Unknown', providerID: 'fake://node0' }, wantDeleted: true },
  { name: 'node without a Ready condition counts as unknown and is deleted when gone', capabilities: V1, instances: [], node: { ready: 'none', providerID: 'fake://node0' }, wantDeleted: true },
  { name: 'node ready condition is unknown, node exists', capabilities: V1, instances: [running], node: { ready: 'Unknown', providerID: 'fake://node0' }, wantDeleted: false },
  {
    name: 'node is ready, but provider said it is deleted (maybe a bug in provider)',
    capabilities: V1,
    instances: [],
    node: { ready: 'True', providerID: 'fake://node0' },
    wantDeleted: false,
    wantCalls: [],
  },
  { name: '[instancev2] node is not ready and does not exist', capabilities: V2, instances: [], node: { ready: 'False' }, wantDeleted: true, wantCalls: ['instanceExists'] },
  {
    name: '[instancev2] node is not ready and provider returns err',
    capabilities: V2,
    instances: [running],
    node: { ready: 'False', providerID: 'fake://node0' },
    failAlways: { method: 'instanceExists', error: new Error('cloud is down') },
    wantDeleted: false,
    wantShutdownTaint: false,
    wantCalls: ['instanceExists'],
  },
  {
    name: '[instancev2] node is not ready but still exists',
    capabilities: V2,
    instances: [running],
    node: { ready: 'False', providerID: 'fake://node0' },
    wantDeleted: false,
    wantShutdownTaint: false,
    wantCalls: ['instanceExists', 'instanceShutdown'],
  },
  { name: "[instancev2] node ready condition is unknown, node doesn't exist", capabilities: V2, instances: [], node: { ready: 'Unknown' }, wantDeleted: true },
  { name: '[instancev2] node ready condition is unknown, node exists', capabilities: V2, instances: [running], node: { ready: 'Unknown' }, wantDeleted: false },
  {
    name: '[instancev2] node is ready, but provider said it is deleted (maybe a bug in provider)',
    capabilities: V2,
    instances: [],
    node: { ready: 'True' },
    wantDeleted: false,
    wantCalls: [],
  },
  // Test_NodesShutdown
  {
    name: 'node is not ready and was shutdown, but exists',
    capabilities: V1,
    instances: [stopped],
    node: { ready: 'False', providerID: 'fake://node0' },
    wantDeleted: false,
    wantShutdownTaint: true,
  },
  {
    name: 'node with empty spec providerID is not ready and was shutdown, but exists',
    capabilities: V1,
    instances: [stopped],
    node: { ready: 'False' },
    wantDeleted: false,
    wantShutdownTaint: true,
    wantCalls: ['instanceID', 'instanceExistsByProviderID', 'instanceID', 'instanceShutdownByProviderID'],
  },
  {
    name: 'node with non-existing providerID (missing in cloud provider) gets deleted',
    capabilities: V1,
    instances: [stopped],
    node: { ready: 'False', providerID: 'fake://other' },
    wantDeleted: true,
  },
  {
    name: 'node with error when getting providerID does not have shutdown taint',
    capabilities: V1,
    instances: [stopped],
    node: { ready: 'False' },
    failAlways: { method: 'instanceID', error: new Error('boom') },
    wantDeleted: false,
    wantShutdownTaint: false,
    wantCalls: ['instanceID'],
  },
  {
    name: 'node with InstanceID returning InstanceNotFound gets deleted',
    capabilities: V1,
    instances: [],
    node: { ready: 'False' },
    wantDeleted: true,
    wantCalls: ['instanceID'],
  },
  {
    name: 'a wrapped InstanceNotFound from InstanceID is an ordinary error: the node stays',
    capabilities: V1,
    instances: [],
    node: { ready: 'False' },
    failAlways: { method: 'instanceID', error: new Error('wrapped', { cause: new InstanceNotFoundError() }) },
    wantDeleted: false,
  },
  {
    name: 'node is not ready, but there is error checking if node is shutdown',
    capabilities: V1,
    instances: [stopped],
    node: { ready: 'False', providerID: 'fake://node0' },
    failAlways: { method: 'instanceShutdownByProviderID', error: new Error('boom') },
    wantDeleted: false,
    wantShutdownTaint: false,
  },
  {
    name: 'shutdown check not implemented counts as not shut down',
    capabilities: V1,
    instances: [stopped],
    node: { ready: 'False', providerID: 'fake://node0' },
    failAlways: { method: 'instanceShutdownByProviderID', error: new NotImplementedError() },
    wantDeleted: false,
    wantShutdownTaint: false,
  },
  { name: 'node is not ready and is not shutdown', capabilities: V1, instances: [running], node: { ready: 'False', providerID: 'fake://node0' }, wantDeleted: false, wantShutdownTaint: false },
  {
    name: "node is ready but provider says it's shutdown (maybe a bug by provider)",
    capabilities: V1,
    instances: [stopped],
    node: { ready: 'True', providerID: 'fake://node0' },
    wantDeleted: false,
    wantShutdownTaint: false,
    wantCalls: [],
  },
  {
    name: 'node is shutdown but provider says it does not exist',
    capabilities: V1,
    instances: [{ ...stopped, exists: false }],
    node: { ready: 'False', providerID: 'fake://node0' },
    wantDeleted: true,
    wantCalls: ['instanceExistsByProviderID'],
  },
  { name: '[instancev2] node is not ready and was shutdown, but exists', capabilities: V2, instances: [stopped], node: { ready: 'False' }, wantDeleted: false, wantShutdownTaint: true },
  {
    name: '[instancev2] node is ready and loses the shutdown taint, keeping other taints',
    capabilities: V2,
    instances: [running],
    node: { ready: 'True', taints: [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }, SHUTDOWN] },
    wantDeleted: false,
    wantShutdownTaint: false,
    wantCalls: [],
  },
  {
    name: '[instancev2] a not-ready node that is no longer shut down keeps the shutdown taint',
    capabilities: V2,
    instances: [running],
    node: { ready: 'False', taints: [SHUTDOWN] },
    wantDeleted: false,
    wantShutdownTaint: true,
  },
];

describe('CloudNodeLifecycleController MonitorNodes', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const clock = new FakeClock();
      const cloud = new FakeCloudProvider({ clock, capabilities: c.capabilities, instances: c.instances });
      if (c.failAlways !== undefined) cloud.failAlways(c.failAlways.method, c.failAlways.error);
      const h = await start(cloud, [makeNode(c.node)], clock);
      try {
        const node = h.node();
        assert.equal(node === undefined, c.wantDeleted, 'deleted');
        if (c.wantShutdownTaint !== undefined && node !== undefined) {
          assert.equal((node.spec?.taints ?? []).some((t) => t.key === SHUTDOWN.key && t.effect === 'NoSchedule'), c.wantShutdownTaint, 'shutdown taint');
          // Other taints are never dropped.
          for (const t of c.node.taints ?? []) if (t.key !== SHUTDOWN.key) assert.ok(node.spec?.taints?.some((x) => x.key === t.key));
        }
        if (c.wantCalls !== undefined) assert.deepEqual(cloud.calls().map((call) => call.method), c.wantCalls);
        const events = await h.events();
        if (c.wantDeleted) {
          assert.equal(events.length, 1);
          assert.equal(events[0]?.reason, 'DeletingNode');
          assert.equal(events[0]?.type, 'Normal');
          assert.equal(events[0]?.message, 'Deleting node node0 because it does not exist in the cloud provider');
          assert.equal(events[0]?.source?.component, 'cloud-node-lifecycle-controller');
          assert.deepEqual({ kind: events[0]?.involvedObject.kind, apiVersion: events[0]?.involvedObject.apiVersion, name: events[0]?.involvedObject.name }, { kind: 'Node', apiVersion: 'v1', name: 'node0' });
        } else {
          assert.deepEqual(events, []);
        }
      } finally {
        await h.stop();
      }
    });
  }
});

describe('CloudNodeLifecycleController timing and API economy', () => {
  it('monitors right after cache sync, then every node-monitor-period (default 5 s)', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const cloud = new FakeCloudProvider({ clock, capabilities: V2, instances: [running] });
    const h = await start(cloud, [makeNode({ ready: 'False' })], clock);
    try {
      await clock.advance(4_999);
      assert.equal(cloud.callCount('instanceExists'), 1);
      await clock.advance(1);
      await clock.advance(10_000);
      await h.settle();
      assert.deepEqual(
        cloud.calls('instanceExists').map((call) => call.at - t0),
        [0, 5_000, 10_000, 15_000],
      );
    } finally {
      await h.stop();
    }
  });

  it('checks the Nodes of a pass one after another by default, and as many at once as --concurrent-node-lifecycle-syncs', async () => {
    const startTimes = async (workers: number | undefined): Promise<number[]> => {
      const clock = new FakeClock();
      const t0 = clock.now();
      const names = ['n0', 'n1', 'n2', 'n3'];
      const cloud = new FakeCloudProvider({ clock, capabilities: V2, instances: names.map((name) => ({ nodeName: name, providerID: `fake://${name}` })), latencyMs: { instanceExists: 1_000 } });
      const h = await start(cloud, names.map((name) => makeNode({ name, ready: 'False' })), clock, { nodeMonitorPeriodMs: 60_000, ...(workers === undefined ? {} : { workers }) });
      try {
        await clock.advance(4_000);
        await h.settle(0);
        return cloud.calls('instanceExists').map((call) => call.at - t0);
      } finally {
        await h.stop();
      }
    };
    assert.deepEqual(await startTimes(undefined), [0, 1_000, 2_000, 3_000]);
    assert.deepEqual(await startTimes(2), [0, 0, 1_000, 1_000]);
    assert.deepEqual(await startTimes(4), [0, 0, 0, 0]);
  });

  it('refuses a worker count below 1', () => {
    const clock = new FakeClock();
    assert.throws(() => new CloudNodeLifecycleController({ cloud: new FakeCloudProvider({ clock }) } as never, { workers: 0 }), /workers must be a whole number >= 1/);
  });

  it('honours a custom node-monitor-period', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const cloud = new FakeCloudProvider({ clock, capabilities: V2, instances: [running] });
    const h = await start(cloud, [makeNode({ ready: 'False' })], clock, { nodeMonitorPeriodMs: 30_000 });
    try {
      await clock.advance(60_000);
      await h.settle();
      assert.deepEqual(
        cloud.calls('instanceExists').map((call) => call.at - t0),
        [0, 30_000, 60_000],
      );
    } finally {
      await h.stop();
    }
  });

  it('taints a shut-down node with one patch and does not patch again while the taint is there', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock, capabilities: V2, instances: [stopped] });
    const h = await start(cloud, [makeNode({ ready: 'False' })], clock);
    try {
      await clock.advance(15_000);
      await h.settle();
      assert.deepEqual(h.node()?.spec?.taints, [SHUTDOWN]);
      assert.deepEqual(h.requests(), { 'patch nodes': 1 });
    } finally {
      await h.stop();
    }
  });

  it('a Ready node without the shutdown taint costs no API call', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock, capabilities: V2, instances: [running] });
    const h = await start(cloud, [makeNode({ ready: 'True' })], clock);
    try {
      await clock.advance(15_000);
      await h.settle();
      assert.deepEqual(h.requests(), {});
      assert.equal(cloud.callCount(), 0);
    } finally {
      await h.stop();
    }
  });

  it('retries a conflicting taint patch against a fresh read', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock, capabilities: V2, instances: [stopped] });
    const server = new SimulatedApiServer({ clock });
    // Inject the conflict before the controller exists: the harness creates its own server, so
    // this test wires the pieces itself.
    const admin = server.client({ userAgent: 'test' });
    await admin.nodes.create(makeNode({ ready: 'False' }));
    server.faults.inject({ verb: 'patch', resource: 'nodes', error: apiErrors.conflict('nodes', '', 'node0', 'the object has been modified') });
    const kube = server.client({ userAgent: 'node-controller' });
    const informers = new SharedInformerFactory({ client: admin, clock, random: () => 0.5 });
    const queues = new QueueWatch();
    const controller = new CloudNodeLifecycleController({ kube, informers, cloud, recorder: { event: () => {} }, clock, random: () => 0.5, logger: noopLogger, workQueueMetrics: queues });
    const stop = new AbortController();
    informers.start(stop.signal);
    const runningController = controller.run(stop.signal);
    // The retry after the conflict waits 100 ms + jitter.
    assert.equal(await settle(clock, { queues, withinMs: 200 }), true);
    stop.abort();
    await runningController;
    await informers.shutdown();
    const node = server.snapshot(NODES)[0];
    assert.deepEqual(node?.spec?.taints, [SHUTDOWN]);
    const counts = server.requestCounts().filter((c) => c.userAgent === 'node-controller');
    assert.deepEqual(
      counts.map((c) => `${c.verb} ${c.resource} ${c.count}`),
      ['get nodes 1', 'patch nodes 2'],
    );
  });

  it('reports DeletingNodeFailed when the delete fails, and leaves the node', async () => {
    const clock = new FakeClock();
    const cloud = new FakeCloudProvider({ clock, capabilities: V2, instances: [] });
    const server = new SimulatedApiServer({ clock });
    const admin = server.client({ userAgent: 'test' });
    await admin.nodes.create(makeNode({ ready: 'False' }));
    server.faults.inject({ verb: 'delete', resource: 'nodes', error: apiErrors.internal('etcd is sad') });
    const informers = new SharedInformerFactory({ client: admin, clock, random: () => 0.5 });
    const broadcaster = new EventBroadcaster({ client: admin, clock, random: () => 0.5 });
    const queues = new QueueWatch();
    const controller = new CloudNodeLifecycleController({
      kube: admin,
      informers,
      cloud,
      recorder: broadcaster.newRecorder({ component: 'cloud-node-lifecycle-controller' }),
      clock,
      random: () => 0.5,
      logger: noopLogger,
      workQueueMetrics: queues,
    });
    const stop = new AbortController();
    informers.start(stop.signal);
    const runningController = controller.run(stop.signal);
    await settle(clock, { queues });
    stop.abort();
    await runningController;
    await informers.shutdown();
    await broadcaster.flush();
    const events = (await admin.events.list()).items;
    assert.deepEqual(
      events.map((e) => [e.type, e.reason]),
      [
        ['Normal', 'DeletingNode'],
        ['Warning', 'DeletingNodeFailed'],
      ],
    );
    assert.match(events[1]?.message ?? '', /^Failed deleting node node0: .*etcd is sad/);
    assert.equal(server.snapshot(NODES).length, 1);
    await broadcaster.shutdown();
  });

  it('rejects a provider without Instances or InstancesV2', () => {
    const clock = new FakeClock();
    const kube = new SimulatedApiServer({ clock }).client();
    const base = { kube, informers: new SharedInformerFactory({ client: kube, clock, random: () => 0.5 }), recorder: { event: () => {} }, clock, random: () => 0.5, logger: noopLogger };
    assert.throws(() => new CloudNodeLifecycleController({ ...base, cloud: new FakeCloudProvider({ clock, capabilities: ['routes'] }) }), /does not support instances/);
    assert.throws(() => new CloudNodeLifecycleController({ ...base, cloud: new FakeCloudProvider({ clock, capabilities: V1 }) }, { nodeMonitorPeriodMs: 0 }), /nodeMonitorPeriodMs/);
  });
});
