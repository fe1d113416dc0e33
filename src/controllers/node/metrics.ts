/**
 * Metric hooks of the cloud node controller, named after upstream's histograms in
 * `controllers/node/metrics.go` (subsystem `node_controller`, exponential buckets 1 s × 4, 6
 * buckets). The manager wires them to Prometheus; absent hooks cost nothing.
 *
 * @module
 */

/** Observers for the cloud node controller's upstream metrics; every member is optional. */
export interface CloudNodeControllerMetrics {
  /**
   * `node_controller_cloud_provider_taint_removal_delay_seconds`: seconds from node creation to
   * the removal of the uninitialized taint.
   */
  readonly observeCloudProviderTaintRemovalDelaySeconds?: (seconds: number) => void;
  /**
   * `node_controller_initial_node_sync_delay_seconds`: seconds from node creation to the end of
   * its initial synchronisation (after the address write).
   */
  readonly observeInitialNodeSyncDelaySeconds?: (seconds: number) => void;
}
