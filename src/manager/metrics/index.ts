/**
 * The manager's Prometheus metrics (upstream names, private registry).
 *
 * @module
 */
export { createManagerMetrics, CCM_MANAGER_NAME } from './manager-metrics.js';
export type { ManagerMetrics, ManagerMetricsOptions } from './manager-metrics.js';
export { createWorkQueueMetrics, WORK_QUEUE_DURATION_BUCKETS } from './work-queue-metrics.js';
export { createRestClientMetrics, httpMethodOf, REST_CLIENT_LATENCY_BUCKETS } from './rest-client-metrics.js';
export type { RestClientMetrics } from './rest-client-metrics.js';
export { createCloudNodeControllerMetrics, createRouteControllerMetrics, createServiceControllerMetrics } from './controller-metrics.js';
