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

/**
 * The manager's own name (upstream's binary): the user agent every client starts with
 * (`cloud-controller-manager/<client>`), the event source of the manager's own events, the default
 * leader-election lease and the component named in leader-migration configuration.
 */
export const CLOUD_CONTROLLER_MANAGER = 'cloud-controller-manager';

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

/** Client name (user agent suffix, service account) of both node controllers, as upstream. */
export const NODE_CONTROLLER_CLIENT_NAME = 'node-controller';

/** Client name of the service controller. */
export const SERVICE_CONTROLLER_CLIENT_NAME = 'service-controller';

/** Client name of the route controller. */
export const ROUTE_CONTROLLER_CLIENT_NAME = 'route-controller';

/** Event source component of the cloud node controller. */
export const CLOUD_NODE_CONTROLLER_EVENT_COMPONENT = 'cloud-node-controller';

/** Event source component of the cloud node lifecycle controller. */
export const CLOUD_NODE_LIFECYCLE_CONTROLLER_EVENT_COMPONENT = 'cloud-node-lifecycle-controller';

/** Event source component (and field manager) of the service controller. */
export const SERVICE_CONTROLLER_EVENT_COMPONENT = 'service-controller';

/** Event source component of the route controller (upstream spells it with an underscore). */
export const ROUTE_CONTROLLER_EVENT_COMPONENT = 'route_controller';

/** Everything outside the process sees of one controller. */
export interface ControllerIdentity {
  /** Canonical name (`--controllers`, healthz check, `running_managed_controllers{name}`). */
  readonly name: ControllerName;
  /** Legacy short names accepted by `--controllers` (upstream `CCMControllerAliases`). */
  readonly aliases: readonly string[];
  /** Client name: the user agent becomes `cloud-controller-manager/<clientName>`. */
  readonly clientName: string;
  /** Event source component. */
  readonly eventComponent: string;
}

function identity(name: ControllerName, alias: string, clientName: string, eventComponent: string): ControllerIdentity {
  return Object.freeze({ name, aliases: Object.freeze([alias]), clientName, eventComponent });
}

/** The identity of every controller, by canonical name: the one table of names, aliases, clients and components. */
export const CONTROLLER_IDENTITIES: Readonly<Record<ControllerName, ControllerIdentity>> = Object.freeze({
  [CLOUD_NODE_CONTROLLER]: identity(CLOUD_NODE_CONTROLLER, 'cloud-node', NODE_CONTROLLER_CLIENT_NAME, CLOUD_NODE_CONTROLLER_EVENT_COMPONENT),
  [SERVICE_LB_CONTROLLER]: identity(SERVICE_LB_CONTROLLER, 'service', SERVICE_CONTROLLER_CLIENT_NAME, SERVICE_CONTROLLER_EVENT_COMPONENT),
  [NODE_ROUTE_CONTROLLER]: identity(NODE_ROUTE_CONTROLLER, 'route', ROUTE_CONTROLLER_CLIENT_NAME, ROUTE_CONTROLLER_EVENT_COMPONENT),
  [CLOUD_NODE_LIFECYCLE_CONTROLLER]: identity(
    CLOUD_NODE_LIFECYCLE_CONTROLLER,
    'cloud-node-lifecycle',
    NODE_CONTROLLER_CLIENT_NAME,
    CLOUD_NODE_LIFECYCLE_CONTROLLER_EVENT_COMPONENT,
  ),
});

/**
 * Legacy short names accepted by `--controllers`, mapped to canonical names. Upstream promises
 * never to remove these aliases; frozen so no caller can change the mapping for everyone.
 */
export const CCM_CONTROLLER_ALIASES: Readonly<Record<string, ControllerName>> = Object.freeze(
  Object.fromEntries(CONTROLLER_NAMES.flatMap((name) => CONTROLLER_IDENTITIES[name].aliases.map((alias) => [alias, name] as const))),
);
