import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { LoadBalancerIngress, Service } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER as FIN } from '../../cloud/constants.js';
import type { Patch } from '../../kube/client.js';
import { copyIngress, loadBalancerIngressEqual } from './load-balancer-status.js';
import { servicePatch } from './service-patch.js';
import type { ServicePatchIntent } from './service-patch.js';

function svc(finalizers: string[] | undefined, ingress?: LoadBalancerIngress[]): Service {
  return {
    metadata: { name: 's', namespace: 'default', ...(finalizers === undefined ? {} : { finalizers }) },
    spec: { type: 'LoadBalancer' },
    ...(ingress === undefined ? {} : { status: { loadBalancer: { ingress } } }),
  };
}

describe('servicePatch', () => {
  // Upstream TestAddFinalizer, TestRemoveFinalizer and TestPatchStatus, as patch bodies.
  const cases: { name: string; service: Service; intent: ServicePatchIntent; want: Patch | undefined }[] = [
    { name: 'no-op add finalizer', service: svc([FIN]), intent: { finalizer: true }, want: undefined },
    { name: 'add finalizer', service: svc(['other']), intent: { finalizer: true }, want: { type: 'strategic', body: { metadata: { finalizers: [FIN] } } } },
    { name: 'no-op remove finalizer', service: svc(['other']), intent: { finalizer: false }, want: undefined },
    { name: 'remove finalizer', service: svc([FIN, 'other']), intent: { finalizer: false }, want: { type: 'strategic', body: { metadata: { '$deleteFromPrimitiveList/finalizers': [FIN] } } } },
    { name: 'no-op add status', service: svc([], [{ ip: '1.2.3.4' }]), intent: { ingress: [{ ip: '1.2.3.4' }] }, want: undefined },
    { name: 'add status', service: svc([]), intent: { ingress: [{ ip: '1.2.3.4' }] }, want: { type: 'strategic', body: { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } } } },
    { name: 'no patch when the stored status differs only by the apiserver-defaulted ipMode VIP', service: svc([], [{ ip: '1.2.3.4', ipMode: 'VIP' }]), intent: { ingress: [{ ip: '1.2.3.4' }] }, want: undefined },
    { name: 'a patch when the provider says Proxy and the stored status is VIP', service: svc([], [{ ip: '1.2.3.4', ipMode: 'VIP' }]), intent: { ingress: [{ ip: '1.2.3.4', ipMode: 'Proxy' }] }, want: { type: 'strategic', body: { status: { loadBalancer: { ingress: [{ ip: '1.2.3.4', ipMode: 'Proxy' }] } } } } },
    { name: 'no-op clear status', service: svc([]), intent: { ingress: [] }, want: undefined },
    { name: 'clear status', service: svc([], [{ ip: '1.2.3.4' }]), intent: { ingress: [] }, want: { type: 'strategic', body: { status: { loadBalancer: { ingress: null } } } } },
    {
      name: 'remove finalizer and clear status in one patch',
      service: svc([FIN], [{ ip: '1.2.3.4' }]),
      intent: { finalizer: false, ingress: [] },
      want: { type: 'strategic', body: { metadata: { '$deleteFromPrimitiveList/finalizers': [FIN] }, status: { loadBalancer: { ingress: null } } } },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(servicePatch(c.service, c.intent), c.want));
});

describe('loadBalancerIngressEqual', () => {
  const cases: { name: string; a: LoadBalancerIngress[] | undefined; b: LoadBalancerIngress[] | undefined; want: boolean }[] = [
    { name: 'absent equals empty', a: undefined, b: [], want: true },
    { name: 'same IP', a: [{ ip: '1.1.1.1' }], b: [{ ip: '1.1.1.1' }], want: true },
    { name: 'different IP', a: [{ ip: '1.1.1.1' }], b: [{ ip: '1.1.1.2' }], want: false },
    { name: 'hostname counts', a: [{ hostname: 'a' }], b: [{ hostname: 'b' }], want: false },
    { name: 'ipMode counts', a: [{ ip: '1.1.1.1' }], b: [{ ip: '1.1.1.1', ipMode: 'Proxy' }], want: false },
    { name: 'ipMode VIP differs from Proxy', a: [{ ip: '1.1.1.1', ipMode: 'VIP' }], b: [{ ip: '1.1.1.1', ipMode: 'Proxy' }], want: false },
    { name: 'ports count', a: [{ ip: '1.1.1.1', ports: [{ port: 80, protocol: 'TCP' }] }], b: [{ ip: '1.1.1.1' }], want: false },
    { name: 'a port error counts', a: [{ ip: '1.1.1.1', ports: [{ port: 80, protocol: 'TCP' }] }], b: [{ ip: '1.1.1.1', ports: [{ port: 80, protocol: 'TCP', error: 'x' }] }], want: false },
    { name: 'empty ports equal absent ports', a: [{ ip: '1.1.1.1', ports: [] }], b: [{ ip: '1.1.1.1' }], want: true },
    { name: 'order counts', a: [{ ip: '1.1.1.1' }, { ip: '2.2.2.2' }], b: [{ ip: '2.2.2.2' }, { ip: '1.1.1.1' }], want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(loadBalancerIngressEqual(c.a, c.b), c.want));
});

describe('copyIngress', () => {
  it('copies ip, hostname, ipMode and ports and invents nothing', () => {
    const from = [{ ip: '1.1.1.1', ipMode: 'Proxy' as const, ports: [{ port: 80, protocol: 'TCP', error: 'e' }] }, { hostname: 'lb.example' }];
    const copy = copyIngress(from);
    assert.deepEqual(copy, from);
    assert.notEqual(copy[0]?.ports, from[0]?.ports, 'a copy, not the provider\'s array');
  });
});
