/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), the patch flavour kubectl and
 * client-go controllers send for built-in kinds. Behaviour follows apimachinery's
 * `strategicpatch` package as kube-apiserver runs it (parallel deletion lists merged, unmatched
 * nulls ignored), including its element-ordering rules; where the Go code leaves directives or
 * nulls in a value it copies verbatim (keys absent from the target), this engine applies them to
 * an empty value instead, which is what decoding into the typed object ends up meaning.
 *
 * @module
 */
import { PatchError } from './patch-error.js';
import { cloneJson, getOwn, isDeepFrozen, isJsonObject, jsonEqual, jsonTypeOf, setOwn } from '../json-value.js';
import type { JsonObject } from '../json-value.js';

/** How a list field is patched; lists the schema does not name are atomic. */
export type ListStrategy =
  /** A list of maps merged element by element, matched on `mergeKey` (`patchStrategy:"merge"`). */
  | { readonly kind: 'merge'; readonly mergeKey: string }
  /** A list of primitives merged as a union (`patchStrategy:"merge"`, `+listType=set`). */
  | { readonly kind: 'set' }
  /** A list replaced wholesale by the patch (the default, `+listType=atomic`). */
  | { readonly kind: 'atomic' };

/**
 * The patch metadata of one kind: the strategy of each list field, keyed by field path — map keys
 * joined by `.`, a list's elements written `[]` (`spec.ports`, `status.loadBalancer.ingress[].ports`).
 * Naming an atomic list is optional but lets a patch giving a non-list there be rejected even when
 * the object lacks the field.
 */
export interface PatchSchema {
  readonly lists: ReadonlyMap<string, ListStrategy>;
}

const ATOMIC: ListStrategy = { kind: 'atomic' };
const SET: ListStrategy = { kind: 'set' };

function mergeBy(mergeKey: string): ListStrategy {
  return { kind: 'merge', mergeKey };
}

/** meta/v1 ObjectMeta, shared by every kind (tags from apimachinery's `types.go`). */
const OBJECT_META: ReadonlyArray<readonly [string, ListStrategy]> = [
  ['metadata.finalizers', SET],
  ['metadata.ownerReferences', mergeBy('uid')],
  ['metadata.managedFields', ATOMIC],
];

function schemaOf(entries: ReadonlyArray<readonly [string, ListStrategy]>): PatchSchema {
  return Object.freeze({ lists: new Map([...OBJECT_META, ...entries]) });
}

// Strategies as declared by the struct tags in k8s.io/api core/v1 `types.go`.
const NODE_SCHEMA = schemaOf([
  ['spec.podCIDRs', SET],
  // `+listType=atomic` without a patchStrategy: a taint patch replaces the whole list.
  ['spec.taints', ATOMIC],
  ['status.conditions', mergeBy('type')],
  // Merged by type, so clients that want to drop stale addresses send `$patch: replace`.
  ['status.addresses', mergeBy('type')],
  ['status.images', ATOMIC],
  ['status.images[].names', ATOMIC],
  ['status.volumesInUse', ATOMIC],
  // `+listType=atomic` upstream (no patchStrategy tag), so not merged by name.
  ['status.volumesAttached', ATOMIC],
  ['status.runtimeHandlers', ATOMIC],
  ['status.declaredFeatures', ATOMIC],
]);

const SERVICE_SCHEMA = schemaOf([
  // SMP matches ports on `port` alone (the protocol is a second key only for server-side apply).
  ['spec.ports', mergeBy('port')],
  ['spec.clusterIPs', ATOMIC],
  ['spec.externalIPs', ATOMIC],
  ['spec.loadBalancerSourceRanges', ATOMIC],
  ['spec.ipFamilies', ATOMIC],
  ['status.conditions', mergeBy('type')],
  ['status.loadBalancer.ingress', ATOMIC],
  ['status.loadBalancer.ingress[].ports', ATOMIC],
]);

// Events and Leases have no list fields of their own.
const METADATA_ONLY_SCHEMA = schemaOf([]);

/**
 * The strategic-merge-patch schema of a built-in kind: core/v1 Node, Service and Event, and
 * coordination.k8s.io/v1 Lease. `undefined` for any other kind, which a real apiserver answers
 * with 415 UnsupportedMediaType (strategic merge patch is not supported for custom resources).
 */
export function strategicSchemaFor(group: string, kind: string): PatchSchema | undefined {
  if (group === '') {
    if (kind === 'Node') return NODE_SCHEMA;
    if (kind === 'Service') return SERVICE_SCHEMA;
    if (kind === 'Event') return METADATA_ONLY_SCHEMA;
  }
  if (group === 'coordination.k8s.io' && kind === 'Lease') return METADATA_ONLY_SCHEMA;
  return undefined;
}

/**
 * Applies a strategic merge patch to `target` using the list strategies of `schema`. Never
 * mutates `target` or `patch`.
 *
 * Semantics (apimachinery's): `null` deletes a map key; maps merge recursively; `$patch: replace`
 * in a map replaces it and `$patch: delete` removes it; in a list merged by key, patch elements
 * merge into the element with the same key or are added, `{<key>: x, $patch: delete}` removes that
 * element and a `{$patch: replace}` element makes the other elements the whole list; set lists
 * take the union; other lists are replaced. `$deleteFromPrimitiveList/<f>` removes values from a
 * set list, `$setElementOrder/<f>` fixes the order of a merged list, `$retainKeys` drops every
 * other key of its map.
 *
 * Throws {@link PatchError} `bad-request` for a malformed patch (not an object, unknown `$`
 * directive, malformed directive value) and `invalid` when it does not fit the object (a list
 * patched with a non-list, a merged element without its merge key), naming the field.
 *
 * @example
 * applyStrategicMergePatch(node, { status: { conditions: [{ type: 'Ready', status: 'True' }] } },
 *   strategicSchemaFor('', 'Node')!);
 */
export function applyStrategicMergePatch(target: unknown, patch: unknown, schema: PatchSchema): unknown {
  if (!isJsonObject(patch)) {
    throw new PatchError('bad-request', `a strategic merge patch must be a JSON object, got ${jsonTypeOf(patch)}`);
  }
  if (!isJsonObject(target)) {
    throw new PatchError('invalid', `the object to patch must be a JSON object, got ${jsonTypeOf(target)}`);
  }
  // Work on private copies: the merge below edits them in place, as the Go code edits its maps.
  const merger = new StrategicMerger(schema);
  const result = merger.mergeObject(copyForMerge(target, patch), cloneJson(patch), ROOT);
  // As upstream, `$patch: delete` at the top leaves an empty object.
  return result === DELETE ? {} : result;
}

/**
 * A copy of `target` the merge may edit: what the patch names is copied, and a deep-frozen member
 * it does not name is shared as it is — the merge never reaches it, and nobody can change it. The
 * same holds at every depth where the patch holds a map for a map: a status patch of conditions
 * copies the status object and the conditions, and shares the addresses, node info and capacity
 * (the simulated API server's stored objects are frozen, and every write of one made a copy of
 * all of what it touched). A directive may touch any member of its map: that map is copied whole.
 */
function copyForMerge(target: JsonObject, patch: JsonObject): JsonObject {
  if (Object.hasOwn(patch, PATCH_DIRECTIVE) || Object.hasOwn(patch, RETAIN_KEYS)) return cloneJson(target);
  const named = new Set<string>();
  for (const key of Object.keys(patch)) {
    if (key.startsWith(SET_ELEMENT_ORDER)) named.add(key.slice(SET_ELEMENT_ORDER.length));
    else if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) named.add(key.slice(DELETE_FROM_PRIMITIVE_LIST.length));
    else named.add(key);
  }
  const copy: JsonObject = {};
  for (const key of Object.keys(target)) {
    const member = target[key];
    if (member === undefined) continue;
    let kept: unknown;
    if (!named.has(key)) kept = typeof member === 'object' && member !== null && isDeepFrozen(member) ? member : cloneJson(member);
    else {
      const patched = patch[key];
      // A map patched with a map: the merge goes no further than that patch names. (A list's
      // directives name lists, never maps.)
      kept = isJsonObject(member) && isJsonObject(patched) ? copyForMerge(member, patched) : cloneJson(member);
    }
    setOwn(copy, key, kept);
  }
  return copy;
}

/** Marks a map removed by `$patch: delete`. */
const DELETE = Symbol('delete');

const PATCH_DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** A position in the document: the schema path (`a.b[].c`) and the reported field (`a.b[2].c`). */
interface Path {
  readonly schema: string;
  readonly field: string;
}

const ROOT: Path = { schema: '', field: '' };

function childPath(path: Path, key: string): Path {
  return path.schema === '' && path.field === ''
    ? { schema: key, field: key }
    : { schema: `${path.schema}.${key}`, field: `${path.field}.${key}` };
}

function elementPath(path: Path, index: number): Path {
  return { schema: `${path.schema}[]`, field: `${path.field}[${index}]` };
}

/** The directives found in one patch map, validated. */
interface Directives {
  readonly patch: 'replace' | 'delete' | undefined;
  readonly retainKeys: readonly string[] | undefined;
  readonly elementOrder: ReadonlyMap<string, readonly unknown[]>;
  readonly deleteFromList: ReadonlyMap<string, readonly unknown[]>;
}

type Primitive = string | number | boolean;

function isPrimitive(value: unknown): value is Primitive {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function badRequest(message: string, path?: Path): PatchError {
  return new PatchError('bad-request', message, path === undefined || path.field === '' ? undefined : path.field);
}

function invalid(message: string, path: Path): PatchError {
  return new PatchError('invalid', path.field === '' ? message : `${path.field}: ${message}`, path.field || undefined);
}

function directiveField(key: string, prefix: string, path: Path): string {
  const field = key.slice(prefix.length);
  if (field === '' || field.includes('/')) throw badRequest(`malformed directive "${key}"`, path);
  return field;
}

function readDirectives(patch: JsonObject, path: Path): Directives {
  let patchDirective: Directives['patch'];
  let retainKeys: string[] | undefined;
  const elementOrder = new Map<string, readonly unknown[]>();
  const deleteFromList = new Map<string, readonly unknown[]>();
  for (const key of Object.keys(patch)) {
    if (!key.startsWith('$')) continue;
    const value = patch[key];
    if (key === PATCH_DIRECTIVE) {
      if (value !== 'replace' && value !== 'delete') {
        throw badRequest(`unknown patch type ${JSON.stringify(value)} in map (want "replace" or "delete")`, path);
      }
      patchDirective = value;
    } else if (key === RETAIN_KEYS) {
      if (!Array.isArray(value) || !value.every((k) => typeof k === 'string')) {
        throw badRequest(`${RETAIN_KEYS} must be a list of field names`, path);
      }
      retainKeys = value;
    } else if (key.startsWith(SET_ELEMENT_ORDER)) {
      const field = directiveField(key, SET_ELEMENT_ORDER, path);
      if (!Array.isArray(value)) throw badRequest(`${key} must be a list`, childPath(path, field));
      elementOrder.set(field, value);
    } else if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = directiveField(key, DELETE_FROM_PRIMITIVE_LIST, path);
      if (!Array.isArray(value) || !value.every(isPrimitive)) {
        throw badRequest(`${key} must be a list of primitive values`, childPath(path, field));
      }
      deleteFromList.set(field, value);
    } else {
      throw badRequest(`unknown strategic merge patch directive "${key}"`, path);
    }
  }
  return { patch: patchDirective, retainKeys, elementOrder, deleteFromList };
}

/**
 * Keys order `items` by as upstream's `normalizeElementOrder`: items named in `patchOrder` follow
 * that order, the others keep their order in `serverOrder`, and the two runs are interleaved by
 * their positions in `serverOrder` (an item `serverOrder` does not know goes first — which is
 * why upstream places new list elements ahead of existing ones when no `$setElementOrder` says
 * otherwise).
 */
function orderMerged(
  items: readonly unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  keyOf: (item: unknown) => unknown,
): unknown[] {
  const indexIn = (list: readonly unknown[], item: unknown): number => {
    const key = keyOf(item);
    return list.findIndex((other) => jsonEqual(keyOf(other), key));
  };
  const fromPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const item of items) (indexIn(patchOrder, item) >= 0 ? fromPatch : serverOnly).push(item);
  const rank = (list: readonly unknown[], item: unknown): number => {
    const i = indexIn(list, item);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  fromPatch.sort((a, b) => rank(patchOrder, a) - rank(patchOrder, b));
  serverOnly.sort((a, b) => rank(serverOrder, a) - rank(serverOrder, b));

  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < fromPatch.length) {
    if (i >= serverOnly.length) {
      out.push(fromPatch[j++]);
    } else if (j >= fromPatch.length) {
      out.push(serverOnly[i++]);
    } else {
      const left = indexIn(serverOrder, serverOnly[i]);
      const right = indexIn(serverOrder, fromPatch[j]);
      // Only when both positions are known does the server-only item go first.
      if (left >= 0 && right >= 0 && left < right) out.push(serverOnly[i++]);
      else out.push(fromPatch[j++]);
    }
  }
  return out;
}

/** Whether the keys of `items` appear in `order` in the same relative order (a subsequence). */
function followsOrder(items: readonly unknown[], order: readonly unknown[], keyOf: (item: unknown) => unknown): boolean {
  let at = 0;
  for (const item of items) {
    const key = keyOf(item);
    while (at < order.length && !jsonEqual(keyOf(order[at]), key)) at++;
    if (at >= order.length) return false;
    at++;
  }
  return true;
}

function hasDirectiveMarker(value: unknown): value is JsonObject {
  return isJsonObject(value) && Object.hasOwn(value, PATCH_DIRECTIVE);
}

/** The merge engine for one schema. Operates on private copies and edits them in place. */
class StrategicMerger {
  readonly #schema: PatchSchema;

  constructor(schema: PatchSchema) {
    this.#schema = schema;
  }

  #strategy(path: Path): ListStrategy | undefined {
    return this.#schema.lists.get(path.schema);
  }

  /** Merges `patch` into `original` (absent: an empty map); `DELETE` for `$patch: delete`. */
  mergeObject(original: JsonObject | undefined, patch: JsonObject, path: Path): JsonObject | typeof DELETE {
    const directives = readDirectives(patch, path);
    if (directives.patch === 'delete') return DELETE;
    // `$patch: replace`: the map becomes the patch's other members, applied to nothing.
    const result: JsonObject = directives.patch === 'replace' || original === undefined ? {} : original;

    if (directives.retainKeys !== undefined) this.#retainKeys(result, patch, directives.retainKeys, path);

    const handled = new Set<string>();
    for (const [field, order] of directives.elementOrder) {
      if (this.#applyElementOrder(result, patch, field, order, path)) handled.add(field);
    }

    for (const key of Object.keys(patch)) {
      if (key.startsWith('$') || handled.has(key)) continue;
      const value = patch[key];
      const path2 = childPath(path, key);
      if (value === null) {
        delete result[key];
        continue;
      }
      const next = Object.hasOwn(result, key) ? this.#mergeValue(result[key], value, path2) : this.#materialize(value, path2);
      if (next === DELETE) delete result[key];
      else setOwn(result, key, next);
    }

    // Parallel deletion lists run after the merge of their field, as apiserver-side merging of
    // both lists yields the same set either way.
    for (const [field, values] of directives.deleteFromList) {
      if (!Object.hasOwn(result, field)) continue;
      const list = result[field];
      if (!Array.isArray(list)) {
        throw invalid(`${DELETE_FROM_PRIMITIVE_LIST}${field} applies to a list, found ${jsonTypeOf(list)}`, childPath(path, field));
      }
      setOwn(result, field, list.filter((item) => !values.some((v) => v === item)));
    }
    return result;
  }

  #retainKeys(result: JsonObject, patch: JsonObject, retainKeys: readonly string[], path: Path): void {
    const retain = new Set(retainKeys);
    for (const key of Object.keys(patch)) {
      if (key.startsWith('$') || patch[key] === null) continue;
      // As upstream: every field the patch sets must be one of the retained keys.
      if (!retain.has(key)) throw badRequest(`field "${key}" is set by the patch but missing from ${RETAIN_KEYS}`, path);
    }
    for (const key of Object.keys(result)) if (!retain.has(key)) delete result[key];
  }

  /** Applies `$setElementOrder/<field>`; false when the field is left to the regular merge. */
  #applyElementOrder(result: JsonObject, patch: JsonObject, field: string, order: readonly unknown[], path: Path): boolean {
    const fieldPath = childPath(path, field);
    const strategy = this.#strategy(fieldPath) ?? ATOMIC;
    const mergeKey = strategy.kind === 'merge' ? strategy.mergeKey : undefined;
    order.forEach((item, i) => {
      const ok = mergeKey === undefined ? isPrimitive(item) : isJsonObject(item) && Object.hasOwn(item, mergeKey);
      if (!ok) {
        const want = mergeKey === undefined ? 'a primitive value' : `a map with merge key "${mergeKey}"`;
        throw badRequest(`${SET_ELEMENT_ORDER}${field}[${i}] must be ${want}`, fieldPath);
      }
    });
    const keyOf = mergeKey === undefined ? (item: unknown): unknown => item : (item: unknown): unknown => (isJsonObject(item) ? getOwn(item, mergeKey) : undefined);

    const patchValue = getOwn(patch, field);
    if (patchValue === null) return false; // the field is deleted; there is nothing to order
    const hasOriginal = Object.hasOwn(result, field);
    const original = result[field];
    if (hasOriginal && !Array.isArray(original)) {
      throw invalid(`${SET_ELEMENT_ORDER}${field} applies to a list, found ${jsonTypeOf(original)}`, fieldPath);
    }
    if (patchValue !== undefined && !Array.isArray(patchValue)) {
      throw invalid(`expected a list, got ${jsonTypeOf(patchValue)}`, fieldPath);
    }
    if (patchValue !== undefined) {
      const listed = patchValue.filter((item) => !hasDirectiveMarker(item));
      if (!followsOrder(listed, order, keyOf)) {
        throw badRequest(`the order of ${field} in the patch does not match ${SET_ELEMENT_ORDER}${field}`, fieldPath);
      }
    }

    let merged: unknown[];
    if (hasOriginal && patchValue !== undefined) merged = this.#mergeList(original as unknown[], patchValue, fieldPath);
    else if (hasOriginal) merged = original as unknown[];
    else if (patchValue !== undefined) merged = this.#newList(patchValue, fieldPath);
    else return true;
    setOwn(result, field, orderMerged(merged, order, hasOriginal ? (original as unknown[]) : [], keyOf));
    return true;
  }

  /** Merges a present, non-null patch value into a present original value. */
  #mergeValue(original: unknown, value: unknown, path: Path): unknown {
    if (Array.isArray(value)) {
      if (Array.isArray(original)) return this.#mergeList(original, value, path);
      throw invalid(`cannot patch a ${jsonTypeOf(original)} with a list`, path);
    }
    if (this.#strategy(path) !== undefined || Array.isArray(original)) {
      throw invalid(`expected a list, got ${jsonTypeOf(value)}`, path);
    }
    if (isJsonObject(value)) {
      if (isJsonObject(original)) return this.mergeObject(original, value, path);
      throw invalid(`cannot patch a ${jsonTypeOf(original)} with a map`, path);
    }
    if (isJsonObject(original)) throw invalid(`cannot patch a map with a ${jsonTypeOf(value)}`, path);
    return value;
  }

  /** The value a patch member gives a key the original lacks: directives applied, nulls dropped. */
  #materialize(value: unknown, path: Path): unknown {
    if (Array.isArray(value)) return this.#newList(value, path);
    if (this.#strategy(path) !== undefined) throw invalid(`expected a list, got ${jsonTypeOf(value)}`, path);
    if (isJsonObject(value)) return this.mergeObject(undefined, value, path);
    return value;
  }

  /** A list for a field the original lacks. */
  #newList(value: readonly unknown[], path: Path): unknown[] {
    const strategy = this.#strategy(path) ?? ATOMIC;
    // Upstream takes a new set list verbatim (no de-duplication), so only its elements are checked.
    if (strategy.kind === 'set') return this.#checkSet(value, path);
    return this.#mergeList([], value, path);
  }

  #mergeList(original: unknown[], patch: readonly unknown[], path: Path): unknown[] {
    const strategy = this.#strategy(path) ?? ATOMIC;
    switch (strategy.kind) {
      case 'atomic':
        return this.#atomicList(patch, path);
      case 'set': {
        this.#checkSet(original, path);
        this.#checkSet(patch, path);
        if (original.length === 0 && patch.length === 0) return original;
        const union: unknown[] = [];
        for (const item of [...original, ...patch]) if (!union.includes(item)) union.push(item);
        return orderMerged(union, patch, original, (item) => item);
      }
      case 'merge':
        return this.#mergeKeyedList(original, patch, strategy.mergeKey, path);
    }
  }

  #checkSet(list: readonly unknown[], path: Path): unknown[] {
    list.forEach((item, i) => {
      if (!isPrimitive(item)) {
        throw invalid(`a set list holds strings, numbers or booleans, got ${jsonTypeOf(item)}`, elementPath(path, i));
      }
    });
    return [...list];
  }

  /** The patch list as the new value, its elements' directives applied. */
  #atomicList(patch: readonly unknown[], path: Path): unknown[] {
    const out: unknown[] = [];
    patch.forEach((item, i) => {
      const itemPath = elementPath(path, i);
      if (hasDirectiveMarker(item)) {
        // Upstream drops directive elements from a list it does not merge.
        const directive = item[PATCH_DIRECTIVE];
        if (directive !== 'replace' && directive !== 'delete') {
          throw badRequest(`unknown patch type ${JSON.stringify(directive)} in list`, itemPath);
        }
        return;
      }
      out.push(item === null ? null : this.#materialize(item, itemPath));
    });
    return out;
  }

  #mergeKeyedList(original: unknown[], patch: readonly unknown[], mergeKey: string, path: Path): unknown[] {
    const keyOf = (item: unknown): unknown => (isJsonObject(item) ? getOwn(item, mergeKey) : undefined);
    original.forEach((item, i) => {
      if (!isJsonObject(item)) throw invalid(`list element is a ${jsonTypeOf(item)}, not a map`, elementPath(path, i));
    });
    const requireKey = (item: JsonObject, itemPath: Path): void => {
      if (!Object.hasOwn(item, mergeKey)) throw invalid(`map does not contain declared merge key "${mergeKey}"`, itemPath);
    };

    let base = [...original];
    let replaceAll = false;
    const regular: Array<{ item: JsonObject; path: Path }> = [];
    patch.forEach((item, i) => {
      const itemPath = elementPath(path, i);
      if (!isJsonObject(item)) {
        throw invalid(`expected a map in a list merged by "${mergeKey}", got ${jsonTypeOf(item)}`, itemPath);
      }
      if (!Object.hasOwn(item, PATCH_DIRECTIVE)) {
        regular.push({ item, path: itemPath });
        return;
      }
      const directive = item[PATCH_DIRECTIVE];
      if (directive === 'delete') {
        requireKey(item, itemPath);
        const key = item[mergeKey];
        base = base.filter((existing) => !jsonEqual(keyOf(existing), key));
      } else if (directive === 'replace') {
        // Keep scanning: the other directive elements are still validated and dropped.
        replaceAll = true;
      } else if (directive === 'merge') {
        throw badRequest('merging lists cannot yet be specified in the patch', itemPath);
      } else {
        throw badRequest(`unknown patch type ${JSON.stringify(directive)} in list`, itemPath);
      }
    });

    if (replaceAll) {
      return regular.map(({ item, path: itemPath }) => {
        requireKey(item, itemPath);
        return this.mergeObject(undefined, item, itemPath);
      });
    }

    const serverOrder = [...base];
    for (const { item, path: itemPath } of regular) {
      requireKey(item, itemPath);
      const key = item[mergeKey];
      const at = base.findIndex((existing) => jsonEqual(keyOf(existing), key));
      if (at >= 0) base[at] = this.mergeObject(base[at] as JsonObject, item, itemPath);
      else base.push(this.mergeObject(undefined, item, itemPath));
    }
    return orderMerged(
      base,
      regular.map(({ item }) => item),
      serverOrder,
      keyOf,
    );
  }
}
