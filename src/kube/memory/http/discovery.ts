/**
 * Discovery documents of the simulated API's HTTP face (a test double): `/version`, `/api`,
 * `/apis` and the per-group-version resource lists, enough for kubectl and client discovery.
 *
 * @module
 */
import { apiVersionOf } from '../../resources.js';
import type { ResourceType } from '../../resources.js';
import { discoveryFacts, REVIEW_RESOURCES } from '../served-kinds.js';
import type { ReviewResource } from '../served-kinds.js';

/** The Kubernetes version the face claims: the one client-node 1.4.0 was generated from. */
export const SIMULATED_VERSION = { major: '1', minor: '34', gitVersion: 'v1.34.0-outrigger.simulated' } as const;

/** The `/version` body (apimachinery `version.Info`). */
export function versionInfo(): Record<string, string> {
  return {
    ...SIMULATED_VERSION,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'n/a (outrigger simulated API server)',
    compiler: 'n/a',
    platform: `${process.platform}/${process.arch}`,
  };
}

/** The `/api` body: the core group's versions. */
export function coreVersions(serverAddress: string): Record<string, unknown> {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** The `/apis` body: every named group served. */
export function groupList(types: readonly ResourceType[]): Record<string, unknown> {
  const groups = new Map<string, Set<string>>();
  for (const t of [...types, ...REVIEW_RESOURCES]) {
    if (t.group === '') continue;
    const versions = groups.get(t.group) ?? new Set<string>();
    versions.add(t.version);
    groups.set(t.group, versions);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => {
      const list = [...versions].map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

/** The `/apis/{group}` body, or undefined when the group is not served. */
export function group(types: readonly ResourceType[], name: string): Record<string, unknown> | undefined {
  const list = groupList(types)['groups'] as Array<Record<string, unknown>>;
  const found = list.find((g) => g['name'] === name);
  return found === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...found };
}

/** The review resources served in a group version (create-only, never stored). */
function reviewsIn(groupName: string, version: string): readonly ReviewResource[] {
  return REVIEW_RESOURCES.filter((r) => r.group === groupName && r.version === version);
}

/** The APIResourceList of one group version, or undefined when it serves nothing. */
export function resourceList(types: readonly ResourceType[], groupName: string, version: string): Record<string, unknown> | undefined {
  const served = types.filter((t) => t.group === groupName && t.version === version);
  const reviews = reviewsIn(groupName, version);
  if (served.length === 0 && reviews.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const t of served) {
    const facts = discoveryFacts(t);
    resources.push({
      name: t.resource,
      singularName: facts.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: facts.verbs,
      ...(facts.shortNames === undefined ? {} : { shortNames: facts.shortNames }),
      ...(facts.categories === undefined ? {} : { categories: facts.categories }),
    });
    if (t.hasStatus) resources.push({ name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    if (t.group === '' && t.resource === 'serviceaccounts') {
      resources.push({ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
    }
  }
  for (const r of reviews) resources.push({ name: r.resource, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs: ['create'] });
  resources.sort((a, b) => String(a['name']).localeCompare(String(b['name'])));
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group: groupName, version }), resources };
}

/** Media type of aggregated discovery (apidiscovery.k8s.io/v2), which kubectl asks for first. */
export const AGGREGATED_DISCOVERY_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

/** Whether an Accept header asks for aggregated discovery v2 (kubectl 1.35 does, before plain JSON). */
export function wantsAggregated(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim());
    return params.includes('g=apidiscovery.k8s.io') && params.includes('v=v2') && params.includes('as=APIGroupDiscoveryList');
  });
}

function aggregatedVersion(types: readonly ResourceType[], groupName: string, version: string): Record<string, unknown> {
  const resources: Array<Record<string, unknown>> = [];
  for (const t of types.filter((x) => x.group === groupName && x.version === version)) {
    const facts = discoveryFacts(t);
    const subresources: Array<Record<string, unknown>> = [];
    if (t.hasStatus) subresources.push({ subresource: 'status', responseKind: { group: '', version: '', kind: t.kind }, verbs: ['get', 'patch', 'update'] });
    if (t.group === '' && t.resource === 'serviceaccounts') {
      subresources.push({ subresource: 'token', responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] });
    }
    resources.push({
      resource: t.resource,
      responseKind: { group: '', version: '', kind: t.kind },
      scope: t.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: facts.singular,
      verbs: facts.verbs,
      ...(facts.shortNames === undefined ? {} : { shortNames: facts.shortNames }),
      ...(facts.categories === undefined ? {} : { categories: facts.categories }),
      ...(subresources.length === 0 ? {} : { subresources: subresources.sort((a, b) => String(a['subresource']).localeCompare(String(b['subresource']))) }),
    });
  }
  for (const r of reviewsIn(groupName, version)) {
    resources.push({
      resource: r.resource,
      responseKind: { group: '', version: '', kind: r.kind },
      scope: r.namespaced ? 'Namespaced' : 'Cluster',
      singularResource: r.kind.toLowerCase(),
      verbs: ['create'],
    });
  }
  resources.sort((a, b) => String(a['resource']).localeCompare(String(b['resource'])));
  return { version, resources, freshness: 'Current' };
}

/**
 * The aggregated discovery document (apidiscovery.k8s.io/v2 `APIGroupDiscoveryList`) of `/api`
 * (`core` true: the core group alone, with no name) or `/apis` (every named group).
 */
export function aggregatedDiscovery(types: readonly ResourceType[], core: boolean): Record<string, unknown> {
  const items: Array<Record<string, unknown>> = [];
  if (core) items.push({ metadata: {}, versions: [aggregatedVersion(types, '', 'v1')] });
  else {
    for (const g of groupList(types)['groups'] as Array<{ name: string; versions: Array<{ version: string }> }>) {
      items.push({ metadata: { name: g.name }, versions: g.versions.map((v) => aggregatedVersion(types, g.name, v.version)) });
    }
  }
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
