/**
 * The cloud-controller-manager's metrics: one private prom-client {@link Registry} (never the
 * global one, so several managers can live in one process, as tests and the simulator need)
 * holding the metrics upstream's CCM exposes on `/metrics` under the same names.
 *
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CLOUD_CONTROLLER_MANAGER } from '../../cloud/constants.js';
import type { CloudNodeControllerMetrics } from '../../controllers/node/index.js';
import type { RouteControllerMetrics } from '../../controllers/route/index.js';
import type { ServiceControllerMetrics } from '../../controllers/service/index.js';
import { RealClock } from '../../kube/clock.js';
import type { Clock } from '../../kube/clock.js';
import type { WorkQueueMetrics } from '../../kube/work-queue.js';
import { createCloudNodeControllerMetrics, createRouteControllerMetrics, createServiceControllerMetrics } from './controller-metrics.js';
import { createRestClientMetrics } from './rest-client-metrics.js';
import type { RestClientMetrics } from './rest-client-metrics.js';
import { createWorkQueueMetrics } from './work-queue-metrics.js';

/** The `manager` label of `running_managed_controllers`, as upstream's CCM sets it. */
export const CCM_MANAGER_NAME = CLOUD_CONTROLLER_MANAGER;

let processMetricsRegistry: Registry | undefined;

/**
 * prom-client's process and Node.js runtime metrics, collected once per process. Its GC
 * histogram subscribes a PerformanceObserver that can never be removed and that holds the
 * registries the histogram was registered in; were the metrics collected into each manager's own
 * registry, every manager ever built in a process (tests, simulator runs, library callers) would
 * stay reachable from that observer for good. So they live in this one registry, and each
 * manager's registry lists the same metric objects.
 */
function processMetrics(): Registry {
  if (processMetricsRegistry === undefined) {
    processMetricsRegistry = new Registry();
    collectDefaultMetrics({ register: processMetricsRegistry });
  }
  return processMetricsRegistry;
}

/** Options of {@link createManagerMetrics}. */
export interface ManagerMetricsOptions {
  /** The clock the work queues run on, to sample in-flight work (default: wall clock). */
  readonly clock?: Clock;
  /** Initial `host` label of the REST client metrics (`host:port` of the apiserver). */
  readonly apiHost?: string;
  /** Export prom-client's process and Node.js runtime metrics (default true). */
  readonly processMetrics?: boolean;
}

/** The manager's metrics and the hooks that feed them. */
export interface ManagerMetrics {
  /** The private registry `/metrics` serves. */
  readonly registry: Registry;
  /** Pass as `ControllerContext.workQueueMetrics`: feeds the `workqueue_*` metrics. */
  readonly workQueue: WorkQueueMetrics;
  /** `running_managed_controllers{name,manager}`: 1 while the controller runs, 0 after it stopped. */
  runningManagedControllers(name: string, running: boolean): void;
  /** `leader_election_master_status{name}`: 1 while leading the lock `name`, 0 otherwise. */
  leaderStatus(name: string, leading: boolean): void;
  /** `rest_client_*`: pass as `createKubeClient({ metrics: m.restClient })`. */
  readonly restClient: RestClientMetrics;
  /** Pass as the service controller's `metrics` option. */
  readonly serviceController: ServiceControllerMetrics;
  /** Pass as the cloud node controller's `metrics` option. */
  readonly cloudNodeController: CloudNodeControllerMetrics;
  /** Pass as the route controller's `metrics` option. */
  readonly routeController: RouteControllerMetrics;
  /**
   * `cloud_provider_webhook_request_total{code,webhook}` and
   * `cloud_provider_webhook_request_duration_seconds{code,webhook}`: one admission request answered
   * with HTTP `code` (`<error>` when no answer could be written).
   */
  webhookRequest(code: string, webhook: string, seconds: number): void;
}

/** Buckets of `cloud_provider_webhook_request_duration_seconds`, as upstream. */
export const WEBHOOK_LATENCY_BUCKETS: readonly number[] = [0.25, 0.5, 0.7, 1, 1.5, 3, 5, 10];

/**
 * Creates the manager's metrics in a fresh registry.
 *
 * @example
 * ```ts
 * const metrics = createManagerMetrics({ clock });
 * const kube = await createKubeClient({ kubeconfig, metrics: metrics.restClient });
 * metrics.restClient.setHost(new URL(kube.server).host);
 * const ctx = { ...base, workQueueMetrics: metrics.workQueue };
 * new ServiceController(ctx, { metrics: metrics.serviceController });
 * ```
 */
export function createManagerMetrics(options: ManagerMetricsOptions = {}): ManagerMetrics {
  const registry = new Registry();
  const clock = options.clock ?? new RealClock();
  if (options.processMetrics ?? true) {
    const shared = processMetrics();
    for (const { name } of shared.getMetricsAsArray()) {
      const metric = shared.getSingleMetric(name);
      if (metric !== undefined) registry.registerMetric(metric);
    }
  }
  const running = new Gauge({
    name: 'running_managed_controllers',
    help: 'Whether an instance of a controller is running (1) or not (0) in this manager.',
    labelNames: ['name', 'manager'] as const,
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'leader_election_master_status',
    help: "Whether this process leads the lease 'name' (1) or stands by (0).",
    labelNames: ['name'] as const,
    registers: [registry],
  });
  const webhookTotal = new Counter({
    name: 'cloud_provider_webhook_request_total',
    help: 'Admission requests answered by each cloud-provider webhook, by HTTP status code.',
    labelNames: ['code', 'webhook'] as const,
    registers: [registry],
  });
  const webhookLatency = new Histogram({
    name: 'cloud_provider_webhook_request_duration_seconds',
    help: 'Seconds each cloud-provider webhook took to answer, by HTTP status code.',
    labelNames: ['code', 'webhook'] as const,
    buckets: [...WEBHOOK_LATENCY_BUCKETS],
    registers: [registry],
  });
  return {
    registry,
    webhookRequest(code, webhook, seconds) {
      webhookTotal.inc({ code, webhook });
      webhookLatency.observe({ code, webhook }, seconds);
    },
    workQueue: createWorkQueueMetrics(registry, clock),
    runningManagedControllers(name, isRunning) {
      running.set({ name, manager: CCM_MANAGER_NAME }, isRunning ? 1 : 0);
    },
    leaderStatus(name, leading) {
      leader.set({ name }, leading ? 1 : 0);
    },
    restClient: createRestClientMetrics(registry, options.apiHost ?? ''),
    serviceController: createServiceControllerMetrics(registry),
    cloudNodeController: createCloudNodeControllerMetrics(registry),
    routeController: createRouteControllerMetrics(registry),
  };
}
