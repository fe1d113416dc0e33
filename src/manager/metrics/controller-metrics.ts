/**
 * Prometheus sinks for the controllers' metric hooks, with upstream's names, help and buckets
 * (`controllers/service/metrics.go`, `controllers/node/metrics.go`, `controllers/route/metrics.go`
 * in k8s.io/cloud-provider). Upstream registers these in the legacy registry when each controller
 * is built; here they live in the manager's own registry from the start, so they read 0 until the
 * controller runs (a counter with no labels is exported at 0 by both libraries).
 *
 * @module
 */
import { Counter, Histogram, exponentialBuckets } from 'prom-client';
import type { Registry } from 'prom-client';
import type { CloudNodeControllerMetrics } from '../../controllers/node/index.js';
import type { RouteControllerMetrics } from '../../controllers/route/index.js';
import type { ServiceControllerMetrics } from '../../controllers/service/index.js';

/** `service_controller_*`: two counters and two histograms (1 s × 2, 15 buckets, up to 16384 s). */
export function createServiceControllerMetrics(registry: Registry): Required<ServiceControllerMetrics> {
  const registers = [registry];
  const loadBalancerSync = new Counter({
    name: 'service_controller_loadbalancer_sync_total',
    help: "Load balancer updates made by the service controller's node sync passes.",
    registers,
  });
  const nodeSyncErrors = new Counter({
    name: 'service_controller_nodesync_error_total',
    help: 'Services whose load balancer host update failed during a node sync pass.',
    registers,
  });
  const nodeSyncLatency = new Histogram({
    name: 'service_controller_nodesync_latency_seconds',
    help: 'Duration in seconds of one node sync pass over all load balancers.',
    buckets: exponentialBuckets(1, 2, 15),
    registers,
  });
  const hostLatency = new Histogram({
    name: 'service_controller_update_loadbalancer_host_latency_seconds',
    help: 'Duration in seconds of updating the hosts of one load balancer.',
    buckets: exponentialBuckets(1, 2, 15),
    registers,
  });
  return {
    loadBalancerSyncTotal: () => loadBalancerSync.inc(),
    nodeSyncErrorTotal: () => nodeSyncErrors.inc(),
    nodeSyncLatencySeconds: (seconds) => nodeSyncLatency.observe(seconds),
    updateLoadBalancerHostLatencySeconds: (seconds) => hostLatency.observe(seconds),
  };
}

/** `node_controller_*`: two histograms (1 s × 4, 6 buckets, up to ~17 min). */
export function createCloudNodeControllerMetrics(registry: Registry): Required<CloudNodeControllerMetrics> {
  const registers = [registry];
  const taintRemoval = new Histogram({
    name: 'node_controller_cloud_provider_taint_removal_delay_seconds',
    help: "Seconds between a node's creation and the removal of its cloud-provider uninitialized taint.",
    buckets: exponentialBuckets(1, 4, 6),
    registers,
  });
  const initialSync = new Histogram({
    name: 'node_controller_initial_node_sync_delay_seconds',
    help: "Seconds between a node's creation and the end of its initial synchronisation by the cloud node controller.",
    buckets: exponentialBuckets(1, 4, 6),
    registers,
  });
  return {
    observeCloudProviderTaintRemovalDelaySeconds: (seconds) => taintRemoval.observe(seconds),
    observeInitialNodeSyncDelaySeconds: (seconds) => initialSync.observe(seconds),
  };
}

/** `route_controller_route_sync_total`: a counter handed to the route controller as is. */
export function createRouteControllerMetrics(registry: Registry): Required<RouteControllerMetrics> {
  const routeSync = new Counter({
    name: 'route_controller_route_sync_total',
    help: 'Route reconciliation passes against the cloud provider.',
    registers: [registry],
  });
  return { routeSyncTotal: { inc: () => routeSync.inc() } };
}
