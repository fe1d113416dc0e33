/**
 * Plain-JSON helpers for the simulated API server: objects are stored and compared exactly as they
 * would travel on the wire, so copies go through JSON rules (undefined dropped, nulls in objects
 * dropped as Go's decoder-then-omitempty round trip would) and equality is structural.
 *
 * @module
 */

/** A JSON object (the decoded body of a Kubernetes object). */
export type JsonObject = Record<string, unknown>;

/** True for a non-null, non-array object. */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A deep copy following JSON semantics: `undefined` members vanish and `null` object members are
 * dropped, as a real apiserver would after decoding into Go structs and encoding again.
 */
export function cloneJson<T>(value: T): T {
  return normalise(value) as T;
}

function normalise(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = item === undefined ? null : normalise(item);
    }
    return out;
  }
  const source = value as JsonObject;
  const out: JsonObject = {};
  for (const key of Object.keys(source)) {
    const member = source[key];
    if (member === undefined || member === null || typeof member === 'function') continue;
    out[key] = normalise(member);
  }
  return out;
}

/**
 * Deep-freezes a plain JSON value in place and returns it. Frozen subtrees are taken as already
 * deep-frozen (everything this module freezes is).
 */
export function deepFreezeJson<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (Array.isArray(value)) for (const item of value as unknown[]) deepFreezeJson(item);
    else for (const key of Object.keys(value)) deepFreezeJson((value as JsonObject)[key]);
  }
  return value;
}

/** Structural equality of two JSON values (object member order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a)) {
    if (!isJsonObject(b)) return false;
    const aKeys = Object.keys(a);
    if (aKeys.length !== Object.keys(b).length) return false;
    return aKeys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
  }
  return false;
}
