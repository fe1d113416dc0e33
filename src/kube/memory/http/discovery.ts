/**
 * Discovery documents of the simulated API's HTTP face (a test double): `/version`, `/api`,
 * `/apis` and the per-group-version resource lists, enough for kubectl and client discovery.
 *
 * @module
 */
import { apiVersionOf } from '../../resources.js';
import type { ResourceType } from '../../resources.js';

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
  for (const t of types) {
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

const VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];

/** The APIResourceList of one group version, or undefined when it serves nothing. */
export function resourceList(types: readonly ResourceType[], groupName: string, version: string): Record<string, unknown> | undefined {
  const served = types.filter((t) => t.group === groupName && t.version === version);
  if (served.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const t of served) {
    resources.push({ name: t.resource, singularName: t.kind.toLowerCase(), namespaced: t.namespaced, kind: t.kind, verbs: VERBS });
    if (t.hasStatus) resources.push({ name: `${t.resource}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    if (t.group === '' && t.resource === 'serviceaccounts') {
      resources.push({ name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group: groupName, version }), resources };
}
