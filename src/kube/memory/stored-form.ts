/**
 * Bringing a value the simulated API server (a test double) owns into its stored form without
 * copying it again: objects it built itself (a patch engine's result, an update's candidate) are
 * changed in place, and subtrees it shares with the stored object are deep-frozen already.
 *
 * Invariant these rely on: every frozen object reachable from a value the server owns came from
 * the store, where everything is deep-frozen (request bodies are copied on decode, so a caller's
 * frozen objects never get in).
 *
 * @module
 */
import { cloneJson, isJsonObject } from '../json-value.js';
import type { JsonObject } from '../json-value.js';
import { builderFor } from './compact-object.js';

/**
 * Drops `null` (and `undefined`) object members at any depth of a value the server built itself,
 * in place, as `cloneJson(value, { omitNullMembers: true })` would in a copy (array items stay;
 * an `undefined` one becomes `null`). A frozen subtree is copied only if it holds such a member.
 * Returns the value (a new one only when `value` itself had to be copied).
 */
export function omitNullMembersInPlace(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Object.isFrozen(value)) return hasNullMember(value) ? cloneJson(value, { omitNullMembers: true }) : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      value[i] = item === undefined ? null : omitNullMembersInPlace(item);
    }
    return value;
  }
  const obj = value as JsonObject;
  for (const key of Object.keys(obj)) {
    const member = obj[key];
    if (member === null || member === undefined) delete obj[key];
    else if (typeof member === 'object') {
      const normalised = omitNullMembersInPlace(member);
      if (normalised !== member) obj[key] = normalised;
    }
  }
  return obj;
}

function hasNullMember(value: object): boolean {
  if (Array.isArray(value)) return (value as unknown[]).some((item) => item === undefined || (typeof item === 'object' && item !== null && hasNullMember(item)));
  for (const member of Object.values(value) as unknown[]) {
    if (member === null || member === undefined) return true;
    if (typeof member === 'object' && hasNullMember(member)) return true;
  }
  return false;
}

/**
 * The stored form of a value the server built: deep-frozen, stopping at subtrees that are frozen
 * already (shared with the store, so deep-frozen: see the module invariant) instead of walking
 * them again, and with each object it freezes rebuilt with its members inside it where its shape
 * is a common one ({@link builderFor}). Equal to `value` member for member, keys in the same
 * order; returns the new top object when that one was rebuilt.
 */
export function toStoredForm<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) items[i] = toStoredForm(items[i]);
    return Object.freeze(value);
  }
  const obj = value as JsonObject;
  const keys = Object.keys(obj);
  const values = new Array<unknown>(keys.length);
  for (let i = 0; i < keys.length; i++) values[i] = toStoredForm(obj[keys[i] as string]);
  const build = builderFor(keys);
  if (build !== undefined) return Object.freeze(build(values)) as T;
  for (let i = 0; i < keys.length; i++) obj[keys[i] as string] = values[i];
  return Object.freeze(value);
}

/**
 * `obj[key]` as a private object whose own members may be set: a frozen (shared) one is replaced
 * by a shallow copy, its members still shared and frozen. For writes that only set or replace
 * members (the server stamping `metadata.resourceVersion` on a patched object), so labels,
 * annotations and owner references are not copied with every write.
 */
export function writableTop(obj: JsonObject, key: string): JsonObject | undefined {
  const member = obj[key];
  if (!isJsonObject(member)) return undefined;
  if (!Object.isFrozen(member)) return member;
  // A spread defines members (an own `__proto__` stays a member; an assignment would set the prototype).
  const copy: JsonObject = { ...member };
  obj[key] = copy;
  return copy;
}

/**
 * `obj[key]` as a private, unfrozen object to write to: a frozen (shared) one is replaced by a
 * copy first. For defaults that must change a subtree the object may share with the store.
 */
export function writableMember(obj: JsonObject, key: string): JsonObject | undefined {
  const member = obj[key];
  if (!isJsonObject(member)) return undefined;
  if (!Object.isFrozen(member)) return member;
  const copy = cloneJson(member);
  obj[key] = copy;
  return copy;
}

/**
 * Drops the members that are empty lists, as kube-apiserver's encoding does for every `omitempty`
 * slice (a Node whose last taint is removed is stored without `spec.taints`, not with `[]`), in
 * place, at any depth of what the server built itself; frozen subtrees came from the store and
 * are in this form already. Every list of the kinds it applies to is `omitempty` (see
 * {@link omitEmptyListsOf}).
 */
function omitEmptyListsInPlace(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) omitEmptyListsInPlace(item);
    return;
  }
  const obj = value as JsonObject;
  for (const key of Object.keys(obj)) {
    const member = obj[key];
    if (Array.isArray(member) && member.length === 0) delete obj[key];
    else omitEmptyListsInPlace(member);
  }
}

/**
 * Puts an object of `group` into that form: all of a core (`v1`) object — every list field of the
 * core kinds the simulated API serves is `omitempty` — and the metadata of any other (ObjectMeta's
 * lists are; some of other groups' are not, e.g. a Role's `rules`).
 */
export function omitEmptyListsOf(group: string, obj: JsonObject): void {
  omitEmptyListsInPlace(group === '' ? obj : obj['metadata']);
}
