import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BUILTIN_RESOURCES, NAMESPACES, SERVICE_ACCOUNTS, SERVICES } from '../../resources.js';
import { EXTRA_STORED_RESOURCES } from '../served-kinds.js';
import type { JsonObject } from '../../json-value.js';
import { parseFieldValidation, unknownFieldMessages, unknownFields } from './field-validation.js';
import { openApiDocument, openApiIndex, schemaOfKind } from './openapi.js';

const TYPES = [...BUILTIN_RESOURCES, SERVICE_ACCOUNTS, NAMESPACES, ...EXTRA_STORED_RESOURCES];

describe('OpenAPI v3 from client-node models', () => {
  it('indexes a document per group version and names schemas as kube-apiserver does', () => {
    const index = openApiIndex(TYPES)['paths'] as Record<string, { serverRelativeURL: string }>;
    assert.deepEqual(Object.keys(index).sort(), ['api/v1', 'apis/coordination.k8s.io/v1', 'apis/discovery.k8s.io/v1', 'apis/events.k8s.io/v1', 'apis/rbac.authorization.k8s.io/v1']);
    assert.match(index['api/v1']?.serverRelativeURL ?? '', /^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]+$/);
    const doc = openApiDocument(TYPES, 'api/v1') as { components: { schemas: Record<string, JsonObject> }; paths: Record<string, Record<string, JsonObject>> };
    const service = doc.components.schemas['io.k8s.api.core.v1.Service'];
    assert.deepEqual(service?.['x-kubernetes-group-version-kind'], [{ group: '', version: 'v1', kind: 'Service' }]);
    const port = doc.components.schemas['io.k8s.api.core.v1.ServicePort'] as { required?: string[]; properties: Record<string, JsonObject> };
    assert.deepEqual(port.required, ['port']);
    assert.deepEqual(port.properties['nodePort']?.['type'], 'integer');
    assert.match(String(port.properties['nodePort']?.['description']), /The port on each node/);
    assert.ok(doc.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'] !== undefined);
  });

  it('declares fieldValidation on the PATCH of each kind, which kubectl checks before validating server-side', () => {
    const doc = openApiDocument(TYPES, 'api/v1') as { paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; 'x-kubernetes-group-version-kind'?: unknown }>> };
    const patch = doc.paths['/api/v1/namespaces/{namespace}/services/{name}']?.['patch'];
    assert.deepEqual(patch?.['x-kubernetes-group-version-kind'], { group: '', version: 'v1', kind: 'Service' });
    assert.ok(patch?.parameters?.some((p) => p.name === 'fieldValidation'));
    assert.ok(doc.paths['/api/v1/nodes/{name}/status'] !== undefined);
  });
});

describe('field validation', () => {
  const schema = schemaOfKind(TYPES, SERVICES);
  assert.ok(schema !== undefined);

  it('finds unknown fields with their paths, in kube-apiserver’s words', () => {
    const body = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'x', foo: 1, labels: { any: 'thing' } }, spec: { ports: [{ port: 80, bar: 2, targetPort: 'http' }], foo: 1, selector: { a: 'b' } } };
    const found = unknownFields(schema.schemas, schema.root, body);
    assert.deepEqual(found, ['metadata.foo', 'spec.ports[0].bar', 'spec.foo']);
    assert.deepEqual(unknownFieldMessages(found.slice(0, 1)), ['unknown field "metadata.foo"']);
  });

  it('skips strategic-merge directives and maps of anything', () => {
    const patch = { spec: { $setElementOrder: 1, '$setElementOrder/ports': [{ port: 80 }], ports: [{ port: 80, $patch: 'delete' }] }, metadata: { annotations: { a: 'b' } } };
    assert.deepEqual(unknownFields(schema.schemas, schema.root, patch), []);
  });

  it('reads the directive: unset is Warn, a bad value is refused', () => {
    assert.equal(parseFieldValidation(null), 'Warn');
    assert.equal(parseFieldValidation('Strict'), 'Strict');
    assert.equal(parseFieldValidation('strict'), undefined);
  });
});
