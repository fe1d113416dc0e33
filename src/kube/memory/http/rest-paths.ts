/**
 * URL routing of the simulated API's HTTP face (a test double): maps the Kubernetes REST paths
 * (`/api/v1/namespaces/{ns}/services/{name}/status`, `/apis/{group}/{version}/…`) onto resource
 * descriptors, as the apiserver's installer lays them out.
 *
 * @module
 */
import type { ResourceType } from '../../resources.js';

/** What a resource URL names. */
export interface RestTarget {
  readonly type: ResourceType;
  /** The namespace in the path; absent for cluster-scoped resources and all-namespace collections. */
  readonly namespace?: string;
  /** The object name; absent for collections. */
  readonly name?: string;
  /** `status`, and `token` of a ServiceAccount (TokenRequest). */
  readonly subresource?: 'status' | 'token';
}

/** Why a path could not be routed: not a resource path at all, or a resource path we do not serve. */
export type RouteResult = { readonly ok: true; readonly target: RestTarget } | { readonly ok: false; readonly reason: 'not-resource' | 'not-found' };

function decodeSegments(pathname: string): string[] | undefined {
  const trimmed = pathname.replace(/\/+$/, '');
  const parts = trimmed.split('/').slice(1);
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

/**
 * Routes `pathname` over the served resource types. `/api/v1/…` is the core group; `/apis/g/v/…`
 * a named group. A namespaced resource without a namespace is the all-namespaces collection
 * (list/watch only, as upstream: no object URL exists there).
 */
export function routeRestPath(pathname: string, types: readonly ResourceType[]): RouteResult {
  const segs = decodeSegments(pathname);
  if (segs === undefined || segs.some((s) => s === '')) return { ok: false, reason: 'not-resource' };
  let group: string;
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    group = '';
    version = segs[1] as string;
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1] as string;
    version = segs[2] as string;
    rest = segs.slice(3);
  } else {
    return { ok: false, reason: 'not-resource' };
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (resource === undefined || extra.length > 0) return { ok: false, reason: 'not-found' };
  // A resource the face does not know may still be registered on the simulated server: route it
  // with a provisional descriptor; the server resolves it by group/version/resource and answers
  // 404 itself when it does not serve it either.
  const type = types.find((t) => t.group === group && t.version === version && t.resource === resource) ?? {
    group,
    version,
    resource,
    kind: '',
    namespaced: namespace !== undefined,
    hasStatus: true,
  };
  if (namespace !== undefined && !type.namespaced) return { ok: false, reason: 'not-found' };
  if (namespace === undefined && type.namespaced && name !== undefined) return { ok: false, reason: 'not-found' };
  const isToken = subresource === 'token' && group === '' && resource === 'serviceaccounts';
  if (subresource !== undefined && !isToken && (subresource !== 'status' || !type.hasStatus)) return { ok: false, reason: 'not-found' };
  return {
    ok: true,
    target: {
      type,
      ...(namespace === undefined ? {} : { namespace }),
      ...(name === undefined ? {} : { name }),
      ...(subresource === undefined ? {} : { subresource: isToken ? ('token' as const) : ('status' as const) }),
    },
  };
}
