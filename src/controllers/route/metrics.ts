/**
 * Optional metric hooks of the route controller, named after upstream's metrics
 * (controllers/route/metrics.go). Shaped like a prom-client `Counter`, so the manager can pass
 * one straight in once Prometheus wiring lands.
 *
 * @module
 */

/** Something that counts (a prom-client `Counter` fits). */
export interface CounterHook {
  inc(): void;
}

/** The route controller's metrics. */
export interface RouteControllerMetrics {
  /**
   * `route_controller_route_sync_total` (ALPHA counter): incremented at the start of every
   * reconcile pass, successful or not, as upstream.
   */
  readonly routeSyncTotal?: CounterHook;
}
