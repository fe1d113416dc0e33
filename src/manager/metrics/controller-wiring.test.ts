import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { ControllerContext } from '../../controllers/context.js';
import { CloudNodeLifecycleController } from '../../controllers/node-lifecycle/cloud-node-lifecycle-controller.js';
import { CloudNodeController } from '../../controllers/node/cloud-node-controller.js';
import { RouteController } from '../../controllers/route/route-controller.js';
import { ServiceController } from '../../controllers/service/service-controller.js';
import { FakeClock } from '../../kube/clock.js';
import { EventBroadcaster } from '../../kube/events.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import { SharedInformerFactory } from '../../kube/shared-informers.js';
import { noopLogger } from '../../log/logger.js';
import { FakeCloudProvider } from '../../providers/fake/index.js';
import { createManagerMetrics } from './manager-metrics.js';

const node: Node = {
  metadata: { name: 'n1' },
  spec: { podCIDR: '10.120.0.0/24', podCIDRs: ['10.120.0.0/24'], taints: [{ key: 'node.cloudprovider.kubernetes.io/uninitialized', value: 'true', effect: 'NoSchedule' }] },
};
const service: Service = {
  metadata: { name: 'web', namespace: 'default' },
  spec: { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] },
};

describe('ControllerContext.workQueueMetrics', () => {
  it('feeds the work queues of all four controllers into the manager metrics', async () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock, random: () => 0.5 });
    const admin = server.client({ userAgent: 'test' });
    await admin.nodes.create(node);
    await admin.services.create(service);
    const cloud = new FakeCloudProvider({
      clock,
      capabilities: ['instancesV2', 'loadBalancer', 'routes'],
      instances: [{ nodeName: 'n1', providerID: 'fake://n1', addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] }],
    });
    const metrics = createManagerMetrics({ clock, processMetrics: false });
    const seen = new Set<string>();
    const informers = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random: () => 0.5 });
    const broadcaster = new EventBroadcaster({ client: admin, clock, random: () => 0.5 });
    const ctx: ControllerContext = {
      kube: admin,
      informers,
      cloud,
      recorder: broadcaster.newRecorder({ component: 'test' }),
      clock,
      random: () => 0.5,
      logger: noopLogger,
      workQueueMetrics: {
        ...metrics.workQueue,
        add: (name) => {
          seen.add(name);
          metrics.workQueue.add(name);
        },
      },
    };
    const controllers = [
      new CloudNodeController(ctx),
      new CloudNodeLifecycleController(ctx),
      new ServiceController(ctx),
      new RouteController(ctx, { clusterCIDR: '10.120.0.0/16' }),
    ];
    const stop = new AbortController();
    informers.start(stop.signal);
    const running = controllers.map((c) => c.run(stop.signal));
    for (let i = 0; i < 20; i++) await clock.advance(1_000);
    stop.abort();
    await Promise.all(running);
    await broadcaster.shutdown();

    // Queue names as each controller gives them (service controller: one queue per kind, as upstream).
    assert.deepEqual([...seen].sort(), ['NodeLifecycle', 'Nodes', 'Routes', 'node', 'service']);
    const text = await metrics.registry.metrics();
    assert.match(text, /^workqueue_adds_total\{name="service"\} [1-9]/m);
    assert.match(text, /^workqueue_work_duration_seconds_count\{name="Nodes"\} [1-9]/m);
  });
});
