/**
 * JSON merge patch (RFC 7386, `application/merge-patch+json`), as kube-apiserver applies it.
 *
 * @module
 */
import { cloneJson, getOwn, isJsonObject, setOwn } from '../json-value.js';
import type { JsonObject } from '../json-value.js';

/**
 * Applies an RFC 7386 merge patch: a `null` member deletes, object members merge recursively,
 * anything else (arrays included) replaces. Never mutates `target` or `patch`; the result shares
 * no structure with either.
 *
 * @example
 * applyMergePatch({ a: 1, b: { c: 2 } }, { a: null, b: { d: 3 } }); // { b: { c: 2, d: 3 } }
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return cloneJson(patch);
  // As the RFC: a non-object target is treated as an empty object before merging.
  const result: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  mergeInto(result, patch);
  return result;
}

/** Merges `patch` into `result`, which is already a private copy. */
function mergeInto(result: JsonObject, patch: JsonObject): void {
  for (const key of Object.keys(patch)) {
    const value = patch[key];
    if (value === null) {
      delete result[key];
    } else if (isJsonObject(value)) {
      const current = getOwn(result, key);
      const base: JsonObject = isJsonObject(current) ? current : {};
      mergeInto(base, value);
      setOwn(result, key, base);
    } else {
      setOwn(result, key, cloneJson(value));
    }
  }
}
