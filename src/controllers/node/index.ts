/**
 * The cloud node controller and its address and label helpers.
 *
 * @module
 */
export {
  CloudNodeController,
  DEFAULT_NODE_STATUS_UPDATE_FREQUENCY_MS,
  REASON_INVALID_PROVIDED_NODE_IP,
  UPDATE_LABEL_BACKOFF,
  UPDATE_NODE_SPEC_BACKOFF,
} from './cloud-node-controller.js';
export type { CloudNodeControllerOptions } from './cloud-node-controller.js';
export type { CloudNodeControllerMetrics } from './metrics.js';
export { getInstanceMetadata, getInstanceNodeAddresses } from './instance-metadata.js';
export { addressesStatusPatch, getNodeAddressesFromNodeIP, nodeAddressesChangeDetected, ProvidedNodeIPNotFoundError } from './node-addresses.js';
export { ipEqual, isUnspecified, NodeIPParseError, parseIPSloppy, parseNodeIPAnnotation } from './node-ips.js';
export type { ParsedIP } from './node-ips.js';
export {
  applyAdditionalLabels,
  LABEL_FAILURE_DOMAIN_BETA_REGION,
  LABEL_FAILURE_DOMAIN_BETA_ZONE,
  LABEL_INSTANCE_TYPE,
  LABEL_INSTANCE_TYPE_STABLE,
  LABEL_TOPOLOGY_REGION,
  LABEL_TOPOLOGY_ZONE,
  labelsToReconcile,
} from './node-labels.js';
