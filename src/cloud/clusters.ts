/**
 * The clusters capability (upstream `Clusters` in `cloud.go`). Kept for completeness; no
 * framework controller calls it.
 *
 * @module
 */
import type { ProviderCallOptions } from './call-options.js';

/** Enumerates the provider's clusters. Not used by any framework controller. */
export interface Clusters {
  /** Names of the available clusters. */
  listClusters(options?: ProviderCallOptions): Promise<string[]>;

  /** Address (DNS name or IP) of the control plane of `clusterName`. */
  master(clusterName: string, options?: ProviderCallOptions): Promise<string>;
}
