import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER } from '../../cloud/constants.js';
import { needsCleanup, needsUpdate, portEqualForLB, wantsLoadBalancer } from './service-predicates.js';

function svc(spec: Service['spec'] = {}, metadata: Service['metadata'] = {}): Service {
  return { metadata: { name: 's', namespace: 'default', uid: 'u1', ...metadata }, spec: { type: 'LoadBalancer', ...spec } };
}

const port: ServicePort = { name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, targetPort: 8080 };

describe('wantsLoadBalancer', () => {
  const cases: { name: string; service: Service; want: boolean }[] = [
    { name: 'service doesn\'t want LB', service: svc({ type: 'ClusterIP' }), want: false },
    { name: 'udp service that wants LB', service: svc({ ports: [{ port: 53, protocol: 'UDP' }] }), want: true },
    { name: 'tcp service that wants LB', service: svc({ ports: [port] }), want: true },
    { name: 'sctp service that wants LB', service: svc({ ports: [{ port: 9, protocol: 'SCTP' }] }), want: true },
    { name: 'service specifies loadBalancerClass', service: svc({ loadBalancerClass: 'example.com/lb' }), want: false },
    { name: 'an empty loadBalancerClass still means not ours', service: svc({ loadBalancerClass: '' }), want: false },
    { name: 'a Service without spec does not want one', service: { metadata: { name: 's' } }, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(wantsLoadBalancer(c.service), c.want));
});

describe('needsCleanup', () => {
  const fin = [LOAD_BALANCER_CLEANUP_FINALIZER];
  const cases: { name: string; service: Service; want: boolean }[] = [
    { name: 'service without finalizer', service: svc({ type: 'ClusterIP' }, { deletionTimestamp: '2026-01-01T00:00:00Z' }), want: false },
    { name: 'service with finalizer without timestamp without LB', service: svc({ type: 'NodePort' }, { finalizers: fin }), want: true },
    { name: 'service with finalizer without timestamp with LB', service: svc({}, { finalizers: fin }), want: false },
    { name: 'service with finalizer with timestamp', service: svc({}, { finalizers: fin, deletionTimestamp: '2026-01-01T00:00:00Z' }), want: true },
    { name: 'service with finalizer that only gained a loadBalancerClass keeps its LB', service: svc({ loadBalancerClass: 'x/y' }, { finalizers: fin }), want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(needsCleanup(c.service), c.want));
});

describe('needsUpdate', () => {
  const base = svc({ ports: [port], ipFamilies: ['IPv4'] }, { annotations: { a: '1' } });
  const cases: { name: string; old: Service; new: Service; want: boolean }[] = [
    { name: 'If the service type is changed from LoadBalancer to ClusterIP', old: base, new: svc({ type: 'ClusterIP', ports: [port] }), want: true },
    { name: 'neither version wants a load balancer', old: svc({ type: 'ClusterIP' }), new: svc({ type: 'NodePort', ports: [port] }), want: false },
    { name: 'If the Ports are different', old: base, new: { ...base, spec: { ...base.spec, ports: [{ ...port, port: 81 }] } }, want: true },
    { name: 'a port added', old: base, new: { ...base, spec: { ...base.spec, ports: [port, { port: 443 }] } }, want: true },
    { name: 'source ranges changed', old: base, new: { ...base, spec: { ...base.spec, loadBalancerSourceRanges: ['10.0.0.0/8'] } }, want: true },
    { name: 'absent and empty source ranges differ, as reflect.DeepEqual', old: base, new: { ...base, spec: { ...base.spec, loadBalancerSourceRanges: [] } }, want: true },
    { name: 'session affinity changed', old: base, new: { ...base, spec: { ...base.spec, sessionAffinity: 'ClientIP' } }, want: true },
    { name: 'session affinity config changed', old: base, new: { ...base, spec: { ...base.spec, sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } } } }, want: true },
    { name: 'loadBalancerIP changed', old: base, new: { ...base, spec: { ...base.spec, loadBalancerIP: '192.0.2.1' } }, want: true },
    { name: 'If external ip counts are different', old: { ...base, spec: { ...base.spec, externalIPs: ['1.1.1.1'] } }, new: { ...base, spec: { ...base.spec, externalIPs: ['1.1.1.1', '2.2.2.2'] } }, want: true },
    { name: 'If external ips are different', old: { ...base, spec: { ...base.spec, externalIPs: ['1.1.1.1'] } }, new: { ...base, spec: { ...base.spec, externalIPs: ['2.2.2.2'] } }, want: true },
    { name: 'an annotation changed', old: base, new: { ...base, metadata: { ...base.metadata, annotations: { a: '2' } } }, want: true },
    { name: 'If UID is different', old: base, new: { ...base, metadata: { ...base.metadata, uid: 'u2' } }, want: true },
    { name: 'If ExternalTrafficPolicy is different', old: base, new: { ...base, spec: { ...base.spec, externalTrafficPolicy: 'Local' } }, want: true },
    { name: 'If HealthCheckNodePort is different', old: base, new: { ...base, spec: { ...base.spec, healthCheckNodePort: 30000 } }, want: true },
    { name: 'If TargetGroup is different 1', old: base, new: { ...base, spec: { ...base.spec, ports: [{ ...port, targetPort: 20 }] } }, want: true },
    { name: 'If TargetGroup is different 2', old: base, new: { ...base, spec: { ...base.spec, ports: [{ ...port, targetPort: 'http' }] } }, want: true },
    { name: 'If appProtocol is the same', old: { ...base, spec: { ...base.spec, ports: [{ ...port, appProtocol: 'http' }] } }, new: { ...base, spec: { ...base.spec, ports: [{ ...port, appProtocol: 'http' }] } }, want: false },
    { name: 'If service IPFamilies from single stack to dual stack', old: base, new: { ...base, spec: { ...base.spec, ipFamilies: ['IPv4', 'IPv6'] } }, want: true },
    { name: 'If service IPFamilies from dual stack to single stack', old: { ...base, spec: { ...base.spec, ipFamilies: ['IPv4', 'IPv6'] } }, new: base, want: true },
    { name: 'If service IPFamilies not change', old: base, new: { ...base, spec: { ...base.spec, ipFamilies: ['IPv6'] } }, want: false },
    { name: 'If appProtocol is set when previously unset', old: base, new: { ...base, spec: { ...base.spec, ports: [{ ...port, appProtocol: 'http' }] } }, want: true },
    { name: 'If appProtocol is set to a different value', old: { ...base, spec: { ...base.spec, ports: [{ ...port, appProtocol: 'http' }] } }, new: { ...base, spec: { ...base.spec, ports: [{ ...port, appProtocol: 'tcp' }] } }, want: true },
    { name: 'labels, status, internalTrafficPolicy and ipFamilyPolicy do not count', old: base, new: { ...base, metadata: { ...base.metadata, labels: { x: 'y' } }, spec: { ...base.spec, internalTrafficPolicy: 'Local', ipFamilyPolicy: 'PreferDualStack', allocateLoadBalancerNodePorts: false }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } } }, want: false },
    { name: 'a resync (same object) is not an update', old: base, new: base, want: false },
    { name: 'gaining a loadBalancerClass flips wants', old: base, new: { ...base, spec: { ...base.spec, loadBalancerClass: 'x/y' } }, want: true },
  ];
  for (const c of cases) it(c.name, () => assert.equal(needsUpdate(c.old, c.new), c.want));
});

describe('portEqualForLB', () => {
  it('treats absent nodePort, name and protocol as Go zero values', () => {
    assert.equal(portEqualForLB({ port: 80 }, { port: 80, nodePort: 0, name: '', protocol: '' }), true);
  });
  it('tells an absent appProtocol from an empty one, as a Go pointer comparison', () => {
    assert.equal(portEqualForLB({ port: 80 }, { port: 80, appProtocol: '' }), false);
  });
  it('tells a numeric targetPort from a named one', () => {
    assert.equal(portEqualForLB({ port: 80, targetPort: 80 }, { port: 80, targetPort: '80' }), false);
  });
});
