/**
 * What every controller is built from: the seams it may use and nothing concrete. The manager
 * (`outrigger run`) and the simulator build one of these per controller; tests build it from the
 * simulated API server, a FakeClock and the fake provider.
 *
 * @module
 */
import type { CloudProvider } from '../cloud/provider.js';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import type { EventRecorder } from '../kube/events.js';
import type { SharedInformerFactory } from '../kube/shared-informers.js';
import type { WorkQueueMetrics } from '../kube/work-queue.js';
import type { Logger } from '../log/logger.js';

/** The dependencies of a controller. */
export interface ControllerContext {
  /** API access with the controller's own client identity (user agent). */
  readonly kube: KubeClient;
  /** The shared informers (one per kind, shared by all controllers). */
  readonly informers: SharedInformerFactory;
  /** The cloud provider; the controller uses only the capability it needs. */
  readonly cloud: CloudProvider;
  /** Records core/v1 Events with this controller's source component (e.g. `service-controller`). */
  readonly recorder: EventRecorder;
  readonly clock: Clock;
  /** Jitter source in [0, 1). */
  readonly random: () => number;
  readonly logger: Logger;
  /** Feeds the `workqueue_*` metrics of every queue the controller builds (the manager's Prometheus sink). */
  readonly workQueueMetrics?: WorkQueueMetrics;
}

/** A controller: started once, runs until the signal aborts. */
export interface Controller {
  /** The canonical controller name (`cloud-node-controller`, `service-lb-controller`, …). */
  readonly name: string;
  /**
   * Registers informer handlers, waits for the caches it needs, then runs its workers and timers
   * until `signal` aborts; resolves after in-flight work has finished.
   */
  run(signal: AbortSignal): Promise<void>;
}
