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
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : normalise(item)));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined || member === null || typeof member === 'function') continue;
      out[key] = normalise(member);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
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
