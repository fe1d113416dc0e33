/**
 * A small RBAC evaluator for the simulated API server (a test double and sandbox): decides a
 * SubjectAccessReview from the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings stored in
 * it, as kube-apiserver's RBAC authorizer does — `system:masters` may do anything (the apiserver's
 * superuser group), ClusterRoleBindings grant everywhere, RoleBindings in their namespace only,
 * rules match on verb, API group, resource (`resource/subresource`, `*`), resourceNames and
 * non-resource URLs (`/metrics`, `/healthz/*`). ClusterRole aggregation is not evaluated
 * (docs/deviations.md). The simulated server does not enforce it on its own requests.
 *
 * @module
 */
import { isJsonObject } from '../json-value.js';
import type { JsonObject } from '../json-value.js';

/** Who is asking (authentication's `user.Info`). */
export interface UserInfo {
  readonly username: string;
  readonly uid?: string;
  readonly groups: readonly string[];
}

/** What is asked: a resource request or a non-resource one, as in a SubjectAccessReview spec. */
export type AccessAttributes =
  | {
      readonly kind: 'resource';
      readonly verb: string;
      readonly group: string;
      readonly resource: string;
      readonly subresource: string;
      readonly namespace: string;
      readonly name: string;
    }
  | { readonly kind: 'nonResource'; readonly verb: string; readonly path: string };

/** The RBAC objects to evaluate against (stored objects, read only). */
export interface RbacObjects {
  readonly roles: readonly JsonObject[];
  readonly clusterRoles: readonly JsonObject[];
  readonly roleBindings: readonly JsonObject[];
  readonly clusterRoleBindings: readonly JsonObject[];
}

/** The decision. */
export interface AccessDecision {
  readonly allowed: boolean;
  readonly reason: string;
}

/** The superuser group: kube-apiserver allows it everything before RBAC is asked. */
export const SYSTEM_MASTERS = 'system:masters';

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}
function meta(o: JsonObject, field: string): string {
  const m = o['metadata'];
  return isJsonObject(m) && typeof m[field] === 'string' ? m[field] : '';
}

function subjectMatches(subject: unknown, user: UserInfo, bindingNamespace: string): boolean {
  if (!isJsonObject(subject)) return false;
  const name = typeof subject['name'] === 'string' ? subject['name'] : '';
  switch (subject['kind']) {
    case 'User':
      return name === user.username;
    case 'Group':
      return user.groups.includes(name);
    case 'ServiceAccount': {
      const ns = typeof subject['namespace'] === 'string' && subject['namespace'] !== '' ? subject['namespace'] : bindingNamespace;
      return user.username === `system:serviceaccount:${ns}:${name}`;
    }
    default:
      return false;
  }
}

function ruleAllows(rule: unknown, attrs: AccessAttributes): boolean {
  if (!isJsonObject(rule)) return false;
  const verbs = strings(rule['verbs']);
  if (!verbs.includes('*') && !verbs.includes(attrs.verb)) return false;
  if (attrs.kind === 'nonResource') {
    return strings(rule['nonResourceURLs']).some((u) => u === '*' || u === attrs.path || (u.endsWith('*') && attrs.path.startsWith(u.slice(0, -1))));
  }
  const groups = strings(rule['apiGroups']);
  if (!groups.includes('*') && !groups.includes(attrs.group)) return false;
  const wanted = attrs.subresource === '' ? attrs.resource : `${attrs.resource}/${attrs.subresource}`;
  const resources = strings(rule['resources']);
  const resourceOk = resources.some((r) => r === '*' || r === wanted || (attrs.subresource !== '' && r === `*/${attrs.subresource}`));
  if (!resourceOk) return false;
  const names = strings(rule['resourceNames']);
  return names.length === 0 || (attrs.name !== '' && names.includes(attrs.name));
}

/** Decides whether `user` may do `attrs`. */
export function authorize(objects: RbacObjects, user: UserInfo, attrs: AccessAttributes): AccessDecision {
  if (user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
  const clusterRole = (name: string): JsonObject | undefined => objects.clusterRoles.find((r) => meta(r, 'name') === name);
  for (const binding of objects.clusterRoleBindings) {
    if (!(Array.isArray(binding['subjects']) && binding['subjects'].some((s) => subjectMatches(s, user, '')))) continue;
    const ref = isJsonObject(binding['roleRef']) ? binding['roleRef'] : {};
    if (ref['kind'] !== 'ClusterRole') continue;
    const role = clusterRole(typeof ref['name'] === 'string' ? ref['name'] : '');
    if (role !== undefined && Array.isArray(role['rules']) && role['rules'].some((r) => ruleAllows(r, attrs))) {
      return { allowed: true, reason: `RBAC: allowed by ClusterRoleBinding "${meta(binding, 'name')}" of ClusterRole "${meta(role, 'name')}" to ${describe(user)}` };
    }
  }
  if (attrs.kind === 'resource' && attrs.namespace !== '') {
    for (const binding of objects.roleBindings) {
      const ns = meta(binding, 'namespace');
      if (ns !== attrs.namespace) continue;
      if (!(Array.isArray(binding['subjects']) && binding['subjects'].some((s) => subjectMatches(s, user, ns)))) continue;
      const ref = isJsonObject(binding['roleRef']) ? binding['roleRef'] : {};
      const refName = typeof ref['name'] === 'string' ? ref['name'] : '';
      const role =
        ref['kind'] === 'ClusterRole' ? clusterRole(refName) : objects.roles.find((r) => meta(r, 'namespace') === ns && meta(r, 'name') === refName);
      if (role !== undefined && Array.isArray(role['rules']) && role['rules'].some((r) => ruleAllows(r, attrs))) {
        return {
          allowed: true,
          reason: `RBAC: allowed by RoleBinding "${meta(binding, 'name')}/${ns}" of ${String(ref['kind'])} "${refName}" to ${describe(user)}`,
        };
      }
    }
  }
  return { allowed: false, reason: '' };
}

function describe(user: UserInfo): string {
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(user.username);
  return sa === null ? `User "${user.username}"` : `ServiceAccount "${sa[2] ?? ''}/${sa[1] ?? ''}"`;
}

/** The rules that apply to `user` in `namespace` (SelfSubjectRulesReview), superusers getting `*`. */
export function rulesFor(objects: RbacObjects, user: UserInfo, namespace: string): { resourceRules: JsonObject[]; nonResourceRules: JsonObject[] } {
  if (user.groups.includes(SYSTEM_MASTERS)) {
    return { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }] };
  }
  const rules: unknown[] = [];
  const clusterRole = (name: string): JsonObject | undefined => objects.clusterRoles.find((r) => meta(r, 'name') === name);
  for (const b of objects.clusterRoleBindings) {
    if (!(Array.isArray(b['subjects']) && b['subjects'].some((s) => subjectMatches(s, user, '')))) continue;
    const ref = isJsonObject(b['roleRef']) ? b['roleRef'] : {};
    const role = clusterRole(typeof ref['name'] === 'string' ? ref['name'] : '');
    if (role !== undefined && Array.isArray(role['rules'])) rules.push(...(role['rules'] as unknown[]));
  }
  for (const b of objects.roleBindings) {
    const ns = meta(b, 'namespace');
    if (ns !== namespace || !(Array.isArray(b['subjects']) && b['subjects'].some((s) => subjectMatches(s, user, ns)))) continue;
    const ref = isJsonObject(b['roleRef']) ? b['roleRef'] : {};
    const refName = typeof ref['name'] === 'string' ? ref['name'] : '';
    const role = ref['kind'] === 'ClusterRole' ? clusterRole(refName) : objects.roles.find((r) => meta(r, 'namespace') === ns && meta(r, 'name') === refName);
    if (role !== undefined && Array.isArray(role['rules'])) rules.push(...(role['rules'] as unknown[]));
  }
  const resourceRules: JsonObject[] = [];
  const nonResourceRules: JsonObject[] = [];
  for (const r of rules) {
    if (!isJsonObject(r)) continue;
    if (strings(r['nonResourceURLs']).length > 0) nonResourceRules.push({ verbs: strings(r['verbs']), nonResourceURLs: strings(r['nonResourceURLs']) });
    else {
      const names = strings(r['resourceNames']);
      resourceRules.push({ verbs: strings(r['verbs']), apiGroups: strings(r['apiGroups']), resources: strings(r['resources']), ...(names.length > 0 ? { resourceNames: names } : {}) });
    }
  }
  return { resourceRules, nonResourceRules };
}
