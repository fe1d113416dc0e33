import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event, Node, NodeAddress, Taint } from 'kubernetes-types/core/v1.js';
import { InstanceNotFoundError, NotImplementedError } from '../../cloud/errors.js';
import type { InstanceMetadata, InstancesV2 } from '../../cloud/instances-v2.js';
import type { CloudProvider } from '../../cloud/provider.js';
import { FakeClock } from '../../kube/clock.js';
import { NODES } from '../../kube/resources.js';
import { FakeCloudProvider } from '../../providers/fake/index.js';
import { createControllerTestEnv } from '../controller-test-env.test-util.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import { SharedInformerFactory } from '../../kube/shared-informers.js';
import { noopLogger } from '../../log/logger.js';
import { QueueWatch } from '../../simulation/runner/queue-watch.js';
import { settle } from '../../testing/settle.js';
import type { ControllerContext } from '../context.js';
import type { FakeCapability, FakeInstanceSpec } from '../../providers/fake/index.js';
import { CloudNodeController, REASON_INVALID_PROVIDED_NODE_IP } from './cloud-node-controller.js';
import type { CloudNodeControllerOptions } from './cloud-node-controller.js';

const UNINITIALIZED: Taint = { key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' };
const PROVIDED_IP = 'alpha.kubernetes.io/provided-node-ip';
const V1: readonly FakeCapability[] = ['instances'];
const V1_ZONES: readonly FakeCapability[] = ['instances', 'zones'];
const V2: readonly FakeCapability[] = ['instancesV2'];
const MINUTE = 60_000;

const internal = (address: string): NodeAddress => ({ type: 'InternalIP', address });
const external = (address: string): NodeAddress => ({ type: 'ExternalIP', address });
const hostname = (address: string): NodeAddress => ({ type: 'Hostname', address });

interface NodeSpecInput {
  readonly name?: string;
  readonly tainted?: boolean;
  readonly providerID?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly addresses?: readonly NodeAddress[];
  readonly extraTaints?: readonly Taint[];
}

function makeNode(input: NodeSpecInput = {}): Node {
  return {
    metadata: {
      name: input.name ?? 'node0',
      ...(input.labels === undefined ? {} : { labels: input.labels }),
      ...(input.annotations === undefined ? {} : { annotations: input.annotations }),
    },
    spec: {
      ...(input.providerID === undefined ? {} : { providerID: input.providerID }),
      taints: [...(input.tainted === false ? [] : [UNINITIALIZED]), ...(input.extraTaints ?? [])],
    },
    status: {
      conditions: [{ type: 'Ready', status: 'Unknown' }],
      ...(input.addresses === undefined ? {} : { addresses: [...input.addresses] }),
    },
  };
}

/** Wraps a provider so InstancesV2 metadata answers "none" (upstream's nil metadata) for some nodes. */
function withNilMetadata(cloud: FakeCloudProvider, nil: (node: Readonly<Node>) => boolean): CloudProvider {
  const v2 = cloud.instancesV2();
  assert.ok(v2 !== undefined);
  const wrapped: InstancesV2 = {
    instanceExists: (node, o) => v2.instanceExists(node, o),
    instanceShutdown: (node, o) => v2.instanceShutdown(node, o),
    instanceMetadata: async (node, o): Promise<InstanceMetadata | undefined> => {
      const metadata = await v2.instanceMetadata(node, o);
      return nil(node) ? undefined : metadata;
    },
  };
  return { name: cloud.name, instancesV2: () => wrapped };
}

interface Outcome {
  readonly key: string;
  readonly outcome: string;
  readonly at: number;
}

interface Harness {
  readonly clock: FakeClock;
  readonly server: SimulatedApiServer;
  readonly outcomes: Outcome[];
  /** Lets the controller finish what it owes (`withinMs` of virtual time may pass); whether it ended idle. */
  settle(withinMs?: number): Promise<boolean>;
  node(name?: string): Node;
  events(): Promise<Event[]>;
  /** Node writes by the controller: `verb resource` → count. */
  writes(): Record<string, number>;
  stop(): Promise<void>;
}

async function startController(
  cloud: CloudProvider,
  nodes: readonly Node[],
  options: CloudNodeControllerOptions = {},
  clock = new FakeClock(),
): Promise<Harness> {
  const { server, informers, broadcaster, ctx, events, settle } = await createControllerTestEnv({ clock, cloud, nodes, component: 'cloud-node-controller', userAgent: 'node-controller' });
  const outcomes: Outcome[] = [];
  const controller = new CloudNodeController(ctx, { ...options, observe: (e) => outcomes.push({ key: e.key, outcome: e.outcome, at: clock.now() }) });
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  await settle();
  return {
    clock,
    server,
    outcomes,
    settle,
    node: (name = 'node0') => {
      const found = server.snapshot(NODES).find((n) => n.metadata?.name === name);
      assert.ok(found !== undefined, `node ${name} exists`);
      return found;
    },
    events,
    writes: () => {
      const out: Record<string, number> = {};
      for (const c of server.requestCounts()) {
        if (c.userAgent !== 'node-controller' || !c.resource.startsWith('nodes')) continue;
        if (c.verb === 'get' || c.verb === 'list' || c.verb === 'watch') continue;
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

function cloudOf(capabilities: readonly FakeCapability[], instances: readonly FakeInstanceSpec[], clock: FakeClock): FakeCloudProvider {
  return new FakeCloudProvider({ clock, capabilities, instances });
}

const hasUninitializedTaint = (node: Node): boolean => (node.spec?.taints ?? []).some((t) => t.key === UNINITIALIZED.key);

describe('CloudNodeController syncNode (initialisation)', () => {
  interface Case {
    readonly name: string;
    readonly capabilities: readonly FakeCapability[];
    readonly instances: readonly FakeInstanceSpec[];
    readonly node: NodeSpecInput;
    readonly failAlways?: { readonly method: 'instanceID' | 'instanceMetadata'; readonly error: Error };
    readonly nilMetadata?: boolean;
    readonly wantTainted: boolean;
    readonly wantProviderID?: string | undefined;
    readonly wantLabels?: Record<string, string>;
    readonly wantAddresses?: readonly NodeAddress[];
    readonly wantWarning?: RegExp;
    /** The reconcile ended in an error (rate-limited retry). */
    readonly wantError?: boolean;
  }
  const cases: readonly Case[] = [
    {
      name: 'node initialized with provider ID',
      capabilities: V1,
      instances: [{ nodeName: 'node0', instanceType: 't1.micro', addresses: [internal('10.0.0.1')] }],
      node: {},
      wantTainted: false,
      wantProviderID: 'fake://node0',
      wantLabels: { 'beta.kubernetes.io/instance-type': 't1.micro', 'node.kubernetes.io/instance-type': 't1.micro' },
      wantAddresses: [internal('10.0.0.1')],
    },
    {
      name: 'node initialized with hostname',
      capabilities: V1,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1'), external('132.143.154.163'), hostname('cloud-hostname')] }],
      node: { addresses: [hostname('kubelet-hostname')] },
      wantTainted: false,
      wantAddresses: [internal('10.0.0.1'), external('132.143.154.163'), hostname('cloud-hostname')],
    },
    {
      name: 'node initialized with hostname and cloud provider missing hostname',
      capabilities: V1,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1'), external('132.143.154.163')] }],
      node: { addresses: [hostname('kubelet-hostname')] },
      wantTainted: false,
      wantAddresses: [internal('10.0.0.1'), external('132.143.154.163'), hostname('kubelet-hostname')],
    },
    {
      name: 'zone/region topology labels added',
      capabilities: V1_ZONES,
      instances: [{ nodeName: 'node0', zone: 'us-west-1a', region: 'us-west', addresses: [internal('10.0.0.1')] }],
      node: {},
      wantTainted: false,
      wantLabels: {
        'failure-domain.beta.kubernetes.io/zone': 'us-west-1a',
        'topology.kubernetes.io/zone': 'us-west-1a',
        'failure-domain.beta.kubernetes.io/region': 'us-west',
        'topology.kubernetes.io/region': 'us-west',
      },
    },
    {
      name: 'zone labels are not added without the Zones capability',
      capabilities: V1,
      instances: [{ nodeName: 'node0', zone: 'us-west-1a', region: 'us-west', addresses: [internal('10.0.0.1')] }],
      node: { labels: { keep: 'me' } },
      wantTainted: false,
      wantLabels: { keep: 'me' },
    },
    {
      name: 'provided node IP address',
      capabilities: V1,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1'), internal('10.0.0.2'), external('132.143.154.163')] }],
      node: { annotations: { [PROVIDED_IP]: '10.0.0.2' } },
      wantTainted: false,
      wantAddresses: [internal('10.0.0.2'), external('132.143.154.163')],
    },
    {
      name: 'provided dual-stack node IP addresses keep both families first',
      capabilities: V2,
      instances: [{ nodeName: 'node0', addresses: [internal('fd00::2'), internal('10.0.0.1'), internal('10.0.0.2'), external('1.2.3.4')] }],
      node: { annotations: { [PROVIDED_IP]: '10.0.0.2,fd00:0::2' } },
      wantTainted: false,
      wantAddresses: [internal('10.0.0.2'), internal('fd00::2'), external('1.2.3.4')],
    },
    {
      name: 'provided node IP address is not valid',
      capabilities: V1,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }],
      node: { annotations: { [PROVIDED_IP]: 'not-an-ip' } },
      wantTainted: true,
      wantProviderID: undefined,
      wantWarning: /provided node ip for node "node0" is not valid: failed to parse node IP "not-an-ip"/,
    },
    {
      name: 'provided node IP address with three IPs is not valid',
      capabilities: V2,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }],
      node: { annotations: { [PROVIDED_IP]: '10.0.0.1,fd00::1,10.0.0.2' } },
      wantTainted: true,
      wantWarning: /single IP or a dual-stack pair/,
    },
    {
      name: 'provided node IP addresses of one family are not valid',
      capabilities: V2,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }],
      node: { annotations: { [PROVIDED_IP]: '10.0.0.1,10.0.0.2' } },
      wantTainted: true,
      wantWarning: /single IP or a dual-stack pair/,
    },
    {
      name: 'provided node IP address is not present',
      capabilities: V1,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }],
      node: { annotations: { [PROVIDED_IP]: '10.0.0.9' } },
      wantTainted: true,
      wantWarning: /matches ip: 10\.0\.0\.9/,
      wantError: true,
    },
    {
      name: 'provider ID already set',
      capabilities: V1,
      instances: [{ nodeName: 'node0', providerID: 'fake://node0', instanceType: 'm1', addresses: [internal('10.0.0.1')] }],
      node: { providerID: 'fake://node0' },
      wantTainted: false,
      wantProviderID: 'fake://node0',
      wantLabels: { 'beta.kubernetes.io/instance-type': 'm1', 'node.kubernetes.io/instance-type': 'm1' },
    },
    {
      name: 'provider ID not implemented',
      capabilities: V1,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }],
      node: {},
      failAlways: { method: 'instanceID', error: new NotImplementedError() },
      wantTainted: false,
      wantProviderID: undefined,
      wantAddresses: [internal('10.0.0.1')],
    },
    {
      name: 'instance not found while getting the provider ID leaves the taint',
      capabilities: V1,
      instances: [],
      node: {},
      wantTainted: true,
      wantError: true,
    },
    {
      name: '[instanceV2] node initialized with provider ID',
      capabilities: V2,
      instances: [{ nodeName: 'node0', providerID: 'fake://abc', instanceType: 't1.micro', addresses: [internal('10.0.0.1')] }],
      node: {},
      wantTainted: false,
      wantProviderID: 'fake://abc',
      wantLabels: { 'beta.kubernetes.io/instance-type': 't1.micro', 'node.kubernetes.io/instance-type': 't1.micro' },
      wantAddresses: [internal('10.0.0.1')],
    },
    {
      name: '[instanceV2] node ignored',
      capabilities: V2,
      instances: [{ nodeName: 'node0' }],
      node: { tainted: false, labels: { a: 'b' } },
      wantTainted: false,
      wantLabels: { a: 'b' },
    },
    {
      name: '[instanceV2] zone/region topology labels added',
      capabilities: V2,
      instances: [{ nodeName: 'node0', zone: 'us-west-1a', region: 'us-west' }],
      node: {},
      wantTainted: false,
      wantLabels: {
        'failure-domain.beta.kubernetes.io/zone': 'us-west-1a',
        'topology.kubernetes.io/zone': 'us-west-1a',
        'failure-domain.beta.kubernetes.io/region': 'us-west',
        'topology.kubernetes.io/region': 'us-west',
      },
    },
    {
      name: '[instanceV2] provided additional labels',
      capabilities: V2,
      instances: [{ nodeName: 'node0', additionalLabels: { 'topology.k8s.cloud/zone-id': 'az1', 'my.domain/label': 'x' } }],
      node: {},
      wantTainted: false,
      wantLabels: { 'topology.k8s.cloud/zone-id': 'az1', 'my.domain/label': 'x' },
    },
    {
      name: '[instanceV2] provided additional labels with labels to discard',
      capabilities: V2,
      instances: [
        {
          nodeName: 'node0',
          additionalLabels: {
            'kubernetes.io/arch': 'evil',
            'k8s.io/x': 'evil',
            'topology.kubernetes.io/rack': 'evil',
            'topology.k8s.io/rack': 'evil',
            'app.k8snio/x': 'kept',
            existing: 'cloud-value',
          },
        },
      ],
      node: { labels: { existing: 'node-value' } },
      wantTainted: false,
      wantLabels: { existing: 'node-value', 'app.k8snio/x': 'kept' },
    },
    {
      name: '[instanceV2] provider ID already set',
      capabilities: V2,
      instances: [{ nodeName: 'node0', providerID: 'fake://abc' }],
      node: { providerID: 'fake://abc' },
      wantTainted: false,
      wantProviderID: 'fake://abc',
    },
    {
      name: '[instanceV2] node with provider ID keeps it when the cloud reports none',
      capabilities: V2,
      instances: [{ nodeName: 'node0', providerID: '', addresses: [internal('10.0.0.1')] }],
      node: { providerID: 'custom://node0' },
      wantTainted: false,
      wantProviderID: 'custom://node0',
    },
    {
      name: '[instanceV2] provider ID not set by the cloud for a node without one',
      capabilities: V2,
      instances: [{ nodeName: 'node0', providerID: '' }],
      node: {},
      wantTainted: true,
      wantProviderID: undefined,
      wantError: true,
    },
    {
      name: '[instanceV2] error getting InstanceMetadata',
      capabilities: V2,
      instances: [{ nodeName: 'node0' }],
      node: {},
      failAlways: { method: 'instanceMetadata', error: new Error('cloud is down') },
      wantTainted: true,
      wantError: true,
    },
    {
      name: 'nil instanceMetadata provided by InstanceV2',
      capabilities: V2,
      instances: [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }],
      node: {},
      nilMetadata: true,
      wantTainted: true,
    },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const clock = new FakeClock();
      const fake = cloudOf(c.capabilities, c.instances, clock);
      if (c.failAlways !== undefined) fake.failAlways(c.failAlways.method, c.failAlways.error);
      const cloud = c.nilMetadata === true ? withNilMetadata(fake, () => true) : fake;
      const h = await startController(cloud, [makeNode(c.node)], {}, clock);
      try {
        const node = h.node();
        assert.equal(hasUninitializedTaint(node), c.wantTainted, 'uninitialized taint');
        if ('wantProviderID' in c) assert.equal(node.spec?.providerID, c.wantProviderID);
        if (c.wantLabels !== undefined) assert.deepEqual(node.metadata?.labels ?? {}, c.wantLabels);
        if (c.wantAddresses !== undefined) assert.deepEqual(node.status?.addresses, c.wantAddresses);
        const first = h.outcomes.find((o) => o.key === 'node0');
        assert.equal(first?.outcome, c.wantError === true ? 'error' : 'success');
        const events = await h.events();
        const warnings = events.filter((e) => e.type === 'Warning');
        if (c.wantWarning !== undefined) {
          assert.equal(warnings[0]?.reason, REASON_INVALID_PROVIDED_NODE_IP);
          assert.match(warnings[0]?.message ?? '', c.wantWarning);
        } else {
          assert.deepEqual(warnings, []);
        }
        const synced = events.filter((e) => e.reason === 'Synced');
        const initialised = c.node.tainted !== false && !c.wantTainted;
        assert.equal(synced.length, initialised ? 1 : 0, 'Synced events');
        if (initialised) {
          assert.equal(synced[0]?.type, 'Normal');
          assert.equal(synced[0]?.message, 'Node synced successfully');
          assert.equal(synced[0]?.source?.component, 'cloud-node-controller');
          assert.equal(synced[0]?.involvedObject.kind, 'Node');
        }
        // Other taints survive initialisation (taints are atomic: the update carries the rest).
      } finally {
        await h.stop();
      }
    });
  }

  it('keeps other taints when removing the uninitialized taint', async () => {
    const clock = new FakeClock();
    const other: Taint = { key: 'dedicated', value: 'db', effect: 'NoExecute' };
    const h = await startController(cloudOf(V2, [{ nodeName: 'node0' }], clock), [makeNode({ extraTaints: [other] })], {}, clock);
    try {
      assert.deepEqual(h.node().spec?.taints, [other]);
    } finally {
      await h.stop();
    }
  });

  it('a malformed provided node IP costs no cloud call and is not retried', async () => {
    const clock = new FakeClock();
    const fake = cloudOf(V2, [{ nodeName: 'node0' }], clock);
    const h = await startController(fake, [makeNode({ annotations: { [PROVIDED_IP]: '10.0.0.1,10.0.0.2' } })], {}, clock);
    try {
      await clock.advance(10 * MINUTE);
      await h.settle();
      assert.equal(fake.callCount('instanceMetadata'), 0);
      assert.equal(h.outcomes.filter((o) => o.key === 'node0').length, 1);
      assert.deepEqual(h.writes(), {});
      assert.ok(hasUninitializedTaint(h.node()));
    } finally {
      await h.stop();
    }
  });

  it('names the provider and the node when the provider sets no providerID', async () => {
    const clock = new FakeClock();
    const fake = new FakeCloudProvider({ clock, name: 'acme', capabilities: V2, instances: [{ nodeName: 'node0', providerID: '' }] });
    const errors: unknown[] = [];
    const server = new SimulatedApiServer({ clock });
    const admin = server.client();
    await admin.nodes.create(makeNode());
    const informers = new SharedInformerFactory({ client: admin, clock, random: () => 0.5 });
    const queues = new QueueWatch();
    const controller = new CloudNodeController(
      { kube: admin, informers, cloud: fake, recorder: { event: () => {} }, clock, random: () => 0.5, logger: noopLogger, workQueueMetrics: queues },
      { observe: (e) => errors.push(e.error) },
    );
    const stop = new AbortController();
    informers.start(stop.signal);
    const running = controller.run(stop.signal);
    await settle(clock, { queues });
    stop.abort();
    await running;
    await informers.shutdown();
    const err = errors[0];
    assert.ok(err instanceof Error);
    assert.match(err.message, /"acme"/);
    assert.match(err.message, /node0/);
  });
});

describe('CloudNodeController API-call economy and backoff', () => {
  for (const capabilities of [V1, V2]) {
    it(`initialising one node costs one node update, one status patch and one metadata lookup (${capabilities.join('+')})`, async () => {
      const clock = new FakeClock();
      const fake = cloudOf(capabilities, [{ nodeName: 'node0', instanceType: 'small', addresses: [internal('10.0.0.1')] }], clock);
      const h = await startController(fake, [makeNode({ addresses: [internal('192.168.0.9')] })], {}, clock);
      try {
        await clock.advance(MINUTE);
        await h.settle();
        assert.deepEqual(h.writes(), { 'update nodes': 1, 'patch nodes/status': 1 });
        if (capabilities === V2) {
          assert.equal(fake.callCount('instanceMetadata'), 1);
          assert.equal(fake.callCount(), 1);
        } else {
          // The v1 equivalent of one metadata lookup: ID, addresses and type, once each.
          assert.deepEqual(
            fake.calls().map((c) => c.method),
            ['instanceID', 'nodeAddressesByProviderID', 'instanceTypeByProviderID'],
          );
        }
        // Replace semantics: the kubelet's stale address is gone.
        assert.deepEqual(h.node().status?.addresses, [internal('10.0.0.1')]);
      } finally {
        await h.stop();
      }
    });
  }

  it('retries a failing metadata call after growing delays (5, 10, 20 ms) and initialises on success', async () => {
    const clock = new FakeClock();
    const fake = cloudOf(V2, [{ nodeName: 'node0' }], clock);
    fake.failNext('instanceMetadata', new Error('throttled'), 3);
    const start = clock.now();
    const h = await startController(fake, [makeNode()], {}, clock);
    try {
      assert.equal(fake.callCount('instanceMetadata'), 1);
      assert.equal(await h.settle(1_000), true, 'initialised within a second');
      assert.deepEqual(
        fake.calls('instanceMetadata').map((c) => c.at - start),
        [0, 5, 15, 35],
      );
      assert.deepEqual(
        h.outcomes.map((o) => o.outcome),
        ['error', 'error', 'error', 'success', 'success'].slice(0, h.outcomes.length),
      );
      assert.equal(hasUninitializedTaint(h.node()), false);
    } finally {
      await h.stop();
    }
  });

  it('rejects a provider without Instances or InstancesV2', () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const kube = server.client();
    const ctx: ControllerContext = {
      kube,
      informers: new SharedInformerFactory({ client: kube, clock, random: () => 0.5 }),
      cloud: new FakeCloudProvider({ clock, capabilities: ['loadBalancer'] }),
      recorder: { event: () => {} },
      clock,
      random: () => 0.5,
      logger: noopLogger,
    };
    assert.throws(() => new CloudNodeController(ctx), /does not support instances/);
    const withInstances = { ...ctx, cloud: new FakeCloudProvider({ clock, capabilities: ['instances'] }) };
    assert.throws(() => new CloudNodeController(withInstances, { concurrentNodeSyncs: 0 }), /concurrentNodeSyncs/);
    assert.throws(() => new CloudNodeController(withInstances, { concurrentNodeStatusUpdates: -1 }), /concurrentNodeStatusUpdates/);
  });
});

describe('CloudNodeController reconcileNodeLabels', () => {
  const cases: ReadonlyArray<{ name: string; labels: Record<string, string>; want: Record<string, string>; writes: number }> = [
    {
      name: 'requires reconcile',
      labels: { 'failure-domain.beta.kubernetes.io/zone': 'foo', 'failure-domain.beta.kubernetes.io/region': 'bar', 'beta.kubernetes.io/instance-type': 'the-best-type' },
      want: {
        'failure-domain.beta.kubernetes.io/zone': 'foo',
        'failure-domain.beta.kubernetes.io/region': 'bar',
        'beta.kubernetes.io/instance-type': 'the-best-type',
        'topology.kubernetes.io/zone': 'foo',
        'topology.kubernetes.io/region': 'bar',
        'node.kubernetes.io/instance-type': 'the-best-type',
      },
      writes: 1,
    },
    {
      name: "doesn't require reconcile",
      labels: {
        'failure-domain.beta.kubernetes.io/zone': 'foo',
        'topology.kubernetes.io/zone': 'foo',
        'beta.kubernetes.io/instance-type': 'the-best-type',
        'node.kubernetes.io/instance-type': 'the-best-type',
      },
      want: {
        'failure-domain.beta.kubernetes.io/zone': 'foo',
        'topology.kubernetes.io/zone': 'foo',
        'beta.kubernetes.io/instance-type': 'the-best-type',
        'node.kubernetes.io/instance-type': 'the-best-type',
      },
      writes: 0,
    },
    {
      name: 'require reconcile -- secondary labels are different from primary',
      labels: { 'failure-domain.beta.kubernetes.io/zone': 'foo', 'topology.kubernetes.io/zone': 'wrong', 'beta.kubernetes.io/instance-type': 'a', 'node.kubernetes.io/instance-type': 'b' },
      want: { 'failure-domain.beta.kubernetes.io/zone': 'foo', 'topology.kubernetes.io/zone': 'foo', 'beta.kubernetes.io/instance-type': 'a', 'node.kubernetes.io/instance-type': 'a' },
      writes: 1,
    },
    {
      name: 'GA labels without beta labels are left alone',
      labels: { 'topology.kubernetes.io/zone': 'ga-only' },
      want: { 'topology.kubernetes.io/zone': 'ga-only' },
      writes: 0,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const clock = new FakeClock();
      const fake = cloudOf(V2, [{ nodeName: 'node0' }], clock);
      const h = await startController(fake, [makeNode({ tainted: false, labels: c.labels })], {}, clock);
      try {
        assert.deepEqual(h.node().metadata?.labels, c.want);
        assert.deepEqual(h.writes(), c.writes === 0 ? {} : { 'patch nodes': c.writes });
        // Initialised nodes cost no metadata call outside the periodic address refresh.
        assert.equal(fake.callCount('instanceMetadata'), 1, 'only the first address refresh');
      } finally {
        await h.stop();
      }
    });
  }
});

describe('CloudNodeController periodic address refresh (UpdateNodeStatus)', () => {
  it('refreshes addresses of initialised nodes every node-status-update-frequency, replacing the list', async () => {
    const clock = new FakeClock();
    const fake = cloudOf(V2, [{ nodeName: 'node0', addresses: [internal('10.0.0.1'), external('1.1.1.1')] }], clock);
    const h = await startController(fake, [makeNode()], { nodeStatusUpdateFrequencyMs: 5 * MINUTE }, clock);
    try {
      assert.deepEqual(h.node().status?.addresses, [internal('10.0.0.1'), external('1.1.1.1')]);
      fake.updateInstance({ nodeName: 'node0' }, { addresses: [internal('10.0.0.2')] });
      await clock.advance(5 * MINUTE - 1);
      await h.settle();
      assert.deepEqual(h.node().status?.addresses, [internal('10.0.0.1'), external('1.1.1.1')], 'not before the period');
      await clock.advance(1);
      await h.settle();
      assert.deepEqual(h.node().status?.addresses, [internal('10.0.0.2')]);
      // Unchanged addresses cost no write on the next pass.
      const before = h.writes()['patch nodes/status'];
      await clock.advance(5 * MINUTE);
      await h.settle();
      assert.equal(h.writes()['patch nodes/status'], before);
    } finally {
      await h.stop();
    }
  });

  it('defaults to a 5 minute period', async () => {
    const clock = new FakeClock();
    const fake = cloudOf(V2, [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }], clock);
    const h = await startController(fake, [makeNode({ tainted: false })], {}, clock);
    try {
      assert.equal(fake.callCount('instanceMetadata'), 1, 'first pass right after cache sync');
      await clock.advance(5 * MINUTE - 1);
      assert.equal(fake.callCount('instanceMetadata'), 1);
      await clock.advance(1);
      await h.settle();
      assert.equal(fake.callCount('instanceMetadata'), 2);
    } finally {
      await h.stop();
    }
  });

  it('skips nodes still tainted and honours the provided node IP', async () => {
    const clock = new FakeClock();
    const fake = cloudOf(
      V1,
      [
        { nodeName: 'tainted', addresses: [internal('10.0.0.1')] },
        { nodeName: 'ready', providerID: 'fake://ready', addresses: [internal('10.0.1.1'), internal('10.0.1.2'), external('2.2.2.2')] },
      ],
      clock,
    );
    fake.failAlways('instanceID', new Error('keep it tainted'));
    const nodes = [
      makeNode({ name: 'tainted' }),
      makeNode({ name: 'ready', tainted: false, providerID: 'fake://ready', annotations: { [PROVIDED_IP]: '10.0.1.2' }, addresses: [hostname('ready')] }),
    ];
    const h = await startController(fake, nodes, {}, clock);
    try {
      assert.deepEqual(h.node('ready').status?.addresses, [internal('10.0.1.2'), external('2.2.2.2'), hostname('ready')]);
      assert.equal(h.node('tainted').status?.addresses, undefined);
      assert.deepEqual(
        fake.calls('nodeAddressesByProviderID').map((c) => c.args[0]),
        ['fake://ready'],
      );
    } finally {
      await h.stop();
    }
  });

  it('falls back to addresses by node name when the providerID lookup fails (Instances v1)', async () => {
    const clock = new FakeClock();
    const fake = cloudOf(V1, [{ nodeName: 'node0', addresses: [internal('10.0.0.1')] }], clock);
    fake.failAlways('nodeAddressesByProviderID', new InstanceNotFoundError());
    const h = await startController(fake, [makeNode({ tainted: false, providerID: 'fake://gone' })], {}, clock);
    try {
      assert.deepEqual(h.node().status?.addresses, [internal('10.0.0.1')]);
      assert.equal(fake.callCount('nodeAddresses'), 1);
    } finally {
      await h.stop();
    }
  });

  it('guards nil InstancesV2 metadata for an initialised node (upstream would crash) and refreshes the others', async () => {
    const clock = new FakeClock();
    const fake = cloudOf(V2, [{ nodeName: 'a', addresses: [internal('10.0.0.1')] }, { nodeName: 'b', addresses: [internal('10.0.0.2')] }], clock);
    const cloud = withNilMetadata(fake, (node) => node.metadata?.name === 'a');
    const h = await startController(cloud, [makeNode({ name: 'a', tainted: false }), makeNode({ name: 'b', tainted: false })], {}, clock);
    try {
      assert.equal(h.node('a').status?.addresses, undefined);
      assert.deepEqual(h.node('b').status?.addresses, [internal('10.0.0.2')]);
      await clock.advance(5 * MINUTE);
      await h.settle();
      assert.equal(fake.callCount('instanceMetadata'), 4, 'the loop keeps running');
    } finally {
      await h.stop();
    }
  });

  for (const { workers, wantMs } of [
    { workers: 1, wantMs: 3000 },
    { workers: 3, wantMs: 1000 },
  ]) {
    it(`runs the refresh with concurrent-node-status-updates=${workers} workers`, async () => {
      const clock = new FakeClock();
      const fake = cloudOf(V2, ['a', 'b', 'c'].map((nodeName) => ({ nodeName, addresses: [internal('10.0.0.1')] })), clock);
      fake.setLatency('instanceMetadata', 1000);
      const start = clock.now();
      const nodes = ['a', 'b', 'c'].map((name) => makeNode({ name, tainted: false }));
      const h = await startController(fake, nodes, { concurrentNodeStatusUpdates: workers }, clock);
      try {
        for (let t = 0; t < wantMs; t += 500) await clock.advance(500);
        await h.settle();
        for (const name of ['a', 'b', 'c']) assert.deepEqual(h.node(name).status?.addresses, [internal('10.0.0.1')]);
        const lastStart = Math.max(...fake.calls('instanceMetadata').map((c) => c.at - start));
        assert.equal(lastStart, wantMs - 1000);
      } finally {
        await h.stop();
      }
    });
  }
});
