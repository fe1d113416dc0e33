import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES } from '../../resources.js';
import { routeRestPath } from './rest-paths.js';

describe('routeRestPath', () => {
  const cases: ReadonlyArray<{ path: string; want: string }> = [
    { path: '/api/v1/nodes', want: 'nodes' },
    { path: '/api/v1/nodes/n1', want: 'nodes name=n1' },
    { path: '/api/v1/nodes/n1/status', want: 'nodes name=n1 sub=status' },
    { path: '/api/v1/services', want: 'services' },
    { path: '/api/v1/namespaces/default/services', want: 'services ns=default' },
    { path: '/api/v1/namespaces/default/services/web/status', want: 'services ns=default name=web sub=status' },
    { path: '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/ccm', want: 'leases ns=kube-system name=ccm' },
    { path: '/api/v1/namespaces/a%2Fb/events/e%20x', want: 'events ns=a/b name=e x' },
    { path: '/apis/example.com/v1/namespaces/ns/widgets/w', want: 'widgets ns=ns name=w (provisional)' },
    { path: '/api/v1/namespaces/default/nodes', want: 'not-found' },
    { path: '/api/v1/services/web', want: 'not-found' },
    { path: '/apis/coordination.k8s.io/v1/namespaces/x/leases/l/status', want: 'not-found' },
    { path: '/api/v1/nodes/n1/proxy', want: 'not-found' },
    { path: '/api/v1/nodes/n1/status/extra', want: 'not-found' },
    { path: '/healthz', want: 'not-resource' },
    { path: '/api/v1', want: 'not-resource' },
    { path: '/api//v1/nodes', want: 'not-resource' },
  ];
  for (const c of cases) {
    it(`routes ${c.path} to ${c.want}`, () => {
      const r = routeRestPath(c.path, BUILTIN_RESOURCES);
      const got = !r.ok
        ? r.reason
        : [
            r.target.type.resource,
            r.target.namespace === undefined ? '' : `ns=${r.target.namespace}`,
            r.target.name === undefined ? '' : `name=${r.target.name}`,
            r.target.subresource === undefined ? '' : `sub=${r.target.subresource}`,
            r.target.type.kind === '' ? '(provisional)' : '',
          ]
            .filter((s) => s !== '')
            .join(' ');
      assert.equal(got, c.want);
    });
  }
});
