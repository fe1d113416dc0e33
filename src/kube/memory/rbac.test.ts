import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, rulesFor } from './rbac.js';
import type { AccessAttributes, RbacObjects } from './rbac.js';

const get = (resource: string, namespace = '', extra: Partial<Extract<AccessAttributes, { kind: 'resource' }>> = {}): AccessAttributes => ({
  kind: 'resource',
  verb: 'get',
  group: '',
  resource,
  subresource: '',
  namespace,
  name: '',
  ...extra,
});

const objects: RbacObjects = {
  clusterRoles: [
    { metadata: { name: 'metrics-reader' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/metrics', '/debug/*'] }] },
    { metadata: { name: 'svc-reader' }, rules: [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['services', 'services/status'] }] },
  ],
  roles: [{ metadata: { name: 'one-lease', namespace: 'kube-system' }, rules: [{ verbs: ['*'], apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: ['ccm'] }] }],
  clusterRoleBindings: [
    { metadata: { name: 'prom' }, roleRef: { kind: 'ClusterRole', name: 'metrics-reader' }, subjects: [{ kind: 'Group', name: 'monitoring' }] },
  ],
  roleBindings: [
    { metadata: { name: 'ccm-lease', namespace: 'kube-system' }, roleRef: { kind: 'Role', name: 'one-lease' }, subjects: [{ kind: 'ServiceAccount', name: 'ccm' }] },
    { metadata: { name: 'read-svc', namespace: 'shop' }, roleRef: { kind: 'ClusterRole', name: 'svc-reader' }, subjects: [{ kind: 'User', name: 'alice' }] },
  ],
};

describe('RBAC evaluator', () => {
  it('allows system:masters everything and denies a user with no bindings', () => {
    assert.equal(authorize(objects, { username: 'admin', groups: ['system:masters'] }, get('secrets', 'x')).allowed, true);
    assert.deepEqual(authorize(objects, { username: 'nobody', groups: ['system:authenticated'] }, get('services', 'shop')), { allowed: false, reason: '' });
  });

  it('grants through ClusterRoleBindings everywhere, RoleBindings in their namespace only', () => {
    const alice = { username: 'alice', groups: [] };
    assert.equal(authorize(objects, alice, get('services', 'shop')).allowed, true);
    assert.match(authorize(objects, alice, get('services', 'shop')).reason, /RoleBinding "read-svc\/shop" of ClusterRole "svc-reader" to User "alice"/);
    assert.equal(authorize(objects, alice, get('services', 'other')).allowed, false);
    assert.equal(authorize(objects, alice, get('services', 'shop', { subresource: 'status' })).allowed, true);
    assert.equal(authorize(objects, alice, { ...get('services', 'shop'), verb: 'delete' }).allowed, false);
  });

  it('matches ServiceAccount subjects (namespace defaulted to the binding’s) and resourceNames', () => {
    const sa = { username: 'system:serviceaccount:kube-system:ccm', groups: ['system:serviceaccounts'] };
    const lease = (name: string): AccessAttributes => get('leases', 'kube-system', { group: 'coordination.k8s.io', verb: 'update', name });
    assert.equal(authorize(objects, sa, lease('ccm')).allowed, true);
    assert.equal(authorize(objects, sa, lease('other')).allowed, false);
  });

  it('matches non-resource URLs exactly or by a trailing *', () => {
    const prom = { username: 'prometheus', groups: ['monitoring'] };
    assert.equal(authorize(objects, prom, { kind: 'nonResource', verb: 'get', path: '/metrics' }).allowed, true);
    assert.equal(authorize(objects, prom, { kind: 'nonResource', verb: 'get', path: '/debug/pprof' }).allowed, true);
    assert.equal(authorize(objects, prom, { kind: 'nonResource', verb: 'get', path: '/healthz' }).allowed, false);
  });

  it('lists the rules that apply in a namespace (SelfSubjectRulesReview)', () => {
    const rules = rulesFor(objects, { username: 'alice', groups: [] }, 'shop');
    assert.deepEqual(rules.resourceRules, [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['services', 'services/status'] }]);
    assert.deepEqual(rulesFor(objects, { username: 'alice', groups: [] }, 'other').resourceRules, []);
  });
});
