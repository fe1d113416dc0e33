/**
 * Small helpers over parsed JSON values shared by the patch engines. Object members are read and
 * written as own data properties only, so a key such as `__proto__` in untrusted input is plain
 * data and can never reach a prototype.
 *
 * @module
 */

/** A JSON object as parsed from the wire. */
export type JsonObject = Record<string, unknown>;

/** Whether `value` is a JSON object (not null, not an array). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The own member `key` of `obj`, or `undefined` when it has none. */
export function getOwn(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets the own data member `key` of `obj` (never invokes a setter such as `__proto__`). */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  // Only `__proto__` is an accessor on the way up from a plain object; any other key assigned is
  // an own data property, and assignment is much faster than defineProperty.
  if (key === '__proto__') Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/** A deep copy of a JSON value; non-JSON leaves are copied by reference. */
export function cloneJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneJson(value[i]);
    return copy;
  }
  const source = value as JsonObject;
  const copy: JsonObject = {};
  for (const key of Object.keys(source)) setOwn(copy, key, cloneJson(source[key]));
  return copy;
}

/** JSON equality: arrays by position, objects by member set regardless of order, leaves by `===`. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}

/** A short description of a JSON value's type for error messages. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (isJsonObject(value)) return 'map';
  return typeof value;
}
