/**
 * The kinds the simulated API server (a test double and sandbox) serves beyond the four the CCM
 * needs, and what discovery says about every served resource: short names, categories, singular
 * name and verbs, as kube-apiserver 1.37 lists them (checked against the real test cluster in
 * test/e2e/kubectl-fidelity.test.ts). kubectl resolves `svc`, `no`, `ev` and `get all` from these.
 *
 * @module
 */
import { defineResource } from '../resources.js';
import type { KubeObject, ResourceType } from '../resources.js';

/** core/v1 ConfigMaps. */
export const CONFIG_MAPS = defineResource<KubeObject>({ group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true, hasStatus: false });
/** core/v1 Secrets. */
export const SECRETS = defineResource<KubeObject>({ group: '', version: 'v1', resource: 'secrets', kind: 'Secret', namespaced: true, hasStatus: false });
/** core/v1 Endpoints. */
export const ENDPOINTS = defineResource<KubeObject>({ group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true, hasStatus: false });
/** discovery.k8s.io/v1 EndpointSlices. */
export const ENDPOINT_SLICES = defineResource<KubeObject>({
  group: 'discovery.k8s.io',
  version: 'v1',
  resource: 'endpointslices',
  kind: 'EndpointSlice',
  namespaced: true,
  hasStatus: false,
});
/** events.k8s.io/v1 Events (stored apart from core/v1 Events here: see docs/deviations.md). */
export const EVENTS_V1 = defineResource<KubeObject>({ group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, hasStatus: false });
/** rbac.authorization.k8s.io/v1 Roles. */
export const ROLES = defineResource<KubeObject>({ group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles', kind: 'Role', namespaced: true, hasStatus: false });
/** rbac.authorization.k8s.io/v1 ClusterRoles. */
export const CLUSTER_ROLES = defineResource<KubeObject>({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'clusterroles',
  kind: 'ClusterRole',
  namespaced: false,
  hasStatus: false,
});
/** rbac.authorization.k8s.io/v1 RoleBindings. */
export const ROLE_BINDINGS = defineResource<KubeObject>({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'rolebindings',
  kind: 'RoleBinding',
  namespaced: true,
  hasStatus: false,
});
/** rbac.authorization.k8s.io/v1 ClusterRoleBindings. */
export const CLUSTER_ROLE_BINDINGS = defineResource<KubeObject>({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'clusterrolebindings',
  kind: 'ClusterRoleBinding',
  namespaced: false,
  hasStatus: false,
});

/** Stored kinds the simulated server serves besides the CCM's four, ServiceAccounts and Namespaces. */
export const EXTRA_STORED_RESOURCES: readonly ResourceType[] = [
  CONFIG_MAPS,
  SECRETS,
  ENDPOINTS,
  ENDPOINT_SLICES,
  EVENTS_V1,
  ROLES,
  CLUSTER_ROLES,
  ROLE_BINDINGS,
  CLUSTER_ROLE_BINDINGS,
];

/** A create-only review resource (TokenReview, SubjectAccessReview, …): answered, never stored. */
export interface ReviewResource {
  readonly group: string;
  readonly version: 'v1';
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

/** The review resources the HTTP face answers (authentication.k8s.io, authorization.k8s.io). */
export const REVIEW_RESOURCES: readonly ReviewResource[] = [
  { group: 'authentication.k8s.io', version: 'v1', resource: 'tokenreviews', kind: 'TokenReview', namespaced: false },
  { group: 'authentication.k8s.io', version: 'v1', resource: 'selfsubjectreviews', kind: 'SelfSubjectReview', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'subjectaccessreviews', kind: 'SubjectAccessReview', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectaccessreviews', kind: 'SelfSubjectAccessReview', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'selfsubjectrulesreviews', kind: 'SelfSubjectRulesReview', namespaced: false },
  { group: 'authorization.k8s.io', version: 'v1', resource: 'localsubjectaccessreviews', kind: 'LocalSubjectAccessReview', namespaced: true },
];

/** What discovery says about one resource beyond its descriptor. */
export interface DiscoveryFacts {
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly singular: string;
  readonly verbs: readonly string[];
}

/** Every verb of a stored resource, as kube-apiserver lists them (alphabetical). */
export const STORED_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'] as const;
/** Namespaces have no deletecollection. */
const NAMESPACE_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] as const;

const FACTS: Readonly<Record<string, DiscoveryFacts>> = {
  '/v1/nodes': { shortNames: ['no'], singular: 'node', verbs: STORED_VERBS },
  '/v1/services': { shortNames: ['svc'], categories: ['all'], singular: 'service', verbs: STORED_VERBS },
  '/v1/events': { shortNames: ['ev'], singular: 'event', verbs: STORED_VERBS },
  '/v1/namespaces': { shortNames: ['ns'], singular: 'namespace', verbs: NAMESPACE_VERBS },
  '/v1/configmaps': { shortNames: ['cm'], singular: 'configmap', verbs: STORED_VERBS },
  '/v1/secrets': { singular: 'secret', verbs: STORED_VERBS },
  '/v1/serviceaccounts': { shortNames: ['sa'], singular: 'serviceaccount', verbs: STORED_VERBS },
  '/v1/endpoints': { shortNames: ['ep'], singular: 'endpoints', verbs: STORED_VERBS },
  'coordination.k8s.io/v1/leases': { singular: 'lease', verbs: STORED_VERBS },
  'discovery.k8s.io/v1/endpointslices': { singular: 'endpointslice', verbs: STORED_VERBS },
  'events.k8s.io/v1/events': { shortNames: ['ev'], singular: 'event', verbs: STORED_VERBS },
  'rbac.authorization.k8s.io/v1/roles': { singular: 'role', verbs: STORED_VERBS },
  'rbac.authorization.k8s.io/v1/clusterroles': { singular: 'clusterrole', verbs: STORED_VERBS },
  'rbac.authorization.k8s.io/v1/rolebindings': { singular: 'rolebinding', verbs: STORED_VERBS },
  'rbac.authorization.k8s.io/v1/clusterrolebindings': { singular: 'clusterrolebinding', verbs: STORED_VERBS },
};

/** Discovery facts of a served resource; a registered resource we know nothing of gets the full verb set. */
export function discoveryFacts(type: Pick<ResourceType, 'group' | 'version' | 'resource' | 'kind'>): DiscoveryFacts {
  return FACTS[`${type.group}/${type.version}/${type.resource}`] ?? { singular: type.kind.toLowerCase(), verbs: STORED_VERBS };
}
