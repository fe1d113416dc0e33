/**
 * The Node-keyed instance capability (upstream `InstancesV2` and `InstanceMetadata` in
 * `cloud.go`), designed for external providers: one call gives everything node initialisation needs.
 *
 * @module
 */
import type { Node, NodeAddress } from 'kubernetes-types/core/v1.js';
import type { ProviderCallOptions } from './call-options.js';

/**
 * What a provider knows about a node's instance. The node controller applies it once, when it
 * initialises the Node (addresses are also refreshed periodically). Absent or empty fields mean
 * "not provided", like Go's zero values upstream.
 */
export interface InstanceMetadata {
  /**
   * Unique, stable ID of the instance; becomes `node.spec.providerID` when the Node has none.
   * The customary format is `<provider-name>://<instance-id>`, and it must not change
   * incompatibly. If empty and the Node has no providerID either, initialisation fails.
   */
  readonly providerID?: string | undefined;
  /** Becomes the `node.kubernetes.io/instance-type` (and deprecated `beta.kubernetes.io/instance-type`) label. */
  readonly instanceType?: string | undefined;
  /** Becomes `node.status.addresses` (filtered by the kubelet's provided node IP, if any). */
  readonly nodeAddresses?: readonly NodeAddress[] | undefined;
  /** Becomes the `topology.kubernetes.io/zone` (and deprecated `failure-domain.beta…/zone`) label. */
  readonly zone?: string | undefined;
  /** Becomes the `topology.kubernetes.io/region` (and deprecated `failure-domain.beta…/region`) label. */
  readonly region?: string | undefined;
  /**
   * Extra labels for the Node. Keys in a Kubernetes namespace (`kubernetes.io/`, `k8s.io/` and
   * their subdomains) are dropped, and labels the Node already has are never overwritten.
   */
  readonly additionalLabels?: Readonly<Record<string, string>> | undefined;
}

/**
 * Instances looked up by Node object. When a provider offers this capability the framework uses
 * it exclusively and never calls {@link Zones}. Implementations should identify the instance by
 * `node.spec.providerID` first and may fall back to the name, labels or annotations when it is empty.
 */
export interface InstancesV2 {
  /**
   * Whether the Node's instance exists. If this resolves `false`, the CCM deletes the Node —
   * so it must stay `true` for stopped instances.
   */
  instanceExists(node: Readonly<Node>, options?: ProviderCallOptions): Promise<boolean>;

  /** Whether the Node's instance is shut down (the Node then gets the shutdown taint). */
  instanceShutdown(node: Readonly<Node>, options?: ProviderCallOptions): Promise<boolean>;

  /**
   * Metadata applied to the Node at initialisation. Resolving `undefined` makes the node
   * controller skip the Node (it stays uninitialised until its next update event).
   */
  instanceMetadata(node: Readonly<Node>, options?: ProviderCallOptions): Promise<InstanceMetadata | undefined>;
}
