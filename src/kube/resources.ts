/**
 * Resource descriptors: which REST resource a typed client talks to. The four the CCM touches are
 * predefined; {@link defineResource} describes any other for the generic path.
 *
 * @module
 */
import type { Event, Namespace, Node, Service, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';

export type { Event, Namespace, Node, Service, ServiceAccount, Lease, ObjectMeta };

/** Any Kubernetes object as it travels on the wire (raw JSON shape, string timestamps). */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** Describes one REST resource (group, version, plural name, kind, scope, subresources). */
export interface ResourceType<T extends KubeObject = KubeObject> {
  /** API group; `''` for the core group. */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural, as in the URL: `nodes`, `leases`. */
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Whether the resource has a `/status` subresource separating status from spec writes. */
  readonly hasStatus: boolean;
  /**
   * Phantom marker tying the descriptor to its object type; never set at run time.
   * @internal
   */
  readonly __object?: T;
}

/** `group/version`, or `version` alone for the core group. */
export function apiVersionOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? type.version : `${type.group}/${type.version}`;
}

/** Describes a resource for the generic client path. */
export function defineResource<T extends KubeObject>(spec: Omit<ResourceType<T>, '__object'>): ResourceType<T> {
  return Object.freeze({ ...spec });
}

/** core/v1 Nodes (cluster-scoped, with status). */
export const NODES = defineResource<Node>({
  group: '',
  version: 'v1',
  resource: 'nodes',
  kind: 'Node',
  namespaced: false,
  hasStatus: true,
});

/** core/v1 Services (namespaced, with status). */
export const SERVICES = defineResource<Service>({
  group: '',
  version: 'v1',
  resource: 'services',
  kind: 'Service',
  namespaced: true,
  hasStatus: true,
});

/** core/v1 Events (namespaced). */
export const EVENTS = defineResource<Event>({
  group: '',
  version: 'v1',
  resource: 'events',
  kind: 'Event',
  namespaced: true,
  hasStatus: false,
});

/** coordination.k8s.io/v1 Leases (namespaced), used for leader election. */
export const LEASES = defineResource<Lease>({
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  kind: 'Lease',
  namespaced: true,
  hasStatus: false,
});

/** core/v1 ServiceAccounts (namespaced); `--use-service-account-credentials` mints their tokens. */
export const SERVICE_ACCOUNTS = defineResource<ServiceAccount>({
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  kind: 'ServiceAccount',
  namespaced: true,
  hasStatus: false,
});

/** core/v1 Namespaces (cluster-scoped). */
export const NAMESPACES = defineResource<Namespace>({
  group: '',
  version: 'v1',
  resource: 'namespaces',
  kind: 'Namespace',
  namespaced: false,
  hasStatus: true,
});

/** The resources every KubeClient implementation must serve. */
export const BUILTIN_RESOURCES: readonly ResourceType[] = [NODES, SERVICES, EVENTS, LEASES];

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones (client-go's key format). */
export function objectKeyString(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

/** Splits a `namespace/name` or `name` key. */
export function parseObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The key of an object: `namespace/name` or `name`. */
export function keyOf(obj: KubeObject): string {
  return objectKeyString(obj.metadata?.namespace, obj.metadata?.name ?? '');
}
