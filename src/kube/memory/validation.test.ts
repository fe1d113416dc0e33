import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nameProblems, validateObject, validateUpdate } from './validation.js';
import type { JsonObject } from '../json-value.js';

interface Case {
  readonly name: string;
  readonly group?: string;
  readonly kind: string;
  readonly obj: JsonObject;
  /** Expected `[reason, field]` pairs of validation errors (in order). */
  readonly errors?: ReadonlyArray<readonly [string, string]>;
  /** Expected fields of type errors. */
  readonly typeErrors?: readonly string[];
}

const node = (extra: JsonObject): JsonObject => ({ metadata: { name: 'n1' }, ...extra });
const svc = (spec: JsonObject, status?: JsonObject): JsonObject => ({
  metadata: { name: 'web', namespace: 'default' },
  // A port unless the case gives its own: kube-apiserver requires one for most Services.
  spec: { ports: [{ port: 80 }], ...spec },
  ...(status === undefined ? {} : { status }),
});

const cases: Case[] = [
  { name: 'accepts a minimal node', kind: 'Node', obj: node({}) },
  { name: 'requires a name or generateName', kind: 'Node', obj: { metadata: {} }, errors: [['FieldValueRequired', 'metadata.name']] },
  { name: 'accepts generateName without a name', kind: 'Node', obj: { metadata: { generateName: 'node-' } } },
  { name: 'rejects an invalid generateName prefix', kind: 'Node', obj: { metadata: { generateName: 'Node-' } }, errors: [['FieldValueInvalid', 'metadata.generateName']] },
  { name: 'node names are DNS-1123 subdomains (dots allowed)', kind: 'Node', obj: { metadata: { name: 'ip-10-0-0-1.ec2.internal' } } },
  { name: 'rejects upper-case node names', kind: 'Node', obj: { metadata: { name: 'Node1' } }, errors: [['FieldValueInvalid', 'metadata.name']] },
  { name: 'service names are DNS-1035 labels (no dots)', kind: 'Service', obj: { metadata: { name: 'a.b', namespace: 'default' }, spec: { ports: [{ port: 80 }] } }, errors: [['FieldValueInvalid', 'metadata.name']] },
  { name: 'service names must start with a letter', kind: 'Service', obj: { metadata: { name: '1web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } }, errors: [['FieldValueInvalid', 'metadata.name']] },
  { name: 'rejects an invalid namespace', kind: 'Service', obj: { metadata: { name: 'web', namespace: 'Default' }, spec: { ports: [{ port: 80 }] } }, errors: [['FieldValueInvalid', 'metadata.namespace']] },
  {
    name: 'rejects invalid label keys and values',
    kind: 'Node',
    obj: { metadata: { name: 'n1', labels: { 'bad key': 'v', ok: 'bad value!' } } },
    errors: [
      ['FieldValueInvalid', 'metadata.labels'],
      ['FieldValueInvalid', 'metadata.labels'],
    ],
  },
  { name: 'accepts prefixed label keys and empty values', kind: 'Node', obj: { metadata: { name: 'n1', labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': '' } } } },
  { name: 'rejects invalid annotation keys', kind: 'Node', obj: { metadata: { name: 'n1', annotations: { '/x': 'v' } } }, errors: [['FieldValueInvalid', 'metadata.annotations']] },
  { name: 'rejects invalid finalizer names', kind: 'Service', obj: { metadata: { name: 'web', namespace: 'd', finalizers: ['a/b/c'] }, spec: { ports: [{ port: 80 }] } }, errors: [['FieldValueInvalid', 'metadata.finalizers[0]']] },
  {
    name: 'taints need a key and a supported effect',
    kind: 'Node',
    obj: node({ spec: { taints: [{ effect: 'NoSchedule' }, { key: 'k', effect: 'Sometimes' }, { key: 'k2' }] } }),
    errors: [
      ['FieldValueRequired', 'spec.taints[0].key'],
      ['FieldValueNotSupported', 'spec.taints[1].effect'],
      ['FieldValueRequired', 'spec.taints[2].effect'],
    ],
  },
  {
    name: 'taints must be unique by key and effect',
    kind: 'Node',
    obj: node({ spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', effect: 'NoExecute' }, { key: 'k', value: 'x', effect: 'NoSchedule' }] } }),
    errors: [['FieldValueDuplicate', 'spec.taints[2]']],
  },
  {
    name: 'node addresses need type and address',
    kind: 'Node',
    obj: node({ status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }, { address: '10.0.0.2' }, { type: 'Hostname' }] } }),
    errors: [
      ['FieldValueRequired', 'status.addresses[1].type'],
      ['FieldValueRequired', 'status.addresses[2].address'],
    ],
  },
  {
    name: 'node conditions need type and status',
    kind: 'Node',
    obj: node({ status: { conditions: [{ type: 'Ready' }, { status: 'True' }] } }),
    errors: [
      ['FieldValueRequired', 'status.conditions[0].status'],
      ['FieldValueRequired', 'status.conditions[1].type'],
    ],
  },
  { name: 'rejects an invalid podCIDR', kind: 'Node', obj: node({ spec: { podCIDR: '10.0.0.0/33' } }), errors: [['FieldValueInvalid', 'spec.podCIDR']] },
  { name: 'accepts IPv6 podCIDRs', kind: 'Node', obj: node({ spec: { podCIDRs: ['10.244.1.0/24', 'fd00::/64'] } }) },
  { name: 'a Service needs a port (kube-apiserver ValidateService)', kind: 'Service', obj: svc({ type: 'LoadBalancer', ports: [] }), errors: [['FieldValueRequired', 'spec.ports']] },
  { name: 'a headless Service may have no port', kind: 'Service', obj: svc({ clusterIP: 'None', ports: [] }), errors: [] },
  { name: 'an ExternalName Service may have no port', kind: 'Service', obj: svc({ type: 'ExternalName', externalName: 'db.example.com', ports: [] }), errors: [] },
  { name: 'rejects an unknown service type', kind: 'Service', obj: svc({ type: 'Magic' }), errors: [['FieldValueNotSupported', 'spec.type']] },
  {
    name: 'service ports need a port in 1-65535 and a supported protocol',
    kind: 'Service',
    obj: svc({ ports: [{ port: 0 }, { port: 70000 }, { port: 80, protocol: 'ICMP' }, { protocol: 'TCP' }] }),
    errors: [
      ['FieldValueInvalid', 'spec.ports[0].port'],
      ['FieldValueInvalid', 'spec.ports[1].port'],
      ['FieldValueNotSupported', 'spec.ports[2].protocol'],
      ['FieldValueRequired', 'spec.ports[3].port'],
    ],
  },
  {
    name: 'a target port is a port number or an IANA service name (validateServicePort)',
    kind: 'Service',
    obj: svc({ ports: [{ port: 80, targetPort: 70000 }, { port: 81, targetPort: 'Web--Port' }, { port: 82, targetPort: 'http' }, { port: 83, targetPort: 8080 }, { port: 84, targetPort: 'a-very-long-port-name' }] }),
    errors: [
      ['FieldValueInvalid', 'spec.ports[0].targetPort'],
      ['FieldValueInvalid', 'spec.ports[1].targetPort'],
      ['FieldValueInvalid', 'spec.ports[1].targetPort'],
      ['FieldValueInvalid', 'spec.ports[4].targetPort'],
    ],
  },
  {
    name: 'load-balancer ingress needs a valid IP and ipMode only with an IP',
    kind: 'Service',
    obj: svc({ type: 'LoadBalancer' }, { loadBalancer: { ingress: [{ ip: '300.1.1.1' }, { hostname: 'lb.example.com', ipMode: 'VIP' }, { ip: '1.2.3.4', ipMode: 'Tunnel' }] } }),
    errors: [
      ['FieldValueInvalid', 'status.loadBalancer.ingress[0].ip'],
      ['FieldValueForbidden', 'status.loadBalancer.ingress[1].ipMode'],
      ['FieldValueNotSupported', 'status.loadBalancer.ingress[2].ipMode'],
    ],
  },
  {
    name: 'service conditions are metav1 conditions',
    kind: 'Service',
    obj: svc({}, { conditions: [{ type: 'Ready', status: 'Maybe', reason: 'X', lastTransitionTime: '2026-01-01T00:00:00Z' }, { type: 'Ready', status: 'True' }] }),
    errors: [
      ['FieldValueNotSupported', 'status.conditions[0].status'],
      ['FieldValueRequired', 'status.conditions[1].reason'],
      ['FieldValueRequired', 'status.conditions[1].lastTransitionTime'],
    ],
  },
  {
    name: 'lease duration must be positive when set',
    group: 'coordination.k8s.io',
    kind: 'Lease',
    obj: { metadata: { name: 'l', namespace: 'kube-system' }, spec: { leaseDurationSeconds: 0 } },
    errors: [['FieldValueInvalid', 'spec.leaseDurationSeconds']],
  },
  {
    name: 'events are accepted as sent beyond metadata',
    kind: 'Event',
    obj: { metadata: { name: 'n1.17a', namespace: 'default' }, involvedObject: { kind: 'Node' }, type: 'Whatever', count: -1 },
  },
  {
    name: 'reports wrong JSON types as type errors',
    kind: 'Service',
    obj: { metadata: { name: 'web', namespace: 'd', labels: { a: 1 } }, spec: { type: 5, ports: [{ port: '80' }, 'x'] } },
    typeErrors: ['metadata.labels[a]', 'spec.type', 'spec.ports[1]', 'spec.ports[0].port'],
  },
  {
    name: 'reports non-object metadata and non-list taints as type errors',
    kind: 'Node',
    obj: { metadata: { name: 'n1', finalizers: 'x' }, spec: { taints: {} } },
    typeErrors: ['metadata.finalizers', 'spec.taints'],
  },
  {
    name: 'reports a fractional integer as a type error',
    group: 'coordination.k8s.io',
    kind: 'Lease',
    obj: { metadata: { name: 'l', namespace: 'd' }, spec: { leaseDurationSeconds: 1.5 } },
    typeErrors: ['spec.leaseDurationSeconds'],
  },
];

describe('validateObject', () => {
  for (const c of cases) {
    it(c.name, () => {
      const result = validateObject(c.group ?? '', c.kind, c.obj);
      assert.deepEqual(
        result.errors.map((e) => [e.reason, e.field]),
        (c.errors ?? []).map(([r, f]) => [r, f]),
      );
      assert.deepEqual(
        result.typeErrors.map((e) => e.field),
        c.typeErrors ?? [],
      );
    });
  }

  it("mode 'types' finds exactly the type errors of a full validation, and no rule errors (property)", () => {
    // Plausible shapes with any JSON where a field is expected, so both kinds of error occur.
    const any = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('', 'a', 'UPPER', '10.0.0.0/8', '1.2.3.4', 'x/y', 'TCP', 'LoadBalancer'));
    const meta = fc.record({ name: any, namespace: any, labels: fc.oneof(any, fc.dictionary(fc.string(), any)), annotations: any, finalizers: fc.oneof(any, fc.array(any)) }, { requiredKeys: [] });
    const item = fc.dictionary(fc.constantFrom('key', 'value', 'effect', 'type', 'status', 'address', 'port', 'protocol', 'nodePort', 'ip', 'hostname', 'ipMode', 'reason'), any);
    const spec = fc.dictionary(fc.constantFrom('type', 'providerID', 'podCIDR', 'podCIDRs', 'taints', 'ports', 'leaseDurationSeconds', 'leaseTransitions'), fc.oneof(any, fc.array(item, { maxLength: 3 })));
    const status = fc.record({ addresses: fc.array(item, { maxLength: 2 }), conditions: fc.array(item, { maxLength: 2 }), loadBalancer: fc.record({ ingress: fc.array(item, { maxLength: 2 }) }) }, { requiredKeys: [] });
    const kinds = fc.constantFrom(['', 'Node'], ['', 'Service'], ['', 'Event'], ['coordination.k8s.io', 'Lease']);
    fc.assert(
      fc.property(kinds, fc.record({ metadata: meta, spec, status }, { requiredKeys: [] }), ([group, kind], obj) => {
        const full = validateObject(group, kind, obj);
        const types = validateObject(group, kind, obj, 'types');
        assert.deepEqual(types.typeErrors, full.typeErrors);
        assert.deepEqual(types.errors, []);
      }),
      { numRuns: 500 },
    );
  });

  it('walks no member an update keeps unchanged from the stored object (the same or an equal one: valid when stored), and every other one', () => {
    const stored: JsonObject = {
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.0.0.0/24', taints: [{ key: 'a', effect: 'NoSchedule' }] },
      status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
    };
    const next: JsonObject = { metadata: { name: 'n1', labels: { 'bad key!': 'v' } }, spec: stored['spec'], status: { addresses: [{ type: '' }] } };
    const fields = (r: { errors: readonly { field?: string }[] }): (string | undefined)[] => r.errors.map((e) => e.field);
    assert.deepEqual(fields(validateObject('', 'Node', next, 'full', stored)), fields(validateObject('', 'Node', next)));
    assert.deepEqual(fields(validateObject('', 'Node', next, 'full', stored)), ['metadata.labels', 'status.addresses[0].type', 'status.addresses[0].address']);
    // What "not walked" means: a kept member is taken as valid (it was, when stored).
    const keptInvalid: JsonObject = { metadata: { name: 'n1' }, spec: { taints: [{ key: '' }] } };
    assert.deepEqual(fields(validateObject('', 'Node', { ...keptInvalid }, 'full', keptInvalid)), []);
    // An equal copy (a client sending back what it read) counts as kept; any change is walked.
    assert.deepEqual(fields(validateObject('', 'Node', { ...keptInvalid, spec: { taints: [{ key: '' }] } }, 'full', keptInvalid)), []);
    assert.deepEqual(fields(validateObject('', 'Node', { ...keptInvalid, spec: { taints: [{ key: '', value: 'v' }] } }, 'full', keptInvalid)), ['spec.taints[0].key', 'spec.taints[0].effect']);
    assert.deepEqual(fields(validateObject('', 'Node', { ...keptInvalid, metadata: { name: 'n1', labels: { 'bad key!': 'v' } } }, 'full', keptInvalid)), ['metadata.labels']);
  });

  it('formats messages as apimachinery field errors', () => {
    const [err] = validateObject('', 'Service', svc({ type: 'Magic' })).errors;
    assert.equal(err?.message, 'Unsupported value: "Magic": supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"');
  });
});

describe('validateUpdate', () => {
  const base = { metadata: { name: 'n1', uid: 'u1' }, spec: {} };
  const table: Array<{ name: string; prev: JsonObject; next: JsonObject; fields: string[] }> = [
    { name: 'uid is immutable', prev: base, next: { metadata: { name: 'n1', uid: 'u2' } }, fields: ['metadata.uid'] },
    {
      name: 'no new finalizers once deletion started',
      prev: { metadata: { name: 'n1', uid: 'u1', deletionTimestamp: 't', finalizers: ['a/x'] } },
      next: { metadata: { name: 'n1', uid: 'u1', deletionTimestamp: 't', finalizers: ['a/x', 'b/y'] } },
      fields: ['metadata.finalizers'],
    },
    {
      name: 'finalizers may be removed once deletion started',
      prev: { metadata: { name: 'n1', uid: 'u1', deletionTimestamp: 't', finalizers: ['a/x', 'b/y'] } },
      next: { metadata: { name: 'n1', uid: 'u1', deletionTimestamp: 't', finalizers: ['b/y'] } },
      fields: [],
    },
    { name: 'providerID may go from unset to set', prev: base, next: { metadata: base.metadata, spec: { providerID: 'sim://1' } }, fields: [] },
    {
      name: 'providerID may not change once set',
      prev: { metadata: base.metadata, spec: { providerID: 'sim://1' } },
      next: { metadata: base.metadata, spec: { providerID: 'sim://2' } },
      fields: ['spec.providerID'],
    },
    {
      name: 'podCIDRs may not change once set',
      prev: { metadata: base.metadata, spec: { podCIDRs: ['10.0.0.0/24'] } },
      next: { metadata: base.metadata, spec: { podCIDRs: ['10.0.1.0/24'] } },
      fields: ['spec.podCIDRs'],
    },
  ];
  for (const c of table) {
    it(c.name, () => {
      assert.deepEqual(
        validateUpdate('', 'Node', c.next, c.prev).map((e) => e.field),
        c.fields,
      );
    });
  }

  it('names the new finalizers as upstream does', () => {
    const [err] = validateUpdate(
      '',
      'Service',
      { metadata: { uid: 'u', finalizers: ['x/y'] } },
      { metadata: { uid: 'u', deletionTimestamp: 't' } },
    );
    assert.match(err?.message ?? '', /no new finalizers can be added if the object is being deleted, found new finalizers \[\]string\{"x\/y"\}/);
  });
});

describe('nameProblems', () => {
  const table: Array<[string, Parameters<typeof nameProblems>[1], boolean]> = [
    ['web', 'dns1035-label', true],
    ['web-1', 'dns1035-label', true],
    ['1web', 'dns1035-label', false],
    ['1web', 'dns1123-label', true],
    ['a'.repeat(64), 'dns1123-label', false],
    ['a.b', 'dns1123-subdomain', true],
    ['a_b', 'dns1123-subdomain', false],
  ];
  for (const [name, rule, valid] of table) {
    it(`${rule}: ${name.length > 10 ? `${name.length} chars` : JSON.stringify(name)} is ${valid ? 'valid' : 'invalid'}`, () => {
      assert.equal(nameProblems(name, rule).length === 0, valid);
    });
  }
});
