import { describe, it, mock } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { CONTROLLER_IDENTITIES, type ControllerName } from '../cloud/constants.js';
import { FakeClock } from '../kube/clock.js';
import type { EventHandlerRegistration, Informer } from '../kube/informer.js';
import { NODES, SERVICES, type KubeObject } from '../kube/resources.js';
import { FakeCloudProvider } from '../providers/fake/fake-provider.js';
import type { Controller, ControllerContext } from './context.js';
import { createControllerTestEnv } from './controller-test-env.test-util.js';
import { informerHandler, whileHandling } from './informer-handlers.js';
import { CloudNodeLifecycleController } from './node-lifecycle/cloud-node-lifecycle-controller.js';
import { CloudNodeController } from './node/cloud-node-controller.js';
import { RouteController } from './route/route-controller.js';
import { ServiceController } from './service/service-controller.js';

/** Counts the handlers registered on `informer` and not removed yet. */
function liveHandlers<T extends KubeObject>(t: TestContext, informer: Informer<T>): () => number {
  const add = t.mock.method(informer, 'addEventHandler');
  const remove = t.mock.method(informer, 'removeEventHandler');
  return () => {
    const removed = new Set(remove.mock.calls.map((c) => c.arguments[0]));
    return add.mock.calls.filter((c) => !removed.has(c.result as EventHandlerRegistration)).length;
  };
}

describe('whileHandling', () => {
  for (const outcome of ['resolves', 'rejects'] as const) {
    it(`registers the handlers before the body runs and removes them when it ${outcome}`, async () => {
      const clock = new FakeClock();
      const env = await createControllerTestEnv({ clock, cloud: new FakeCloudProvider({ clock }), component: 'test', userAgent: 'test' });
      const nodes = env.informers.informerFor(NODES);
      const onAdd = mock.fn();
      let during = false;
      const body = async (): Promise<void> => {
        await env.admin.nodes.create({ metadata: { name: 'n1' } });
        const stop = new AbortController();
        env.informers.start(stop.signal);
        assert.equal(await nodes.waitForSync(stop.signal), true);
        during = onAdd.mock.callCount() === 1;
        stop.abort();
        await env.informers.shutdown();
        if (outcome === 'rejects') throw new Error('body failed');
      };
      const run = whileHandling([informerHandler(nodes, { onAdd })], body);
      if (outcome === 'rejects') await assert.rejects(run, /body failed/);
      else await run;
      assert.equal(during, true, 'the handler saw the node while the body ran');
      // Removed: a handler added now is alone, and the old one receives nothing more.
      nodes.addEventHandler({});
      assert.equal(onAdd.mock.callCount(), 1);
    });
  }
});

/** How to build each controller, and whether it listens to Nodes and Services while it runs. */
const CONTROLLERS: ReadonlyArray<{
  readonly name: string;
  readonly identity: ControllerName;
  readonly build: (ctx: ControllerContext) => Controller;
  readonly listens: { readonly nodes: number; readonly services: number };
}> = [
  { name: 'cloud node controller', identity: 'cloud-node-controller', build: (ctx) => new CloudNodeController(ctx), listens: { nodes: 1, services: 0 } },
  // The lifecycle controller polls the node cache each period: it registers nothing.
  { name: 'cloud node lifecycle controller', identity: 'cloud-node-lifecycle-controller', build: (ctx) => new CloudNodeLifecycleController(ctx), listens: { nodes: 0, services: 0 } },
  { name: 'service controller', identity: 'service-lb-controller', build: (ctx) => new ServiceController(ctx), listens: { nodes: 1, services: 1 } },
  {
    name: 'route controller (watch-based)',
    identity: 'node-route-controller',
    build: (ctx) => new RouteController(ctx, { clusterCIDR: '10.120.0.0/16', watchBasedReconciliation: true }),
    listens: { nodes: 1, services: 0 },
  },
  // Periodic mode requeues its one key every period instead of listening.
  {
    name: 'route controller (periodic)',
    identity: 'node-route-controller',
    build: (ctx) => new RouteController(ctx, { clusterCIDR: '10.120.0.0/16' }),
    listens: { nodes: 0, services: 0 },
  },
];

describe('controllers register informer handlers in run() and remove them when it ends', () => {
  for (const c of CONTROLLERS) {
    it(c.name, async (t) => {
      const clock = new FakeClock();
      const { clientName, eventComponent } = CONTROLLER_IDENTITIES[c.identity];
      const env = await createControllerTestEnv({ clock, cloud: new FakeCloudProvider({ clock }), component: eventComponent, userAgent: clientName, nodes: [{ metadata: { name: 'n1' } }] });
      const nodes = liveHandlers(t, env.informers.informerFor(NODES));
      const services = liveHandlers(t, env.informers.informerFor(SERVICES));
      const controller = c.build(env.ctx);
      assert.deepEqual({ nodes: nodes(), services: services() }, { nodes: 0, services: 0 }, 'nothing registered before run()');

      const stop = new AbortController();
      env.informers.start(stop.signal);
      const running = controller.run(stop.signal);
      await clock.advance(0);
      assert.deepEqual({ nodes: nodes(), services: services() }, c.listens, 'registered while running');

      stop.abort();
      await running;
      assert.deepEqual({ nodes: nodes(), services: services() }, { nodes: 0, services: 0 }, 'all removed once run() ended');
      await env.informers.shutdown();
      await env.broadcaster.shutdown();
    });
  }
});
