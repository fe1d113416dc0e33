/**
 * The well-known Node labels the cloud node controller writes (k8s.io/api `well_known_labels.go`)
 * and its two label rules: beta → GA reconciliation and the filtering of a provider's
 * additional labels.
 *
 * @module
 */
import type { Logger } from '../../log/logger.js';

/** GA instance-type label. */
export const LABEL_INSTANCE_TYPE_STABLE = 'node.kubernetes.io/instance-type';
/** Deprecated beta instance-type label (still written, and still the reconciliation source). */
export const LABEL_INSTANCE_TYPE = 'beta.kubernetes.io/instance-type';
/** GA zone label. */
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';
/** Deprecated beta zone label. */
export const LABEL_FAILURE_DOMAIN_BETA_ZONE = 'failure-domain.beta.kubernetes.io/zone';
/** GA region label. */
export const LABEL_TOPOLOGY_REGION = 'topology.kubernetes.io/region';
/** Deprecated beta region label. */
export const LABEL_FAILURE_DOMAIN_BETA_REGION = 'failure-domain.beta.kubernetes.io/region';

/** Pairs reconciled on initialised nodes: the beta (primary) value is copied to the GA (secondary) key. */
const LABEL_RECONCILE_PAIRS: ReadonlyArray<readonly [primary: string, secondary: string]> = [
  [LABEL_FAILURE_DOMAIN_BETA_ZONE, LABEL_TOPOLOGY_ZONE],
  [LABEL_FAILURE_DOMAIN_BETA_REGION, LABEL_TOPOLOGY_REGION],
  [LABEL_INSTANCE_TYPE, LABEL_INSTANCE_TYPE_STABLE],
];

/**
 * The GA labels to set so they match their beta counterparts, as upstream's
 * `reconcileNodeLabels`: nothing when a beta label is absent; empty when all agree.
 */
export function labelsToReconcile(labels: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (labels === undefined) return out;
  for (const [primary, secondary] of LABEL_RECONCILE_PAIRS) {
    const value = labels[primary];
    if (value !== undefined && labels[secondary] !== value) out[secondary] = value;
  }
  return out;
}

// As upstream: a key whose prefix is `kubernetes.io/`, `k8s.io/` or a subdomain of either.
const KUBERNETES_NAMESPACE = /(^|\.)(kubernetes|k8s)\.io\//;

/**
 * Applies a provider's additional labels to `labels` in place, as upstream: keys in a Kubernetes
 * namespace are dropped, and a key the node already has keeps its value (a warning is logged
 * when the values differ).
 */
export function applyAdditionalLabels(labels: Record<string, string>, additional: Readonly<Record<string, string>>, log: Logger): void {
  for (const [key, value] of Object.entries(additional)) {
    if (KUBERNETES_NAMESPACE.test(key)) {
      log.info('Discarding node label with kubernetes namespace', { label: key });
      continue;
    }
    const existing = labels[key];
    if (existing !== undefined) {
      if (existing !== value) log.info('Discarding node label that is already present', { label: key });
      continue;
    }
    labels[key] = value;
  }
}
