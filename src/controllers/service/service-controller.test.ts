import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER as FIN, TO_BE_DELETED_TAINT } from '../../cloud/constants.js';
import { ImplementedElsewhereError, RetryError } from '../../cloud/errors.js';
import type { LoadBalancer, LoadBalancerStatus } from '../../cloud/load-balancer.js';
import type { CloudProvider } from '../../cloud/provider.js';
import { FakeClock } from '../../kube/clock.js';
import type { KubeClient } from '../../kube/client.js';
import { EventBroadcaster } from '../../kube/events.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import { SharedInformerFactory } from '../../kube/shared-informers.js';
import { noopLogger } from '../../log/logger.js';
import { FakeCloudProvider } from '../../providers/fake/fake-provider.js';
import { QueueWatch } from '../../simulation/runner/queue-watch.js';
import { settle as settleQueues } from '../../testing/settle.js';
import type { ControllerContext } from '../context.js';
import { LABEL_NODE_EXCLUDE_BALANCERS } from './node-predicates.js';
import { NODE_SYNC_MIN_INTERVAL_MS, ServiceController, SERVICE_CONTROLLER_EVENT_SOURCE } from './service-controller.js';
import type { ServiceControllerOptions } from './service-controller.js';

const UA = 'service-controller';

function node(name: string, extra: { labels?: Record<string, string>; taints?: string[]; providerID?: string; finalizers?: string[] } = {}): Node {
  return {
    metadata: { name, labels: extra.labels ?? {}, ...(extra.finalizers === undefined ? {} : { finalizers: extra.finalizers }) },
    spec: { ...(extra.providerID === '' ? {} : { providerID: extra.providerID ?? `fake://${name}` }), taints: (extra.taints ?? []).map((key) => ({ key, effect: 'NoSchedule' })) },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

function lbService(name: string, extra: { spec?: Service['spec']; finalizers?: string[]; ingress?: Service['status'] } = {}): Service {
  return {
    metadata: { name, namespace: 'default', ...(extra.finalizers === undefined ? {} : { finalizers: extra.finalizers }) },
    // No nodePort: the API allocates one per Service, as kube-apiserver does.
    spec: { type: 'LoadBalancer', ports: [{ name: 'http', protocol: 'TCP', port: 80 }], ...extra.spec },
    ...(extra.ingress === undefined ? {} : { status: extra.ingress }),
  };
}

interface Harness {
  clock: FakeClock;
  server: SimulatedApiServer;
  /** The test's own client (requests not counted as the controller's). */
  admin: KubeClient;
  cloud: FakeCloudProvider;
  controller: ServiceController;
  settle(): Promise<void>;
  /** Advances virtual time and settles. */
  advance(ms: number): Promise<void>;
  /** `services/status` patches sent by the controller. */
  patches(): number;
  /** Event reasons (counting repeats) per Service name, in creation order. */
  events(name?: string): Promise<string[]>;
  service(name: string): Promise<Service | undefined>;
  stop(): Promise<void>;
}

async function start(
  opts: { nodes?: Node[]; services?: Service[]; options?: ServiceControllerOptions; provider?: (cloud: FakeCloudProvider) => CloudProvider } = {},
): Promise<Harness> {
  const clock = new FakeClock();
  const server = new SimulatedApiServer({ clock });
  const admin = server.client({ userAgent: 'test' });
  for (const n of opts.nodes ?? [node('node1'), node('node2')]) await admin.nodes.create(n);
  for (const s of opts.services ?? []) {
    const created = await admin.services.create(s);
    if (s.status !== undefined) await admin.services.patchStatus({ namespace: 'default', name: s.metadata?.name ?? '' }, { type: 'merge', body: { status: s.status } });
    void created;
  }
  const cloud = new FakeCloudProvider({ clock, capabilities: ['loadBalancer'] });
  const kube = server.client({ userAgent: UA });
  const random = (): number => 0.5;
  const informers = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random });
  const broadcaster = new EventBroadcaster({ client: kube, clock, random });
  const queues = new QueueWatch();
  const ctx: ControllerContext = {
    kube,
    informers,
    cloud: opts.provider?.(cloud) ?? cloud,
    recorder: broadcaster.newRecorder({ component: SERVICE_CONTROLLER_EVENT_SOURCE }),
    clock,
    random,
    logger: noopLogger,
    workQueueMetrics: queues,
  };
  const controller = new ServiceController(ctx, opts.options);
  const stop = new AbortController();
  informers.start(stop.signal);
  const running = controller.run(stop.signal);
  // Runs what can run at this instant; when the only work owed is a host-update pass folded to the
  // end of its minimum interval, lets that much virtual time pass for it (and nothing else: backoffs
  // and slow cloud calls wait for advance()).
  const settle = async (): Promise<void> => {
    const start = clock.now();
    for (;;) {
      await settleQueues(clock, { queues });
      const next = clock.nextTimerAt();
      const onlyNodeSyncWaits = queues.describeBusy().join() === 'node: 0 pending, 0 in flight, 1 delayed';
      if (!onlyNodeSyncWaits || next === undefined || next > start + NODE_SYNC_MIN_INTERVAL_MS) break;
      await clock.advanceTo(next);
    }
    await broadcaster.flush();
  };
  const h: Harness = {
    clock,
    server,
    admin,
    cloud,
    controller,
    settle,
    async advance(ms) {
      await clock.advance(ms);
      await settle();
    },
    patches: () =>
      server
        .requestCounts()
        .filter((c) => c.userAgent === UA && c.verb === 'patch' && c.resource !== 'events')
        .reduce((sum, c) => {
          assert.equal(c.resource, 'services/status', 'every controller patch goes to services/status');
          return sum + c.count;
        }, 0),
    async events(name) {
      await broadcaster.flush();
      const items = (await admin.events.list()).items
        .filter((e) => e.source?.component === SERVICE_CONTROLLER_EVENT_SOURCE && (name === undefined || e.involvedObject.name === name))
        .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
      return items.flatMap((e) => Array.from({ length: e.count ?? 1 }, () => `${e.type}/${e.reason}`));
    },
    async service(name) {
      return server.snapshot<Service>({ group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, hasStatus: true }).find((s) => s.metadata?.name === name);
    },
    async stop() {
      stop.abort();
      await running;
      await informers.shutdown();
      await broadcaster.shutdown();
    },
  };
  await settle();
  return h;
}

const names = (nodes: readonly Readonly<Node>[]): string[] => nodes.map((n) => n.metadata?.name ?? '').sort();

describe('ServiceController: Service lifecycle', () => {
  it('a new LoadBalancer Service gets the finalizer before the cloud is called, then its status: 1 Ensure, 2 patches', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1);
      assert.equal(h.patches(), 2);
      const svc = await h.service('web');
      assert.deepEqual(svc?.metadata?.finalizers, [FIN]);
      assert.deepEqual(svc?.status?.loadBalancer?.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }]);
      assert.deepEqual(names(h.cloud.calls('ensureLoadBalancer')[0]?.args[2] ?? []), ['node1', 'node2']);
      assert.equal(h.cloud.calls('ensureLoadBalancer')[0]?.args[0], 'kubernetes', 'default --cluster-name');
      assert.deepEqual(await h.events('web'), ['Normal/EnsuringLoadBalancer', 'Normal/EnsuredLoadBalancer']);
    } finally {
      await h.stop();
    }
  });

  it('a Service that already has the finalizer: 1 Ensure, 1 patch (status only)', async () => {
    const h = await start({ services: [lbService('web', { finalizers: [FIN] })] });
    try {
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1);
      assert.equal(h.patches(), 1);
    } finally {
      await h.stop();
    }
  });

  it('a Service with the finalizer and the status the provider returns: 1 Ensure, 0 patches', async () => {
    const h = await start({ services: [lbService('web', { finalizers: [FIN], ingress: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } })] });
    try {
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1);
      assert.equal(h.patches(), 0);
    } finally {
      await h.stop();
    }
  });

  it('no-op resyncs (30 s Services, 100 s Nodes) make no cloud calls and no patches', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      h.cloud.resetCalls();
      h.server.resetRequestCounts();
      await h.advance(30_000);
      await h.advance(30_000);
      await h.advance(40_000);
      assert.equal(h.cloud.callCount(), 0);
      assert.equal(h.patches(), 0);
    } finally {
      await h.stop();
    }
  });

  it('--cluster-name is passed to the provider', async () => {
    const h = await start({ services: [lbService('web')], options: { clusterName: 'prod' } });
    try {
      assert.equal(h.cloud.calls('ensureLoadBalancer')[0]?.args[0], 'prod');
    } finally {
      await h.stop();
    }
  });

  // Upstream TestSyncLoadBalancerIfNeeded, observed through the cluster and the cloud.
  const syncCases: {
    name: string;
    service: Service;
    lbExists: boolean;
    want: { ensure: number; get: number; deleted: number; patches: number; finalizers: string[] | undefined; events: string[] };
  }[] = [
    {
      name: "service doesn't want LB",
      service: lbService('s', { spec: { type: 'ClusterIP' } }),
      lbExists: false,
      want: { ensure: 0, get: 0, deleted: 0, patches: 0, finalizers: undefined, events: [] },
    },
    {
      name: 'udp service that wants LB',
      service: lbService('s', { spec: { ports: [{ port: 53, protocol: 'UDP' }] } }),
      lbExists: false,
      want: { ensure: 1, get: 0, deleted: 0, patches: 2, finalizers: [FIN], events: ['Normal/EnsuringLoadBalancer', 'Normal/EnsuredLoadBalancer'] },
    },
    {
      name: 'sctp service that wants LB',
      service: lbService('s', { spec: { ports: [{ port: 9, protocol: 'SCTP' }] } }),
      lbExists: false,
      want: { ensure: 1, get: 0, deleted: 0, patches: 2, finalizers: [FIN], events: ['Normal/EnsuringLoadBalancer', 'Normal/EnsuredLoadBalancer'] },
    },
    {
      name: 'service specifies loadBalancerClass',
      service: lbService('s', { spec: { loadBalancerClass: 'example.com/other' } }),
      lbExists: false,
      want: { ensure: 0, get: 0, deleted: 0, patches: 0, finalizers: undefined, events: [] },
    },
    {
      name: 'service with finalizer that no longer wants LB',
      service: lbService('s', { spec: { type: 'ClusterIP' }, finalizers: [FIN], ingress: { loadBalancer: { ingress: [{ ip: '192.0.2.1', ipMode: 'VIP' }] } } }),
      lbExists: true,
      want: { ensure: 0, get: 1, deleted: 1, patches: 1, finalizers: undefined, events: ['Normal/DeletingLoadBalancer', 'Normal/DeletedLoadBalancer'] },
    },
    {
      name: 'service with finalizer that no longer wants LB and has no LB: no delete call, still DeletedLoadBalancer',
      service: lbService('s', { spec: { type: 'NodePort' }, finalizers: [FIN] }),
      lbExists: false,
      want: { ensure: 0, get: 1, deleted: 0, patches: 1, finalizers: undefined, events: ['Normal/DeletedLoadBalancer'] },
    },
    {
      name: 'service with finalizer that wants LB',
      service: lbService('s', { finalizers: [FIN] }),
      lbExists: false,
      want: { ensure: 1, get: 0, deleted: 0, patches: 1, finalizers: [FIN], events: ['Normal/EnsuringLoadBalancer', 'Normal/EnsuredLoadBalancer'] },
    },
  ];
  for (const c of syncCases) {
    it(c.name, async () => {
      const h = await start({
        services: [c.service],
        provider: (cloud) => {
          if (c.lbExists) cloud.loadBalancer()?.ensureLoadBalancer('kubernetes', c.service, []).catch(() => undefined);
          return cloud;
        },
      });
      try {
        assert.equal(h.cloud.callCount('ensureLoadBalancer') - (c.lbExists ? 1 : 0), c.want.ensure, 'ensure calls');
        assert.equal(h.cloud.callCount('getLoadBalancer'), c.want.get, `get calls: ${JSON.stringify(h.cloud.calls().map((x) => x.method))} ${JSON.stringify(await h.events())}`);
        assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), c.want.deleted, 'delete calls');
        assert.equal(h.patches(), c.want.patches, 'patches');
        const svc = await h.service('s');
        assert.deepEqual(svc?.metadata?.finalizers ?? [], c.want.finalizers ?? []);
        if (c.want.deleted > 0) {
          assert.equal(h.cloud.loadBalancerFor('default/s'), undefined, 'the load balancer is gone');
          assert.equal(svc?.status?.loadBalancer?.ingress, undefined, 'status cleared');
        }
        assert.deepEqual(await h.events('s'), c.want.events);
      } finally {
        await h.stop();
      }
    });
  }

  it('deleting a Service tears down its load balancer, then removes the finalizer and the Service goes', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      assert.ok(h.cloud.loadBalancerFor('default/web'));
      h.server.resetRequestCounts();
      await h.admin.services.delete({ namespace: 'default', name: 'web' });
      await h.settle();
      assert.equal(h.cloud.loadBalancerFor('default/web'), undefined);
      assert.equal(await h.service('web'), undefined, 'the finalizer was removed, so the Service is gone');
      assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), 1);
      assert.equal(h.patches(), 1, 'one patch removes the finalizer and clears the status');
      assert.deepEqual((await h.events('web')).slice(-2), ['Normal/DeletingLoadBalancer', 'Normal/DeletedLoadBalancer']);
    } finally {
      await h.stop();
    }
  });

  it('a failing EnsureLoadBalancerDeleted keeps the Service (finalizer stays) until the cloud delete succeeds: no load balancer leaks', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      h.cloud.failNext('ensureLoadBalancerDeleted', new Error('cloud API unavailable'), 2);
      await h.admin.services.delete({ namespace: 'default', name: 'web' });
      await h.settle();
      const check = async (): Promise<void> => {
        const svc = await h.service('web');
        // The invariant: while the cloud has the load balancer, the Service (and our finalizer) exist.
        if (h.cloud.loadBalancerFor('default/web') !== undefined) assert.deepEqual(svc?.metadata?.finalizers, [FIN]);
      };
      await check();
      assert.ok(h.cloud.loadBalancerFor('default/web'));
      assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), 1);
      await h.advance(4_999);
      await check();
      assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), 1, 'backoff: nothing before 5 s');
      await h.advance(1);
      await check();
      assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), 2, 'first retry after 5 s');
      await h.advance(9_999);
      assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), 2);
      await h.advance(1);
      assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), 3, 'second retry after 10 s more');
      assert.equal(h.cloud.loadBalancerFor('default/web'), undefined);
      assert.equal(await h.service('web'), undefined);
      const events = await h.events('web');
      assert.equal(events.filter((e) => e === 'Warning/SyncLoadBalancerFailed').length, 2);
      assert.equal(events.at(-1), 'Normal/DeletedLoadBalancer');
    } finally {
      await h.stop();
    }
  });

  it('changing the type to ClusterIP deletes the load balancer, removes the finalizer and clears the status in one patch', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      h.server.resetRequestCounts();
      await h.admin.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { spec: { type: 'ClusterIP', ports: [{ port: 80, name: 'http', protocol: 'TCP' }] } } });
      await h.settle();
      const svc = await h.service('web');
      assert.deepEqual(svc?.metadata?.finalizers ?? [], []);
      assert.equal(svc?.status?.loadBalancer?.ingress, undefined);
      assert.equal(h.cloud.loadBalancerFor('default/web'), undefined);
      assert.equal(h.patches(), 1);
    } finally {
      await h.stop();
    }
  });

  it('a Service deleted and recreated with a new UID without our finalizer: the old load balancer is deleted before the new one is ensured', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      const oldUid = (await h.service('web'))?.metadata?.uid;
      // Someone strips the finalizer, then the Service is deleted and recreated under the same name.
      await h.admin.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { finalizers: null } } });
      await h.settle();
      h.cloud.resetCalls();
      await h.admin.services.delete({ namespace: 'default', name: 'web' });
      await h.admin.services.create(lbService('web'));
      await h.settle();
      const calls = h.cloud.calls().map((c) => `${c.method}:${c.method === 'ensureLoadBalancerDeleted' || c.method === 'ensureLoadBalancer' ? c.args[1].metadata?.uid === oldUid : ''}`);
      assert.deepEqual(calls.slice(0, 2), ['ensureLoadBalancerDeleted:true', 'ensureLoadBalancer:false']);
      assert.ok(h.cloud.loadBalancerFor('default/web'));
    } finally {
      await h.stop();
    }
  });

  it('a Service deleted without our finalizer gets its load balancer torn down from the controller cache', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      await h.admin.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { finalizers: null } } });
      await h.settle();
      await h.admin.services.delete({ namespace: 'default', name: 'web' });
      await h.settle();
      assert.equal(h.cloud.loadBalancerFor('default/web'), undefined);
      assert.equal(h.cloud.callCount('ensureLoadBalancerDeleted'), 1);
      assert.deepEqual((await h.events('web')).slice(-2), ['Normal/DeletingLoadBalancer', 'Normal/DeletedLoadBalancer']);
    } finally {
      await h.stop();
    }
  });

  it('a Service update that does not count (a label) triggers nothing; one that counts (a port) triggers one Ensure', async () => {
    const h = await start({ services: [lbService('web')] });
    try {
      h.cloud.resetCalls();
      await h.admin.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { labels: { team: 'a' } } } });
      await h.settle();
      assert.equal(h.cloud.callCount(), 0);
      await h.admin.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { annotations: { 'example.com/x': '1' } } } });
      await h.settle();
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1);
    } finally {
      await h.stop();
    }
  });
});

describe('ServiceController: errors and retries', () => {
  it('Ensure failing twice then succeeding: two SyncLoadBalancerFailed, backoff 5 s then 10 s, then EnsuredLoadBalancer and status', async () => {
    const clockStart = new FakeClock().now();
    const h = await start({
      services: [lbService('web')],
      provider: (cloud) => {
        cloud.failNext('ensureLoadBalancer', new Error('quota exceeded'), 2);
        return cloud;
      },
    });
    try {
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1);
      await h.advance(4_999);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1);
      await h.advance(1);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 2);
      await h.advance(9_999);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 2);
      await h.advance(1);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 3);
      const at = h.cloud.calls('ensureLoadBalancer').map((c) => c.at - clockStart);
      assert.deepEqual([(at[1] ?? 0) - (at[0] ?? 0), (at[2] ?? 0) - (at[1] ?? 0)], [5_000, 10_000], 'delays grow on the virtual clock');
      const events = await h.events('web');
      assert.equal(events.filter((e) => e === 'Warning/SyncLoadBalancerFailed').length, 2);
      assert.equal(events.at(-1), 'Normal/EnsuredLoadBalancer');
      assert.deepEqual((await h.service('web'))?.status?.loadBalancer?.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }]);
      await h.advance(600_000);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 3, 'success forgets the key: no more retries');
    } finally {
      await h.stop();
    }
  });

  it('the backoff is capped at 300 s', async () => {
    const h = await start({
      services: [lbService('web')],
      provider: (cloud) => {
        cloud.failAlways('ensureLoadBalancer', new Error('down'));
        return cloud;
      },
    });
    try {
      for (let i = 0; i < 8; i++) await h.advance(300_000);
      const at = h.cloud.calls('ensureLoadBalancer').map((c) => c.at);
      const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
      assert.deepEqual(gaps.slice(0, 7), [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000]);
    } finally {
      await h.stop();
    }
  });

  // Upstream TestServiceQueueDelay.
  const delayCases: { name: string; error: Error | undefined; wantRetryAt: number | undefined }[] = [
    { name: 'processing successful', error: undefined, wantRetryAt: undefined },
    { name: 'regular error', error: new Error('something went wrong'), wantRetryAt: 5_000 },
    { name: 'retry error', error: new RetryError('LB create in progress', 42_000), wantRetryAt: 42_000 },
    { name: 'wrapped retry error', error: new Error('outer', { cause: new RetryError('LB create in progress', 42_000) }), wantRetryAt: 42_000 },
  ];
  for (const c of delayCases) {
    it(c.name, async () => {
      const h = await start({
        services: [lbService('web')],
        provider: (cloud) => {
          if (c.error !== undefined) cloud.failNext('ensureLoadBalancer', c.error);
          return cloud;
        },
      });
      try {
        const first = h.cloud.calls('ensureLoadBalancer')[0]?.at ?? 0;
        await h.advance(60_000);
        const second = h.cloud.calls('ensureLoadBalancer')[1];
        assert.equal(second === undefined ? undefined : second.at - first, c.wantRetryAt);
      } finally {
        await h.stop();
      }
    });
  }

  it('ImplementedElsewhere from Ensure: the finalizer stays, no status write, no failure event', async () => {
    const h = await start({
      services: [lbService('web')],
      provider: (cloud) => {
        cloud.failAlways('ensureLoadBalancer', new ImplementedElsewhereError());
        return cloud;
      },
    });
    try {
      assert.equal(h.patches(), 1);
      const svc = await h.service('web');
      assert.deepEqual(svc?.metadata?.finalizers, [FIN]);
      assert.equal(svc?.status?.loadBalancer?.ingress, undefined);
      assert.deepEqual(await h.events('web'), ['Normal/EnsuringLoadBalancer']);
      await h.advance(60_000);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1, 'success: not retried');
    } finally {
      await h.stop();
    }
  });

  it('a provider returning no status and no error: SyncLoadBalancerFailed naming the provider, retried with backoff', async () => {
    const h = await start({
      services: [lbService('web')],
      provider: (cloud) => {
        const inner = cloud.loadBalancer() as LoadBalancer;
        const broken: LoadBalancer = {
          getLoadBalancer: (...a) => inner.getLoadBalancer(...a),
          getLoadBalancerName: (...a) => inner.getLoadBalancerName(...a),
          updateLoadBalancer: (...a) => inner.updateLoadBalancer(...a),
          ensureLoadBalancerDeleted: (...a) => inner.ensureLoadBalancerDeleted(...a),
          ensureLoadBalancer: async (...a) => {
            await inner.ensureLoadBalancer(...a);
            return undefined as unknown as LoadBalancerStatus;
          },
        };
        return { name: 'brokencloud', loadBalancer: () => broken };
      },
    });
    try {
      const events = await h.events('web');
      assert.deepEqual(events, ['Normal/EnsuringLoadBalancer', 'Warning/SyncLoadBalancerFailed']);
      const [failed] = (await h.admin.events.list()).items.filter((e) => e.reason === 'SyncLoadBalancerFailed');
      assert.match(failed?.message ?? '', /^Error syncing load balancer: cloud provider "brokencloud" broke the provider contract: ensureLoadBalancer returned no load balancer status/);
      assert.equal(failed?.type, 'Warning');
      await h.advance(5_000);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 2, 'retried after 5 s');
      assert.equal((await h.service('web'))?.status?.loadBalancer?.ingress, undefined, 'no status written');
    } finally {
      await h.stop();
    }
  });

  it('a Service whose ports the provider rejects gets a Warning with the provider message; other Services are undisturbed', async () => {
    const h = await start({
      services: [lbService('smtp', { spec: { ports: [{ port: 25, protocol: 'TCP' }] } }), lbService('web')],
      provider: (cloud) => {
        cloud.onCall = (call) => {
          if (call.method === 'ensureLoadBalancer' && call.args[1].metadata?.name === 'smtp') throw new Error('port 25/TCP is not allowed by this cloud');
        };
        return cloud;
      },
    });
    try {
      const [failed] = (await h.admin.events.list()).items.filter((e) => e.reason === 'SyncLoadBalancerFailed');
      assert.equal(failed?.involvedObject.name, 'smtp');
      assert.equal(failed?.message, 'Error syncing load balancer: failed to ensure load balancer: port 25/TCP is not allowed by this cloud');
      assert.deepEqual((await h.service('web'))?.status?.loadBalancer?.ingress, [{ ip: '192.0.2.1', ipMode: 'VIP' }]);
      assert.equal((await h.service('smtp'))?.status?.loadBalancer?.ingress, undefined);
      assert.deepEqual(await h.events('web'), ['Normal/EnsuringLoadBalancer', 'Normal/EnsuredLoadBalancer']);
    } finally {
      await h.stop();
    }
  });

  it('a failing finalizer patch stops the sync before the cloud is called', async () => {
    const h = await start({ services: [] });
    try {
      const { apiErrors } = await import('../../kube/errors.js');
      h.server.faults.inject({ verb: 'patch', resource: 'services/status', error: apiErrors.conflict('services', '', 'web', 'boom'), times: 1 });
      await h.admin.services.create(lbService('web'));
      await h.settle();
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 0);
      assert.deepEqual(await h.events('web'), ['Normal/EnsuringLoadBalancer', 'Warning/SyncLoadBalancerFailed']);
      await h.advance(5_000);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1);
      assert.deepEqual((await h.service('web'))?.metadata?.finalizers, [FIN]);
    } finally {
      await h.stop();
    }
  });

  it('rejects a provider without load balancers and a bad --concurrent-service-syncs', () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const kube = server.client();
    const base = {
      kube,
      informers: new SharedInformerFactory({ client: kube, clock, random: () => 0 }),
      recorder: { event: () => undefined },
      clock,
      random: () => 0,
      logger: noopLogger,
    };
    const noLb = new FakeCloudProvider({ clock, capabilities: ['instancesV2'] });
    assert.equal(ServiceController.supported(noLb), false);
    assert.throws(() => new ServiceController({ ...base, cloud: noLb }), /does not support external load balancers/);
    const cloud = new FakeCloudProvider({ clock });
    assert.equal(ServiceController.supported(cloud), true);
    assert.throws(() => new ServiceController({ ...base, cloud }, { concurrentServiceSyncs: 0 }), /concurrent-service-syncs/);
  });
});

describe('ServiceController: status', () => {
  it('copies the provider status exactly (hostname, ipMode, ports) and re-patches when only ipMode changes', async () => {
    const status: LoadBalancerStatus = { ingress: [{ ip: '203.0.113.7', ipMode: 'Proxy', ports: [{ port: 80, protocol: 'TCP' }] }, { hostname: 'lb.example.com' }] };
    const h = await start({
      services: [lbService('web')],
      provider: (cloud) => {
        cloud.ensureStatus('default/web', status);
        return cloud;
      },
    });
    try {
      assert.deepEqual((await h.service('web'))?.status?.loadBalancer?.ingress, status.ingress);
      h.server.resetRequestCounts();
      h.cloud.ensureStatus('default/web', { ingress: [{ ...status.ingress[0], ipMode: 'VIP' }, { hostname: 'lb.example.com' }] });
      await h.admin.services.patch({ namespace: 'default', name: 'web' }, { type: 'merge', body: { metadata: { annotations: { touch: '1' } } } });
      await h.settle();
      assert.equal(h.patches(), 1);
      assert.equal((await h.service('web'))?.status?.loadBalancer?.ingress?.[0]?.ipMode, 'VIP');
    } finally {
      await h.stop();
    }
  });
});

describe('ServiceController: node changes (KEP-3458 stable node set)', () => {
  const three = (): Node[] => [node('node1'), node('node2'), node('node3')];
  const services = (): Service[] => [
    lbService('s0', { spec: { externalTrafficPolicy: 'Local' } }),
    lbService('s1', { spec: { externalTrafficPolicy: 'Local' } }),
    lbService('s2'),
  ];
  // Upstream TestNodeChangesForStableNodeSetEnabled, driven through the Node API and handlers.
  const cases: { name: string; initial: Node[]; change: (admin: KubeClient) => Promise<void>; wantHosts: string[] | undefined }[] = [
    { name: 'No node changes', initial: three(), change: async () => undefined, wantHosts: undefined },
    { name: '1 new node gets added', initial: [node('node1'), node('node2')], change: async (a) => void (await a.nodes.create(node('node3'))), wantHosts: ['node1', 'node2', 'node3'] },
    {
      name: '1 node goes NotReady',
      initial: three(),
      change: async (a) => void (await a.nodes.patchStatus({ name: 'node2' }, { type: 'strategic', body: { status: { conditions: [{ type: 'Ready', status: 'False' }] } } })),
      wantHosts: undefined,
    },
    {
      name: '1 node gets Tainted (no pass by itself: taints do not trigger, as upstream)',
      initial: three(),
      change: async (a) => void (await a.nodes.patch({ name: 'node2' }, { type: 'merge', body: { spec: { taints: [{ key: TO_BE_DELETED_TAINT, effect: 'NoSchedule' }] } } })),
      wantHosts: undefined,
    },
    {
      name: '1 node get excluded',
      initial: three(),
      change: async (a) => void (await a.nodes.patch({ name: 'node2' }, { type: 'merge', body: { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: '' } } } })),
      wantHosts: ['node1', 'node3'],
    },
    { name: '1 old node gets deleted', initial: three(), change: async (a) => a.nodes.delete({ name: 'node3' }), wantHosts: ['node1', 'node2'] },
    {
      name: '1 node marked for deletion (no pass by itself, as upstream)',
      initial: [node('node1'), node('node2', { finalizers: ['example.com/hold'] }), node('node3')],
      change: async (a) => a.nodes.delete({ name: 'node2' }),
      wantHosts: undefined,
    },
    {
      name: '1 spurious node update',
      initial: three(),
      change: async (a) => void (await a.nodes.patch({ name: 'node2' }, { type: 'merge', body: { spec: { taints: [{ key: 'Other', effect: 'NoSchedule' }] } } })),
      wantHosts: undefined,
    },
    {
      name: 'providerID set F -> T',
      initial: [node('node1'), node('node2', { providerID: '' }), node('node3')],
      change: async (a) => void (await a.nodes.patch({ name: 'node2' }, { type: 'merge', body: { spec: { providerID: 'fake://node2' } } })),
      wantHosts: ['node1', 'node2', 'node3'],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const h = await start({ nodes: c.initial, services: services() });
      try {
        h.cloud.resetCalls();
        h.server.resetRequestCounts();
        await c.change(h.admin);
        await h.settle();
        const updates = h.cloud.calls('updateLoadBalancer');
        if (c.wantHosts === undefined) {
          assert.equal(updates.length, 0);
        } else {
          assert.deepEqual(updates.map((u) => u.args[1].metadata?.name).sort(), ['s0', 's1', 's2'], 'exactly one UpdateLoadBalancer per Service');
          for (const u of updates) assert.deepEqual(names(u.args[2]), c.wantHosts);
          for (const s of ['s0', 's1', 's2']) assert.deepEqual(h.cloud.loadBalancerFor(`default/${s}`)?.nodes, c.wantHosts);
          assert.deepEqual(await h.events('s0').then((e) => e.at(-1)), 'Normal/UpdatedLoadBalancer');
        }
        assert.equal(h.cloud.callCount('ensureLoadBalancer'), 0, 'host changes never need an Ensure');
        assert.equal(h.patches(), 0, 'host changes write nothing to the API');
      } finally {
        await h.stop();
      }
    });
  }

  it('a tainted node leaves the backends at the next pass, and the next Ensure never includes it', async () => {
    const h = await start({ nodes: [node('node1'), node('node2')], services: [lbService('s0')] });
    try {
      await h.admin.nodes.patch({ name: 'node2' }, { type: 'merge', body: { spec: { taints: [{ key: TO_BE_DELETED_TAINT, effect: 'NoSchedule' }] } } });
      await h.settle();
      await h.admin.services.create(lbService('s1'));
      await h.settle();
      assert.deepEqual(names(h.cloud.calls('ensureLoadBalancer').at(-1)?.args[2] ?? []), ['node1']);
      await h.admin.nodes.create(node('node3'));
      await h.settle();
      const updates = h.cloud.calls('updateLoadBalancer');
      assert.deepEqual(updates.map((u) => [u.args[1].metadata?.name, names(u.args[2])]), [['s0', ['node1', 'node3']], ['s1', ['node1', 'node3']]]);
    } finally {
      await h.stop();
    }
  });

  it('1 new node gets added - with retries: a failed UpdateLoadBalancer emits UpdateLoadBalancerFailed and the Service is re-ensured', async () => {
    const h = await start({ nodes: [node('node1')], services: [lbService('s0')] });
    try {
      h.cloud.resetCalls();
      h.cloud.failNext('updateLoadBalancer', new Error('backend API down'));
      await h.admin.nodes.create(node('node2'));
      await h.settle();
      assert.equal(h.cloud.callCount('updateLoadBalancer'), 1);
      assert.equal(h.cloud.callCount('getLoadBalancer'), 1, 'checks whether the load balancer exists');
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 1, 'retried through the Service queue as a full Ensure');
      assert.deepEqual(names(h.cloud.calls('ensureLoadBalancer')[0]?.args[2] ?? []), ['node1', 'node2']);
      const [failed] = (await h.admin.events.list()).items.filter((e) => e.reason === 'UpdateLoadBalancerFailed');
      assert.equal(failed?.type, 'Warning');
      assert.equal(failed?.message, 'Error updating load balancer with new hosts [node1 node2] [node names limited, total number of nodes: 2], error: backend API down');
    } finally {
      await h.stop();
    }
  });

  it('ImplementedElsewhere from UpdateLoadBalancer counts as success', async () => {
    const h = await start({ nodes: [node('node1')], services: [lbService('s0')] });
    try {
      h.cloud.resetCalls();
      h.cloud.failNext('updateLoadBalancer', new ImplementedElsewhereError());
      await h.admin.nodes.create(node('node2'));
      await h.settle();
      assert.equal(h.cloud.callCount('getLoadBalancer'), 0);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 0);
      assert.equal((await h.events('s0')).includes('Warning/UpdateLoadBalancerFailed'), false);
    } finally {
      await h.stop();
    }
  });

  it('all nodes excluded: UnAvailableLoadBalancer on update and on ensure, and the calls still go out', async () => {
    const h = await start({ nodes: [node('node1')], services: [lbService('s0')] });
    try {
      await h.admin.nodes.patch({ name: 'node1' }, { type: 'merge', body: { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' } } } });
      await h.settle();
      assert.deepEqual(h.cloud.calls('updateLoadBalancer').map((u) => u.args[2].length), [0]);
      assert.equal((await h.events('s0')).at(-1), 'Warning/UnAvailableLoadBalancer');
      await h.admin.services.create(lbService('s1'));
      await h.settle();
      assert.deepEqual(await h.events('s1'), ['Normal/EnsuringLoadBalancer', 'Warning/UnAvailableLoadBalancer', 'Normal/EnsuredLoadBalancer']);
    } finally {
      await h.stop();
    }
  });

  it('Four services with only 2 workers: one UpdateLoadBalancer each, at most 2 in flight', async () => {
    const svcs = ['a', 'b', 'c', 'd'].map((n) => lbService(n));
    const h = await start({ nodes: [node('node1')], services: svcs, options: { concurrentServiceSyncs: 2 } });
    try {
      h.cloud.setLatency('updateLoadBalancer', 1_000);
      h.cloud.resetCalls();
      await h.admin.nodes.create(node('node2'));
      await h.settle();
      assert.equal(h.cloud.callCount('updateLoadBalancer'), 2, 'two started at once');
      await h.advance(1_000);
      assert.equal(h.cloud.callCount('updateLoadBalancer'), 4);
      await h.advance(1_000);
      const first = h.cloud.calls('updateLoadBalancer')[0]?.at ?? 0;
      assert.deepEqual(h.cloud.calls('updateLoadBalancer').map((c) => c.at - first), [0, 0, 1_000, 1_000], 'two at a time');
    } finally {
      await h.stop();
    }
  });

  it('a slow host-update pass never pushes an older node set over a fresher Ensure (TestSlowNodeSync)', async () => {
    const h = await start({ nodes: [node('node1'), node('node2', { providerID: '' })], services: [lbService('service1'), lbService('service2')] });
    try {
      h.cloud.resetCalls();
      h.cloud.setLatency('updateLoadBalancer', 10_000);
      // A pass starts as node2 gets its providerID (so the set is {node1, node2}); service1's
      // update is slow.
      await h.admin.nodes.patch({ name: 'node2' }, { type: 'merge', body: { spec: { providerID: 'fake://node2' } } });
      await h.settle();
      assert.deepEqual(h.cloud.calls('updateLoadBalancer').map((c) => c.args[1].metadata?.name), ['service1']);
      // Meanwhile node3 joins and service2 changes: its Ensure carries the fresh set.
      await h.admin.nodes.create(node('node3'));
      await h.admin.services.patch({ namespace: 'default', name: 'service2' }, { type: 'merge', body: { metadata: { annotations: { touch: '1' } } } });
      await h.settle();
      assert.deepEqual(names(h.cloud.calls('ensureLoadBalancer')[0]?.args[2] ?? []), ['node1', 'node2', 'node3']);
      // The slow pass resumes: it must not send {node1, node2} to service2.
      await h.advance(10_000);
      await h.advance(10_000);
      const updates = h.cloud.calls('updateLoadBalancer').map((c) => `${c.args[1].metadata?.name ?? ''}:${names(c.args[2]).join(',')}`);
      assert.deepEqual(updates, ['service1:node1,node2', 'service1:node1,node2,node3'], 'the second pass (node3 joined) only updates service1');
      for (const s of ['service1', 'service2']) assert.deepEqual(h.cloud.loadBalancerFor(`default/${s}`)?.nodes, ['node1', 'node2', 'node3']);
    } finally {
      await h.stop();
    }
  });

  it('computes the stable node set once per Node change, not once per Service', async () => {
    const svcs = Array.from({ length: 20 }, (_, i) => lbService(`s${i}`));
    const h = await start({ nodes: [node('node1')], services: svcs });
    try {
      const before = h.controller.nodeSetComputations;
      await h.admin.nodes.create(node('node2'));
      await h.settle();
      assert.equal(h.cloud.callCount('updateLoadBalancer'), 20);
      assert.equal(h.controller.nodeSetComputations - before, 1);
    } finally {
      await h.stop();
    }
  });
});

describe(`ServiceController: bursts of Node changes (host-update passes at most every ${NODE_SYNC_MIN_INTERVAL_MS} ms)`, () => {
  const hostsOf = (h: Harness, service: string): string[] => [...(h.cloud.loadBalancerFor(`default/${service}`)?.nodes ?? [])].sort();

  it('1,000 Nodes joining over five sync intervals with one Service: one UpdateLoadBalancer per interval, ending on the exact final set', async () => {
    const h = await start({ nodes: [node('node0')], services: [lbService('s0')] });
    try {
      await h.advance(NODE_SYNC_MIN_INTERVAL_MS);
      h.cloud.resetCalls();
      const passes = h.controller.nodeSyncPasses;
      const t0 = h.clock.now();
      // 200 joins per interval, five intervals.
      const step = NODE_SYNC_MIN_INTERVAL_MS / 200;
      for (let i = 1; i <= 1_000; i++) {
        await h.admin.nodes.create(node(`node${i}`));
        await h.clock.advance(step);
      }
      await h.settle();
      const updates = h.cloud.calls('updateLoadBalancer');
      // The first join runs at once (t0); the rest fold into one pass per interval: t0+1×, … t0+5×.
      assert.equal(updates.length, 6);
      assert.equal(h.controller.nodeSyncPasses - passes, 6);
      assert.deepEqual(
        updates.map((u) => u.at - t0),
        Array.from({ length: 6 }, (_, i) => i * NODE_SYNC_MIN_INTERVAL_MS),
      );
      const sizes = updates.map((u) => u.args[2].length);
      assert.ok(sizes.every((n, i) => i === 0 || n > (sizes[i - 1] ?? 0)), `each pass sends a larger set: ${sizes.join(',')}`);
      const all = Array.from({ length: 1_001 }, (_, i) => `node${i}`).sort();
      assert.deepEqual(names(updates.at(-1)?.args[2] ?? []), all, 'the last pass sends the settled set');
      assert.deepEqual(hostsOf(h, 's0'), all);
      assert.equal(h.cloud.callCount('ensureLoadBalancer'), 0);
    } finally {
      await h.stop();
    }
  });

  it('1,000 Nodes joining at one instant with three Services: two passes, each Service updated twice and left on the final set', async () => {
    const h = await start({ nodes: [node('node0')], services: [lbService('s0'), lbService('s1'), lbService('s2')] });
    try {
      await h.advance(NODE_SYNC_MIN_INTERVAL_MS);
      h.cloud.resetCalls();
      const passes = h.controller.nodeSyncPasses;
      for (let i = 1; i <= 1_000; i++) await h.admin.nodes.create(node(`node${i}`));
      await h.settle();
      assert.equal(h.controller.nodeSyncPasses - passes, 2, 'the first change at once, the rest folded into one pass');
      const updates = h.cloud.calls('updateLoadBalancer');
      assert.deepEqual(updates.map((u) => u.args[1].metadata?.name).sort(), ['s0', 's0', 's1', 's1', 's2', 's2']);
      const all = Array.from({ length: 1_001 }, (_, i) => `node${i}`).sort();
      for (const s of ['s0', 's1', 's2']) assert.deepEqual(hostsOf(h, s), all);
    } finally {
      await h.stop();
    }
  });

  it('a burst of joins, deletions, exclusions and providerID changes ends with every Service on the settled set', async () => {
    const initial = Array.from({ length: 10 }, (_, i) => node(`node${i}`, i === 4 ? { providerID: '' } : {}));
    const h = await start({ nodes: initial, services: [lbService('s0'), lbService('s1')] });
    try {
      await h.admin.nodes.create(node('node10'));
      await h.admin.nodes.delete({ name: 'node1' });
      await h.admin.nodes.delete({ name: 'node2' });
      await h.admin.nodes.patch({ name: 'node3' }, { type: 'merge', body: { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: 'true' } } } });
      await h.admin.nodes.patch({ name: 'node4' }, { type: 'merge', body: { spec: { providerID: 'fake://node4' } } });
      await h.admin.nodes.create(node('node2'));
      await h.settle();
      const want = ['node0', 'node10', 'node2', 'node4', 'node5', 'node6', 'node7', 'node8', 'node9'];
      for (const s of ['s0', 's1']) {
        assert.deepEqual(hostsOf(h, s), want);
        const last = h.cloud.calls('updateLoadBalancer').filter((u) => u.args[1].metadata?.name === s).at(-1);
        assert.equal(last?.args[2].find((n) => n.metadata?.name === 'node4')?.spec?.providerID, 'fake://node4');
      }
      assert.ok(h.cloud.callCount('updateLoadBalancer') <= 4, 'at most two passes for one burst');
    } finally {
      await h.stop();
    }
  });

  it('Services ensured one by one while Nodes join each remember their set without its Nodes; the pass releases the change log', async () => {
    const h = await start({ nodes: [node('node0')], services: [] });
    try {
      await h.advance(NODE_SYNC_MIN_INTERVAL_MS);
      // Each Ensure sees a different set: 40 different sets remembered at once.
      for (let i = 1; i <= 40; i++) {
        await h.admin.nodes.create(node(`node${i}`));
        await h.admin.services.create(lbService(`s${i}`));
        await h.clock.advance(0);
      }
      const ensured = h.cloud.calls('ensureLoadBalancer').map((c) => c.args[2].length);
      assert.equal(new Set(ensured).size, 40, 'every Ensure carried a set of its own');
      // The first join ran a pass at once (nothing was remembered yet); s1 holds the oldest set since.
      assert.equal(h.controller.nodeSetChangesRetained, 39, 'the log covers the changes since the oldest remembered set');
      await h.settle();
      for (let i = 1; i <= 40; i++) assert.equal(hostsOf(h, `s${i}`).length, 41);
      // Every Service now holds the settled set: no change is needed to compare against it.
      assert.equal(h.controller.nodeSetChangesRetained, 0);
    } finally {
      await h.stop();
    }
  });

  it('a Service ensured during a burst gets the set of that moment, and the final pass brings it to the settled set', async () => {
    const h = await start({ nodes: [node('node0')], services: [lbService('s0')] });
    try {
      await h.advance(NODE_SYNC_MIN_INTERVAL_MS);
      await h.admin.nodes.create(node('node1'));
      await h.clock.advance(0);
      await h.admin.nodes.create(node('node2'));
      await h.admin.services.create(lbService('s1'));
      await h.clock.advance(0);
      await h.admin.nodes.create(node('node3'));
      await h.settle();
      assert.deepEqual(names(h.cloud.calls('ensureLoadBalancer').at(-1)?.args[2] ?? []), ['node0', 'node1', 'node2']);
      for (const s of ['s0', 's1']) assert.deepEqual(hostsOf(h, s), ['node0', 'node1', 'node2', 'node3']);
    } finally {
      await h.stop();
    }
  });
});
