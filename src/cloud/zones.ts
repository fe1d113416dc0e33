/**
 * The deprecated zone capability (upstream `Zones` and `Zone` in `cloud.go`). Superseded by the
 * zone and region of {@link InstanceMetadata}; never called when the provider has InstancesV2.
 *
 * @module
 */
import type { ProviderCallOptions } from './call-options.js';

/** Where an instance runs. */
export interface Zone {
  /** Zone name; becomes the `topology.kubernetes.io/zone` label. */
  readonly failureDomain: string;
  /** Region name; becomes the `topology.kubernetes.io/region` label. */
  readonly region: string;
}

/** Zone lookup for providers that only implement the legacy {@link Instances} capability. */
export interface Zones {
  /**
   * The zone of the machine this process runs on (a kubelet-era call answered from a local
   * metadata service). The CCM controllers do not call it.
   */
  getZone(options?: ProviderCallOptions): Promise<Zone>;

  /** The zone of the instance with `providerID`; tried first during node initialisation. */
  getZoneByProviderID(providerID: string, options?: ProviderCallOptions): Promise<Zone>;

  /** The zone of node `nodeName`; the fallback when the providerID lookup fails. */
  getZoneByNodeName(nodeName: string, options?: ProviderCallOptions): Promise<Zone>;
}
