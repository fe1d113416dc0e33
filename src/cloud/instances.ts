/**
 * The legacy per-instance capability (upstream `Instances` in `cloud.go`), keyed by node name or
 * providerID. Prefer {@link InstancesV2} for new providers.
 *
 * @module
 */
import type { NodeAddress } from 'kubernetes-types/core/v1.js';
import type { ProviderCallOptions } from './call-options.js';

export type { NodeAddress };

/**
 * Instances looked up by node name or providerID. Used by the node and node-lifecycle
 * controllers only when the provider has no {@link InstancesV2}.
 */
export interface Instances {
  /** Addresses of the instance backing node `nodeName`. */
  nodeAddresses(nodeName: string, options?: ProviderCallOptions): Promise<NodeAddress[]>;

  /**
   * Addresses of the instance with `providerID`. Never called on the instance itself, so a local
   * metadata service cannot answer it.
   */
  nodeAddressesByProviderID(providerID: string, options?: ProviderCallOptions): Promise<NodeAddress[]>;

  /**
   * The cloud's instance ID for node `nodeName` (the part after `<provider>://` in a providerID).
   * Must throw `InstanceNotFoundError` (unwrapped) when the instance does not exist, and must not
   * for instances that exist but are stopped. Throwing `NotImplementedError` lets node
   * initialisation continue without a providerID.
   */
  instanceID(nodeName: string, options?: ProviderCallOptions): Promise<string>;

  /** The instance type (becomes the `node.kubernetes.io/instance-type` label). */
  instanceType(nodeName: string, options?: ProviderCallOptions): Promise<string>;

  /** The instance type of the instance with `providerID`. */
  instanceTypeByProviderID(providerID: string, options?: ProviderCallOptions): Promise<string>;

  /**
   * Adds an SSH public key (`<protocol> <blob>`, as ssh-keygen writes it) for `user` on every
   * instance. Not used by the framework; throwing `NotImplementedError` is fine.
   */
  addSSHKeyToAllInstances(user: string, keyData: Uint8Array, options?: ProviderCallOptions): Promise<void>;

  /** The node name of the instance this process runs on, given its hostname. Not used by the CCM controllers. */
  currentNodeName(hostname: string, options?: ProviderCallOptions): Promise<string>;

  /**
   * Whether the instance with `providerID` exists. If this resolves `false`, the CCM deletes the
   * Node immediately — so it must stay `true` for stopped instances.
   */
  instanceExistsByProviderID(providerID: string, options?: ProviderCallOptions): Promise<boolean>;

  /**
   * Whether the instance with `providerID` is shut down (the lifecycle controller then taints the
   * Node `node.cloudprovider.kubernetes.io/shutdown`). `NotImplementedError` counts as "not shut down".
   */
  instanceShutdownByProviderID(providerID: string, options?: ProviderCallOptions): Promise<boolean>;
}
