import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { WorkQueue } from '../../kube/work-queue.js';
import { createManagerMetrics } from './manager-metrics.js';
import type { ManagerMetrics } from './manager-metrics.js';
import { httpMethodOf } from './rest-client-metrics.js';

/** The sample lines of the exposition text (no HELP/TYPE), for exact matching. */
async function samples(m: ManagerMetrics): Promise<string[]> {
  return (await m.registry.metrics()).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

function fresh(clock = new FakeClock()): ManagerMetrics {
  return createManagerMetrics({ clock, processMetrics: false });
}

describe('createManagerMetrics', () => {
  it('exposes upstream metric names with their types in a private registry', async () => {
    const m = fresh();
    const text = await m.registry.metrics();
    const cases: [string, string][] = [
      ['workqueue_depth', 'gauge'],
      ['workqueue_adds_total', 'counter'],
      ['workqueue_queue_duration_seconds', 'histogram'],
      ['workqueue_work_duration_seconds', 'histogram'],
      ['workqueue_unfinished_work_seconds', 'gauge'],
      ['workqueue_longest_running_processor_seconds', 'gauge'],
      ['workqueue_retries_total', 'counter'],
      ['running_managed_controllers', 'gauge'],
      ['leader_election_master_status', 'gauge'],
      ['rest_client_requests_total', 'counter'],
      ['rest_client_request_duration_seconds', 'histogram'],
      ['service_controller_loadbalancer_sync_total', 'counter'],
      ['service_controller_nodesync_error_total', 'counter'],
      ['service_controller_nodesync_latency_seconds', 'histogram'],
      ['service_controller_update_loadbalancer_host_latency_seconds', 'histogram'],
      ['node_controller_cloud_provider_taint_removal_delay_seconds', 'histogram'],
      ['node_controller_initial_node_sync_delay_seconds', 'histogram'],
      ['route_controller_route_sync_total', 'counter'],
    ];
    for (const [name, type] of cases) assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `${name} should be a ${type}`);
  });

  it('uses a new registry per call, so two managers in one process do not collide', () => {
    const a = fresh();
    const b = fresh();
    assert.notEqual(a.registry, b.registry);
    a.routeController.routeSyncTotal?.inc();
    assert.doesNotThrow(() => createManagerMetrics({ processMetrics: false }));
  });

  it('exports process metrics when enabled (the default)', async () => {
    const m = createManagerMetrics({ clock: new FakeClock() });
    const text = await m.registry.metrics();
    assert.match(text, /^process_cpu_user_seconds_total \d/m);
    assert.match(text, /^process_start_time_seconds \d/m);
  });

  it('collects process metrics once per process: no manager registry is held by the GC observer', async () => {
    const a = createManagerMetrics({ clock: new FakeClock() });
    const b = createManagerMetrics({ clock: new FakeClock() });
    const gc = a.registry.getSingleMetric('nodejs_gc_duration_seconds');
    assert.ok(gc !== undefined, 'the GC histogram is exported');
    assert.equal(b.registry.getSingleMetric('nodejs_gc_duration_seconds'), gc, 'both managers list the one histogram');
    // prom-client's GC histogram is fed by a PerformanceObserver that is never removed; what the
    // histogram registers into stays reachable for the life of the process.
    const registers = (gc as unknown as { registers: unknown[] }).registers;
    assert.ok(!registers.includes(a.registry) && !registers.includes(b.registry), 'no manager registry is held');
    assert.match(await b.registry.metrics(), /^process_cpu_user_seconds_total \d/m);
  });

  it('reports unlabelled controller counters at 0 before anything happened', async () => {
    const lines = await samples(fresh());
    for (const name of ['service_controller_loadbalancer_sync_total', 'service_controller_nodesync_error_total', 'route_controller_route_sync_total']) {
      assert.ok(lines.includes(`${name} 0`), name);
    }
  });

  const hookCases: { name: string; act: (m: ManagerMetrics) => void; expect: string[] }[] = [
    {
      name: 'running_managed_controllers is 1 while running and 0 once stopped, labelled with the CCM manager name',
      act: (m) => {
        m.runningManagedControllers('service-lb-controller', true);
        m.runningManagedControllers('cloud-node-controller', true);
        m.runningManagedControllers('cloud-node-controller', false);
      },
      expect: [
        'running_managed_controllers{name="service-lb-controller",manager="cloud-controller-manager"} 1',
        'running_managed_controllers{name="cloud-node-controller",manager="cloud-controller-manager"} 0',
      ],
    },
    {
      name: 'leader_election_master_status follows the leading flag per lock name',
      act: (m) => {
        m.leaderStatus('cloud-controller-manager', true);
        m.leaderStatus('cloud-provider-extraction-migration', false);
      },
      expect: ['leader_election_master_status{name="cloud-controller-manager"} 1', 'leader_election_master_status{name="cloud-provider-extraction-migration"} 0'],
    },
    {
      name: 'rest client metrics label the HTTP method and host, as client-go',
      act: (m) => {
        m.restClient.setHost('10.0.0.1:6443');
        m.restClient.request('list', 'nodes', '200', 40);
        m.restClient.request('watch', 'nodes', '200', 10);
        m.restClient.observe({ verb: 'patch', resource: 'services/status', code: '409', latencyMs: 2000 });
      },
      expect: [
        'rest_client_requests_total{code="200",method="GET",host="10.0.0.1:6443"} 2',
        'rest_client_requests_total{code="409",method="PATCH",host="10.0.0.1:6443"} 1',
        'rest_client_request_duration_seconds_bucket{le="0.025",verb="GET",host="10.0.0.1:6443"} 1',
        'rest_client_request_duration_seconds_bucket{le="0.1",verb="GET",host="10.0.0.1:6443"} 2',
        'rest_client_request_duration_seconds_sum{verb="PATCH",host="10.0.0.1:6443"} 2',
        'rest_client_request_duration_seconds_bucket{le="2",verb="PATCH",host="10.0.0.1:6443"} 1',
        'rest_client_request_duration_seconds_bucket{le="1",verb="PATCH",host="10.0.0.1:6443"} 0',
      ],
    },
    {
      name: 'service controller hooks feed counters and 1 s × 2 histograms',
      act: (m) => {
        m.serviceController.loadBalancerSyncTotal?.();
        m.serviceController.loadBalancerSyncTotal?.();
        m.serviceController.nodeSyncErrorTotal?.();
        m.serviceController.nodeSyncLatencySeconds?.(3);
        m.serviceController.updateLoadBalancerHostLatencySeconds?.(0.5);
      },
      expect: [
        'service_controller_loadbalancer_sync_total 2',
        'service_controller_nodesync_error_total 1',
        'service_controller_nodesync_latency_seconds_bucket{le="2"} 0',
        'service_controller_nodesync_latency_seconds_bucket{le="4"} 1',
        'service_controller_nodesync_latency_seconds_bucket{le="16384"} 1',
        'service_controller_update_loadbalancer_host_latency_seconds_bucket{le="1"} 1',
        'service_controller_update_loadbalancer_host_latency_seconds_count 1',
      ],
    },
    {
      name: 'cloud node controller hooks feed 1 s × 4 histograms up to 1024 s',
      act: (m) => {
        m.cloudNodeController.observeCloudProviderTaintRemovalDelaySeconds?.(5);
        m.cloudNodeController.observeInitialNodeSyncDelaySeconds?.(2000);
      },
      expect: [
        'node_controller_cloud_provider_taint_removal_delay_seconds_bucket{le="4"} 0',
        'node_controller_cloud_provider_taint_removal_delay_seconds_bucket{le="16"} 1',
        'node_controller_initial_node_sync_delay_seconds_bucket{le="1024"} 0',
        'node_controller_initial_node_sync_delay_seconds_bucket{le="+Inf"} 1',
      ],
    },
    {
      name: 'the route controller counter is incremented through its inc() hook',
      act: (m) => {
        m.routeController.routeSyncTotal?.inc();
      },
      expect: ['route_controller_route_sync_total 1'],
    },
  ];
  for (const c of hookCases) {
    it(c.name, async () => {
      const m = fresh();
      c.act(m);
      const lines = await samples(m);
      for (const line of c.expect) assert.ok(lines.includes(line), `missing ${line}\n${lines.filter((l) => l.startsWith(line.slice(0, 20))).join('\n')}`);
    });
  }

  it('maps KubeClient verbs to the HTTP methods client-go labels requests with', () => {
    const cases: [string, string][] = [
      ['get', 'GET'],
      ['list', 'GET'],
      ['watch', 'GET'],
      ['create', 'POST'],
      ['update', 'PUT'],
      ['patch', 'PATCH'],
      ['delete', 'DELETE'],
      ['deletecollection', 'DELETECOLLECTION'],
    ];
    for (const [verb, method] of cases) assert.equal(httpMethodOf(verb), method, verb);
  });
});

describe('work queue metrics', () => {
  it('initialises every series of a queue at 0 when the queue is first seen', async () => {
    const m = fresh();
    m.workQueue.depth('service', 0);
    const lines = await samples(m);
    for (const line of [
      'workqueue_depth{name="service"} 0',
      'workqueue_adds_total{name="service"} 0',
      'workqueue_retries_total{name="service"} 0',
      'workqueue_queue_duration_seconds_count{name="service"} 0',
      'workqueue_work_duration_seconds_count{name="service"} 0',
      'workqueue_unfinished_work_seconds{name="service"} 0',
      'workqueue_longest_running_processor_seconds{name="service"} 0',
    ]) {
      assert.ok(lines.includes(line), line);
    }
  });

  it('follows a real WorkQueue: adds, depth, waits, work, retries and in-flight gauges', async () => {
    const clock = new FakeClock();
    const m = fresh(clock);
    const queue = new WorkQueue({ name: 'Nodes', clock, metrics: m.workQueue });
    queue.add('a');
    queue.add('b');
    queue.add('a'); // merged into the pending item: not counted, as client-go
    await clock.advance(2000);
    const a = await queue.get();
    await clock.advance(1000);
    const b = await queue.get();
    await clock.advance(3000);
    // a held 4 s, b held 3 s.
    let lines = await samples(m);
    for (const line of [
      'workqueue_adds_total{name="Nodes"} 2',
      'workqueue_depth{name="Nodes"} 0',
      'workqueue_queue_duration_seconds_count{name="Nodes"} 2',
      'workqueue_queue_duration_seconds_sum{name="Nodes"} 5',
      'workqueue_unfinished_work_seconds{name="Nodes"} 7',
      'workqueue_longest_running_processor_seconds{name="Nodes"} 4',
    ]) {
      assert.ok(lines.includes(line), `${line}\n${lines.filter((l) => l.includes('Nodes')).join('\n')}`);
    }
    assert.equal(a, 'a');
    assert.equal(b, 'b');
    queue.done('a');
    queue.addRateLimited('a');
    lines = await samples(m);
    for (const line of [
      'workqueue_work_duration_seconds_sum{name="Nodes"} 4',
      'workqueue_unfinished_work_seconds{name="Nodes"} 3',
      'workqueue_longest_running_processor_seconds{name="Nodes"} 3',
      'workqueue_retries_total{name="Nodes"} 1',
    ]) {
      assert.ok(lines.includes(line), `${line}\n${lines.filter((l) => l.includes('Nodes')).join('\n')}`);
    }
    queue.done('b');
    lines = await samples(m);
    assert.ok(lines.includes('workqueue_unfinished_work_seconds{name="Nodes"} 0'));
    assert.ok(lines.includes('workqueue_longest_running_processor_seconds{name="Nodes"} 0'));
    queue.shutDown();
  });

  it('keeps queues apart by name', async () => {
    const m = fresh();
    m.workQueue.add('service');
    m.workQueue.add('node');
    m.workQueue.add('node');
    const lines = await samples(m);
    assert.ok(lines.includes('workqueue_adds_total{name="service"} 1'));
    assert.ok(lines.includes('workqueue_adds_total{name="node"} 2'));
  });
});
