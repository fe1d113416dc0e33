/**
 * Observation hooks of the service controller, one per upstream metric (subsystem
 * `service_controller`, `controllers/service/metrics.go`). Prometheus wiring comes with the
 * manager; until then a caller passes whatever sink it likes.
 *
 * @module
 */

/** Hooks named after upstream's `service_controller_*` metrics; every member is optional. */
export interface ServiceControllerMetrics {
  /** `service_controller_loadbalancer_sync_total`: one UpdateLoadBalancer attempt from a host-update pass. */
  loadBalancerSyncTotal?(): void;
  /** `service_controller_nodesync_error_total`: a Service whose host update failed in a pass. */
  nodeSyncErrorTotal?(): void;
  /** `service_controller_nodesync_latency_seconds` (buckets 1 s × 2, 15 of them): one whole pass. */
  nodeSyncLatencySeconds?(seconds: number): void;
  /** `service_controller_update_loadbalancer_host_latency_seconds` (same buckets): one UpdateLoadBalancer. */
  updateLoadBalancerHostLatencySeconds?(seconds: number): void;
}
