/**
 * OpenAPI v3 documents of the simulated API's HTTP face (a test double and sandbox), so that
 * `kubectl apply` validates (kubectl looks for the `fieldValidation` parameter on the PATCH
 * operation of the kind) and `kubectl explain service.spec` works.
 *
 * Source of the schemas: the model metadata of `@kubernetes/client-node` (a runtime dependency
 * already), generated from kube-apiserver's own OpenAPI for the version it targets: each model's
 * `attributeTypeMap` gives the fields, JSON types and formats, and the model's shipped declaration
 * file (`dist/gen/models/<Model>.d.ts`) its descriptions and which fields are required. Built
 * lazily on first request, then cached. The schema names are kube-apiserver's
 * (`io.k8s.api.core.v1.ServiceSpec`), derived from the model names and the kind's API group.
 * test/e2e/kubectl-fidelity.test.ts compares the result with what the real test cluster serves.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as models from '@kubernetes/client-node';
import type { JsonObject } from '../../json-value.js';
import { apiVersionOf } from '../../resources.js';
import type { ResourceType } from '../../resources.js';

/** One entry of a client-node model's `attributeTypeMap`. */
interface Attribute {
  readonly name: string;
  readonly baseName: string;
  readonly type: string;
  readonly format: string;
}

interface ModelClass {
  readonly attributeTypeMap: readonly Attribute[];
}

function modelClass(name: string): ModelClass | undefined {
  const value = (models as unknown as Record<string, unknown>)[name];
  if (typeof value !== 'function') return undefined;
  const map = (value as unknown as { attributeTypeMap?: unknown }).attributeTypeMap;
  return Array.isArray(map) ? (value as unknown as ModelClass) : undefined;
}

/** The client-node model and Go package of every kind served. */
const ROOT_MODELS: Readonly<Record<string, { readonly model: string; readonly pkg: string }>> = {
  '/v1/Node': { model: 'V1Node', pkg: 'io.k8s.api.core.v1' },
  '/v1/Service': { model: 'V1Service', pkg: 'io.k8s.api.core.v1' },
  '/v1/Event': { model: 'CoreV1Event', pkg: 'io.k8s.api.core.v1' },
  '/v1/Namespace': { model: 'V1Namespace', pkg: 'io.k8s.api.core.v1' },
  '/v1/ConfigMap': { model: 'V1ConfigMap', pkg: 'io.k8s.api.core.v1' },
  '/v1/Secret': { model: 'V1Secret', pkg: 'io.k8s.api.core.v1' },
  '/v1/ServiceAccount': { model: 'V1ServiceAccount', pkg: 'io.k8s.api.core.v1' },
  '/v1/Endpoints': { model: 'V1Endpoints', pkg: 'io.k8s.api.core.v1' },
  'coordination.k8s.io/v1/Lease': { model: 'V1Lease', pkg: 'io.k8s.api.coordination.v1' },
  'discovery.k8s.io/v1/EndpointSlice': { model: 'V1EndpointSlice', pkg: 'io.k8s.api.discovery.v1' },
  'events.k8s.io/v1/Event': { model: 'EventsV1Event', pkg: 'io.k8s.api.events.v1' },
  'rbac.authorization.k8s.io/v1/Role': { model: 'V1Role', pkg: 'io.k8s.api.rbac.v1' },
  'rbac.authorization.k8s.io/v1/ClusterRole': { model: 'V1ClusterRole', pkg: 'io.k8s.api.rbac.v1' },
  'rbac.authorization.k8s.io/v1/RoleBinding': { model: 'V1RoleBinding', pkg: 'io.k8s.api.rbac.v1' },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { model: 'V1ClusterRoleBinding', pkg: 'io.k8s.api.rbac.v1' },
};

/** Models that live in apimachinery's meta/v1 package whatever kind refers to them. */
const META_MODELS = new Set(['V1MicroTime', 'V1ObjectMeta', 'V1ManagedFieldsEntry', 'V1OwnerReference', 'V1ListMeta', 'V1Condition', 'V1LabelSelector', 'V1LabelSelectorRequirement']);
const META_PKG = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** `io.k8s.api.core.v1.ServiceSpec` from `V1ServiceSpec` referred to by a kind of package `pkg`. */
function schemaName(model: string, pkg: string): string {
  const bare = model.replace(/^(?:[A-Z][a-z]+)*V\d+(?:(?:alpha|beta)\d+)?/, '');
  return `${META_MODELS.has(model) ? META_PKG : pkg}.${bare}`;
}

/** Descriptions and required fields of a model, read from its shipped declaration file. */
interface ModelDocs {
  readonly description: string;
  readonly fields: ReadonlyMap<string, string>;
  readonly required: readonly string[];
}

let modelsDir: string | undefined | null = null;

function docsOf(model: string): ModelDocs {
  if (modelsDir === null) {
    try {
      modelsDir = join(dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')), 'gen', 'models');
    } catch {
      modelsDir = undefined;
    }
  }
  let textOf: string;
  try {
    textOf = modelsDir === undefined ? '' : readFileSync(join(modelsDir, `${model}.d.ts`), 'utf8');
  } catch {
    textOf = '';
  }
  const unescape = (s: string): string =>
    s
      .split('\n')
      .map((l) => l.replace(/^\s*\*\s?/, ''))
      .join(' ')
      .replace(/\\(['"])/g, '$1')
      .trim();
  const classDoc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export declare class/.exec(textOf);
  const fields = new Map<string, string>();
  const required: string[] = [];
  const fieldRe = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*'([^']+)'(\?)?:/g;
  for (let m = fieldRe.exec(textOf); m !== null; m = fieldRe.exec(textOf)) {
    fields.set(m[2] as string, unescape(m[1] as string));
    if (m[3] === undefined) required.push(m[2] as string);
  }
  const undocumented = /^\s*'([^']+)'(\?)?:/gm;
  for (let m = undocumented.exec(textOf); m !== null; m = undocumented.exec(textOf)) {
    if (m[2] === undefined && !required.includes(m[1] as string)) required.push(m[1] as string);
  }
  return { description: classDoc === null ? '' : unescape(classDoc[1] as string), fields, required };
}

/** Builds component schemas reachable from one root model. */
class SchemaBuilder {
  readonly schemas: Record<string, JsonObject> = {};

  /** Adds `model` (and what it refers to); returns its schema name. */
  add(model: string, pkg: string): string {
    const name = schemaName(model, pkg);
    if (this.schemas[name] !== undefined) return name;
    const cls = modelClass(model);
    const docs = docsOf(model);
    const schema: JsonObject = { type: 'object' };
    this.schemas[name] = schema;
    if (docs.description !== '') schema['description'] = docs.description;
    if (cls === undefined) return name;
    const properties: Record<string, JsonObject> = {};
    for (const attr of cls.attributeTypeMap) {
      const prop = this.#typeSchema(attr.type, attr.format, pkg);
      const description = docs.fields.get(attr.name);
      properties[attr.baseName] = description === undefined || description === '' ? prop : withDescription(prop, description);
    }
    schema['properties'] = properties;
    const required = docs.required.filter((r) => cls.attributeTypeMap.some((a) => a.name === r)).map((r) => cls.attributeTypeMap.find((a) => a.name === r)?.baseName ?? r);
    if (required.length > 0) schema['required'] = required;
    return name;
  }

  #typeSchema(type: string, format: string, pkg: string): JsonObject {
    const array = /^Array<(.+)>$/.exec(type);
    if (array !== null) return { type: 'array', items: this.#typeSchema(array[1] as string, '', pkg) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map !== null) return { type: 'object', additionalProperties: this.#typeSchema(map[1] as string, '', pkg) };
    switch (type) {
      case 'string':
        return format === '' || format === 'byte' ? { type: 'string', ...(format === 'byte' ? { format } : {}) } : { type: 'string', format };
      case 'number':
        return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', ...(format === '' ? {} : { format }) };
      case 'boolean':
        return { type: 'boolean' };
      case 'Date':
        return { type: 'string', format: 'date-time' };
      case 'IntOrString':
        return { 'x-kubernetes-int-or-string': true };
      case 'any':
      case 'object':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      default:
        return { $ref: `#/components/schemas/${this.add(type, pkg)}` };
    }
  }
}

/** As kube-apiserver's OpenAPI: a described reference becomes `allOf: [{$ref}]` beside the description. */
function withDescription(prop: JsonObject, description: string): JsonObject {
  if (typeof prop['$ref'] === 'string') return { description, default: {}, allOf: [prop] };
  return { description, ...prop };
}

const WRITE_PARAMS = [
  { name: 'dryRun', in: 'query', description: 'When present (All), the change is validated and not persisted.', schema: { type: 'string', uniqueItems: true } },
  { name: 'fieldManager', in: 'query', description: 'Name of the actor making the change.', schema: { type: 'string', uniqueItems: true } },
  {
    name: 'fieldValidation',
    in: 'query',
    description: 'How unknown fields in the request are handled: Ignore, Warn (default) or Strict (refused).',
    schema: { type: 'string', uniqueItems: true },
  },
];

function operation(action: string, gvk: JsonObject, ref: string | undefined, params: readonly JsonObject[] = []): JsonObject {
  return {
    description: `${action} ${String(gvk['kind'])}`,
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(ref === undefined ? {} : { responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } } } }),
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
  };
}

/** The OpenAPI v3 path key of a group version (`api/v1`, `apis/coordination.k8s.io/v1`). */
export function openApiPathOf(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? `api/${type.version}` : `apis/${type.group}/${type.version}`;
}

const cache = new Map<string, JsonObject>();

/** The OpenAPI v3 document of one group version (`api/v1`, `apis/<group>/<version>`), or undefined. */
export function openApiDocument(types: readonly ResourceType[], path: string): JsonObject | undefined {
  const served = types.filter((t) => openApiPathOf(t) === path && ROOT_MODELS[`${t.group}/${t.version}/${t.kind}`] !== undefined);
  if (served.length === 0) return undefined;
  const key = `${path}|${served.map((t) => t.resource).join(',')}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const builder = new SchemaBuilder();
  const paths: Record<string, JsonObject> = {};
  for (const t of served) {
    const root = ROOT_MODELS[`${t.group}/${t.version}/${t.kind}`] as { model: string; pkg: string };
    const name = builder.add(root.model, root.pkg);
    const gvk = { group: t.group, version: t.version, kind: t.kind };
    const schema = builder.schemas[name] as JsonObject;
    schema['x-kubernetes-group-version-kind'] = [gvk];
    const ref = `#/components/schemas/${name}`;
    const prefix = `/${path}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}`;
    paths[prefix] = {
      get: operation('list', gvk, undefined),
      post: operation('post', gvk, ref, WRITE_PARAMS),
      delete: operation('deletecollection', gvk, undefined),
    };
    paths[`${prefix}/{name}`] = {
      get: operation('get', gvk, ref),
      put: operation('put', gvk, ref, WRITE_PARAMS),
      patch: operation('patch', gvk, ref, WRITE_PARAMS),
      delete: operation('delete', gvk, undefined, WRITE_PARAMS.slice(0, 1)),
    };
    if (t.hasStatus) {
      paths[`${prefix}/{name}/status`] = { get: operation('get', gvk, ref), put: operation('put', gvk, ref, WRITE_PARAMS), patch: operation('patch', gvk, ref, WRITE_PARAMS) };
    }
  }
  const doc: JsonObject = {
    openapi: '3.0.0',
    info: { title: 'Outrigger simulated API server', version: apiVersionOf(served[0] as ResourceType) },
    paths,
    components: { schemas: builder.schemas },
  };
  cache.set(key, doc);
  return doc;
}

/** The `/openapi/v3` index: one entry per group version with a document. */
export function openApiIndex(types: readonly ResourceType[]): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const t of types) {
    const path = openApiPathOf(t);
    if (paths[path] === undefined && ROOT_MODELS[`${t.group}/${t.version}/${t.kind}`] !== undefined) {
      // The hash only has to change when the document does: ours is fixed per set of kinds.
      const kinds = types.filter((x) => openApiPathOf(x) === path).map((x) => x.kind);
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(kinds.join(','))}` };
    }
  }
  return { paths };
}

function hashOf(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).toUpperCase().padStart(8, '0');
}

/** The component schema of a kind (for field validation), or undefined when none is known. */
export function schemaOfKind(types: readonly ResourceType[], type: ResourceType): { readonly schemas: Readonly<Record<string, JsonObject>>; readonly root: string } | undefined {
  const root = ROOT_MODELS[`${type.group}/${type.version}/${type.kind}`];
  if (root === undefined) return undefined;
  const doc = openApiDocument(types, openApiPathOf(type));
  const schemas = (doc?.['components'] as { schemas?: Record<string, JsonObject> } | undefined)?.schemas;
  return schemas === undefined ? undefined : { schemas, root: schemaName(root.model, root.pkg) };
}
