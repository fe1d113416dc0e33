/**
 * Well-known names and numbers of the cloud-provider framework (upstream `api/well_known_*.go`,
 * `service/helpers`, `ports.go`, `options/webhook.go`, `names/controller_names.go`). They are part
 * of the observable contract: kubelets, autoscalers and manifests use the same strings.
 *
 * @module
 */

/** The `--cloud-provider` value meaning "an external CCM runs the provider" (no provider in-process). */
export const EXTERNAL_CLOUD_PROVIDER = 'external';

/**
 * Taint the kubelet (with `--cloud-provider=external`) puts on a new Node, value `true`, effect
 * `NoSchedule`; the cloud node controller removes it once the Node is initialised.
 */
export const TAINT_EXTERNAL_CLOUD_PROVIDER = 'node.cloudprovider.kubernetes.io/uninitialized';

/** Taint (effect `NoSchedule`, no value) the lifecycle controller puts on Nodes whose instance is shut down. */
export const TAINT_NODE_SHUTDOWN = 'node.cloudprovider.kubernetes.io/shutdown';

/**
 * Annotation the kubelet sets from `--node-ip` when the cloud provider is external; the node
 * controller keeps only the cloud addresses matching it.
 */
export const ANNOTATION_ALPHA_PROVIDED_IP_ADDR = 'alpha.kubernetes.io/provided-node-ip';

/** Finalizer the service controller keeps on LoadBalancer Services until their load balancer is deleted. */
export const LOAD_BALANCER_CLEANUP_FINALIZER = 'service.kubernetes.io/load-balancer-cleanup';

/** Taint key the cluster autoscaler puts on Nodes it is about to remove; such Nodes leave load-balancer backends. */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

/** Default secure port of the cloud-controller-manager (`--secure-port`). */
export const CLOUD_CONTROLLER_MANAGER_PORT = 10258;

/** Default port of the cloud-controller-manager's webhook server (`--webhook-secure-port`). */
export const CLOUD_CONTROLLER_MANAGER_WEBHOOK_PORT = 10260;

/** Canonical name of the cloud node controller. */
export const CLOUD_NODE_CONTROLLER = 'cloud-node-controller';

/** Canonical name of the service (load balancer) controller. */
export const SERVICE_LB_CONTROLLER = 'service-lb-controller';

/** Canonical name of the route controller. */
export const NODE_ROUTE_CONTROLLER = 'node-route-controller';

/** Canonical name of the cloud node lifecycle controller. */
export const CLOUD_NODE_LIFECYCLE_CONTROLLER = 'cloud-node-lifecycle-controller';

/** A canonical controller name. */
export type ControllerName =
  | typeof CLOUD_NODE_CONTROLLER
  | typeof SERVICE_LB_CONTROLLER
  | typeof NODE_ROUTE_CONTROLLER
  | typeof CLOUD_NODE_LIFECYCLE_CONTROLLER;

/** The canonical controller names, in upstream's declaration order. */
export const CONTROLLER_NAMES: readonly ControllerName[] = Object.freeze([
  CLOUD_NODE_CONTROLLER,
  SERVICE_LB_CONTROLLER,
  NODE_ROUTE_CONTROLLER,
  CLOUD_NODE_LIFECYCLE_CONTROLLER,
]);

/**
 * Legacy short names accepted by `--controllers`, mapped to canonical names. Upstream promises
 * never to remove these aliases; frozen so no caller can change the mapping for everyone.
 */
export const CCM_CONTROLLER_ALIASES: Readonly<Record<string, ControllerName>> = Object.freeze({
  'cloud-node': CLOUD_NODE_CONTROLLER,
  service: SERVICE_LB_CONTROLLER,
  route: NODE_ROUTE_CONTROLLER,
  'cloud-node-lifecycle': CLOUD_NODE_LIFECYCLE_CONTROLLER,
});
