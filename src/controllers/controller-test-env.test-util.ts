/**
 * A controller's world for tests: a simulated API server seeded with objects, shared informers,
 * an event broadcaster and a `ControllerContext` with the controller's own client identity — what
 * every controller test otherwise builds by hand.
 *
 * @internal Test support; not part of the public API.
 * @module
 */
import type { Event, Node } from 'kubernetes-types/core/v1.js';
import type { CloudProvider } from '../cloud/provider.js';
import type { KubeClient } from '../kube/client.js';
import type { FakeClock } from '../kube/clock.js';
import { EventBroadcaster } from '../kube/events.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { SharedInformerFactory } from '../kube/shared-informers.js';
import { noopLogger } from '../log/logger.js';
import { QueueWatch } from '../simulation/runner/queue-watch.js';
import { settle } from '../testing/settle.js';
import type { ControllerContext } from './context.js';

/** Options of {@link createControllerTestEnv}. */
export interface ControllerTestEnvOptions {
  readonly clock: FakeClock;
  readonly cloud: CloudProvider;
  /** Event source component, e.g. `cloud-node-controller`. */
  readonly component: string;
  /** The controller's user agent (its client identity), e.g. `node-controller`. */
  readonly userAgent: string;
  /** Nodes created before the controller starts. */
  readonly nodes?: readonly Node[];
}

/** What {@link createControllerTestEnv} builds. */
export interface ControllerTestEnv {
  readonly server: SimulatedApiServer;
  /** A client outside the controller (user agent `test`), for seeding and reading back. */
  readonly admin: KubeClient;
  readonly informers: SharedInformerFactory;
  readonly broadcaster: EventBroadcaster;
  readonly ctx: ControllerContext;
  /** The controller's work queues (the context's `workQueueMetrics`). */
  readonly queues: QueueWatch;
  /**
   * Lets the controller finish what it owes (see {@link settle}); `withinMs` of virtual time may
   * pass while work is still owed. Resolves whether its queues ended idle.
   */
  readonly settle: (withinMs?: number) => Promise<boolean>;
  /** Every Event written so far (after flushing the broadcaster). */
  readonly events: () => Promise<Event[]>;
}

/** Builds a controller test world on a FakeClock (jitter fixed at 0.5 for determinism). */
export async function createControllerTestEnv(options: ControllerTestEnvOptions): Promise<ControllerTestEnv> {
  const { clock } = options;
  const random = (): number => 0.5;
  const server = new SimulatedApiServer({ clock, random });
  const admin = server.client({ userAgent: 'test' });
  for (const n of options.nodes ?? []) await admin.nodes.create(n);
  const kube = server.client({ userAgent: options.userAgent });
  const informers = new SharedInformerFactory({ client: server.client({ userAgent: 'shared-informers' }), clock, random });
  const broadcaster = new EventBroadcaster({ client: kube, clock, random });
  const queues = new QueueWatch();
  const ctx: ControllerContext = {
    kube,
    informers,
    cloud: options.cloud,
    recorder: broadcaster.newRecorder({ component: options.component }),
    clock,
    random,
    logger: noopLogger,
    workQueueMetrics: queues,
  };
  return {
    server,
    admin,
    informers,
    broadcaster,
    ctx,
    queues,
    settle: (withinMs = 0) => settle(clock, { queues, withinMs }),
    events: async () => {
      await broadcaster.flush();
      return (await admin.events.list()).items;
    },
  };
}
