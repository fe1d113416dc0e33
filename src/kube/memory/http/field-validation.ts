/**
 * Server-side field validation of the simulated API's HTTP face (`fieldValidation=Strict|Warn|
 * Ignore`, which kubectl sends on apply and create): unknown fields in a request are found by
 * walking it against the kind's OpenAPI schema ({@link schemaOfKind}) and reported in
 * kube-apiserver's words — `unknown field "spec.foo"`, refused 400 under Strict, a `Warning`
 * header under Warn (the default).
 *
 * @module
 */
import { isJsonObject } from '../../json-value.js';
import type { JsonObject } from '../../json-value.js';

/** The `fieldValidation` directive of a write. */
export type FieldValidation = 'Ignore' | 'Warn' | 'Strict';

/** Reads `fieldValidation`; unset is Warn (the apiserver's default since 1.23); undefined for a bad value. */
export function parseFieldValidation(value: string | null): FieldValidation | undefined {
  if (value === null || value === '') return 'Warn';
  return value === 'Ignore' || value === 'Warn' || value === 'Strict' ? value : undefined;
}

function resolve(schemas: Readonly<Record<string, JsonObject>>, schema: JsonObject): JsonObject {
  let current = schema;
  // References are chains of at most a couple of hops; bounded regardless.
  for (let i = 0; i < 8; i++) {
    const ref = typeof current['$ref'] === 'string' ? current['$ref'] : undefined;
    const allOf = Array.isArray(current['allOf']) ? current['allOf'] : undefined;
    const target = ref ?? (allOf !== undefined && isJsonObject(allOf[0]) && typeof allOf[0]['$ref'] === 'string' ? allOf[0]['$ref'] : undefined);
    if (target === undefined) return current;
    const next = schemas[target.replace('#/components/schemas/', '')];
    if (next === undefined) return {};
    current = next;
  }
  return current;
}

/**
 * The unknown fields of `value` under `schema`, as paths (`spec.ports[0].foo`). Keys starting
 * with `$` are patch directives (`$patch`, `$setElementOrder/ports`, `$retainKeys`) and skipped.
 */
export function unknownFields(schemas: Readonly<Record<string, JsonObject>>, root: string, value: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown, schemaRef: JsonObject, path: string): void => {
    const schema = resolve(schemas, schemaRef);
    if (schema['x-kubernetes-preserve-unknown-fields'] === true || schema['x-kubernetes-int-or-string'] === true) return;
    if (Array.isArray(v)) {
      const items = isJsonObject(schema['items']) ? schema['items'] : undefined;
      if (items !== undefined) v.forEach((item, i) => walk(item, items, `${path}[${i}]`));
      return;
    }
    if (!isJsonObject(v)) return;
    const properties = isJsonObject(schema['properties']) ? schema['properties'] : undefined;
    const additional = isJsonObject(schema['additionalProperties']) ? schema['additionalProperties'] : undefined;
    for (const [key, child] of Object.entries(v)) {
      if (key.startsWith('$')) continue;
      const childPath = path === '' ? key : `${path}.${key}`;
      const prop = properties?.[key];
      if (isJsonObject(prop)) walk(child, prop, childPath);
      else if (additional !== undefined) walk(child, additional, childPath);
      else if (properties !== undefined) out.push(childPath);
    }
  };
  walk(value, { $ref: `#/components/schemas/${root}` }, '');
  return out;
}

/** kube-apiserver's words for unknown fields (one string per field). */
export function unknownFieldMessages(fields: readonly string[]): string[] {
  return fields.map((f) => `unknown field ${JSON.stringify(f)}`);
}
