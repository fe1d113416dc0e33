import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_MAPS, EVENTS_V1, ROLE_BINDINGS } from '../served-kinds.js';
import { EVENTS, NODES, SERVICES } from '../../resources.js';
import type { JsonObject } from '../../json-value.js';
import { parseIncludeObject, tableColumns, toTable, wantsTable } from './table.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const created = { creationTimestamp: '2026-01-01T00:59:30Z' };

function rows(type: Parameters<typeof toTable>[0], objects: JsonObject[]): unknown[][] {
  const table = toTable(type, objects, { now: NOW, includeObject: 'None' });
  return (table['rows'] as Array<{ cells: unknown[] }>).map((r) => r.cells);
}

describe('Table answers with kube-apiserver printer columns', () => {
  it('services: TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S), AGE and the wide SELECTOR', () => {
    assert.deepEqual(
      tableColumns(SERVICES).map((c) => [c.name, c.priority]),
      [['Name', 0], ['Type', 0], ['Cluster-IP', 0], ['External-IP', 0], ['Port(s)', 0], ['Age', 0], ['Selector', 1]],
    );
    const lb = (status: JsonObject, extra: JsonObject = {}): JsonObject => ({
      metadata: { name: 'web', ...created },
      spec: { type: 'LoadBalancer', clusterIPs: ['10.96.0.10'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }], selector: { b: '2', a: '1' }, ...extra },
      status,
    });
    assert.deepEqual(rows(SERVICES, [lb({ loadBalancer: {} })]), [['web', 'LoadBalancer', '10.96.0.10', '<pending>', '80:30080/TCP,53/UDP', '30s', 'a=1,b=2']]);
    assert.deepEqual(rows(SERVICES, [lb({ loadBalancer: { ingress: [{ ip: '192.0.2.1' }, { hostname: 'lb.example' }] } }, { externalIPs: ['198.51.100.1'] })])[0]?.[3], '192.0.2.1,lb.example,198.51.100.1');
    assert.deepEqual(rows(SERVICES, [{ metadata: { name: 'n' }, spec: { type: 'ClusterIP' } }]), [['n', 'ClusterIP', '<none>', '<none>', '<none>', '<unknown>', '<none>']]);
    assert.equal(rows(SERVICES, [{ metadata: { name: 'x' }, spec: { type: 'ExternalName', externalName: 'db.example' } }])[0]?.[3], 'db.example');
  });

  it('nodes: STATUS from the Ready condition and unschedulable, ROLES from node-role labels, wide addresses and system info', () => {
    const node = (conditions: JsonObject[], spec: JsonObject = {}): JsonObject => ({
      metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/': '', 'kubernetes.io/role': 'edge' }, ...created },
      spec,
      status: { conditions, addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '10.0.0.1' }], nodeInfo: { kubeletVersion: 'v1.35.0', osImage: 'Linux' } },
    });
    assert.deepEqual(rows(NODES, [node([{ type: 'Ready', status: 'True' }])]), [['n1', 'Ready', 'control-plane,edge', '30s', 'v1.35.0', '10.0.0.1', '<none>', 'Linux', '<unknown>', '<unknown>']]);
    assert.equal(rows(NODES, [node([{ type: 'Ready', status: 'Unknown' }], { unschedulable: true })])[0]?.[1], 'NotReady,SchedulingDisabled');
    assert.equal(rows(NODES, [node([])])[0]?.[1], 'Unknown');
    // As kube-apiserver 1.37's printer: the architecture follows the kernel version, known or not.
    const withArch = (nodeInfo: JsonObject): JsonObject => ({ ...node([]), status: { nodeInfo } });
    assert.equal(rows(NODES, [withArch({ kernelVersion: '6.8.0', architecture: 'amd64' })])[0]?.[8], '6.8.0 (amd64)');
    assert.equal(rows(NODES, [withArch({ architecture: 'arm64' })])[0]?.[8], '<unknown> (arm64)');
  });

  it('events of both APIs: LAST SEEN, TYPE, REASON, OBJECT, MESSAGE and the wide ones; count defaults to 1', () => {
    assert.deepEqual(
      tableColumns(EVENTS).map((c) => c.name),
      ['Last Seen', 'Type', 'Reason', 'Object', 'Subobject', 'Source', 'Message', 'First Seen', 'Count', 'Name'],
    );
    const core = {
      metadata: { name: 'web.1' },
      involvedObject: { kind: 'Service', name: 'web' },
      reason: 'EnsuredLoadBalancer',
      message: ' Ensured load balancer ',
      type: 'Normal',
      firstTimestamp: '2026-01-01T00:50:00Z',
      source: { component: 'service-controller' },
    };
    assert.deepEqual(rows(EVENTS, [core]), [['10m', 'Normal', 'EnsuredLoadBalancer', 'service/web', '', 'service-controller', 'Ensured load balancer', '10m', 1, 'web.1']]);
    const v1 = { metadata: { name: 'e' }, regarding: { kind: 'Node' }, note: 'n', reason: 'R', type: 'Warning', eventTime: '2026-01-01T00:59:00.000000Z', reportingController: 'c', reportingInstance: 'i', series: { count: 4, lastObservedTime: '2026-01-01T00:59:50.000000Z' } };
    assert.deepEqual(rows(EVENTS_V1, [v1]), [['10s', 'Warning', 'R', 'node', '', 'c, i', 'n', '60s', 4, 'e']]);
  });

  it('other kinds: DATA counts of ConfigMaps, ROLE and subjects of bindings', () => {
    assert.deepEqual(rows(CONFIG_MAPS, [{ metadata: { name: 'c', ...created }, data: { a: '1' }, binaryData: { b: '' } }]), [['c', 2, '30s']]);
    const binding = { metadata: { name: 'b', ...created }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'u' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'ns' }] };
    assert.deepEqual(rows(ROLE_BINDINGS, [binding]), [['b', 'Role/r', '30s', 'u', '', 'ns/sa']]);
  });

  it('includeObject: Metadata (default) carries PartialObjectMetadata, Object the object, None nothing', () => {
    const svc = { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP' } };
    const row = (include: 'None' | 'Metadata' | 'Object'): unknown => (toTable(SERVICES, [svc], { now: NOW, includeObject: include })['rows'] as JsonObject[])[0]?.['object'];
    assert.deepEqual(row('Metadata'), { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: svc.metadata });
    assert.deepEqual(row('Object'), svc);
    assert.equal(row('None'), undefined);
    assert.equal(parseIncludeObject(null), 'Metadata');
    assert.equal(parseIncludeObject('Everything'), undefined);
  });

  it('recognises the Accept header kubectl sends', () => {
    assert.ok(wantsTable('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json'));
    assert.ok(!wantsTable('application/json'));
  });
});
