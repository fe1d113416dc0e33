/**
 * Plain JSON values — Kubernetes objects as they travel on the wire — and the one way Outrigger
 * copies, freezes and compares them: the simulated API server, the patch engines, the informer
 * cache, the fake cloud and the simulator's reports all use these.
 *
 * Object members are read and written as own data properties only, so a key such as `__proto__`
 * in untrusted input is plain data and never reaches a prototype.
 *
 * @module
 */

/** A JSON object (the decoded body of a Kubernetes object). */
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

/** A short description of a JSON value's type for error messages (`map`, `list`, `null`, `string`, …). */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  if (isJsonObject(value)) return 'map';
  return typeof value;
}

/** Options of {@link cloneJson}. */
export interface CloneJsonOptions {
  /**
   * Also drop object members that are `null`, as kube-apiserver does when it decodes a body into
   * Go structs and encodes it again with `omitempty` (the simulated API server's stored form).
   * Array items stay `null`.
   */
  readonly omitNullMembers?: boolean;
  /**
   * Copy a frozen array met more than once only once and share that copy. For results nobody
   * writes to, such as reports: the fake cloud shares one frozen list of backend names between
   * every load balancer given the same node set, and 10,000 load balancers × 10,000 nodes must
   * not become 10⁸ strings.
   */
  readonly shareFrozenArrays?: boolean;
}

/**
 * What `JSON.parse(JSON.stringify(value))` returns, built directly and much faster: `undefined`,
 * functions and symbols vanish from objects and become `null` in arrays, non-finite numbers become
 * `null`, `toJSON` is honoured, a cycle throws JSON's own TypeError. The copy is never frozen and
 * shares nothing with `value`.
 *
 * @example
 * ```ts
 * const stored = cloneJson(body, { omitNullMembers: true }); // { a: null, b: undefined } → {}
 * ```
 */
export function cloneJson<T>(value: T, options: CloneJsonOptions = {}): T {
  const copier = new JsonCopier(options.omitNullMembers === true, options.shareFrozenArrays === true ? new Map() : undefined);
  try {
    return copier.copy(value) as T;
  } catch (err) {
    // The walk keeps no path (that would tax every copy): a cycle overflows the stack instead, and
    // JSON.stringify then names it as JSON does.
    if (err instanceof RangeError) JSON.stringify(value);
    throw err;
  }
}

class JsonCopier {
  readonly #omitNull: boolean;
  readonly #shared: Map<object, unknown[]> | undefined;

  constructor(omitNull: boolean, shared: Map<object, unknown[]> | undefined) {
    this.#omitNull = omitNull;
    this.#shared = shared;
  }

  copy(value: unknown): unknown {
    if (typeof value === 'number') return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    if (typeof value !== 'object' || value === null) return value;
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return this.copy(roundTrip(value));
    if (Array.isArray(value)) return this.#copyArray(value);
    const proto: unknown = Object.getPrototypeOf(value);
    // Class instances, boxed primitives, Maps: whatever JSON makes of them, then copied as such.
    if (proto !== Object.prototype && proto !== null) return this.copy(roundTrip(value));
    const source = value as JsonObject;
    const out: JsonObject = {};
    for (const key of Object.keys(source)) {
      const member = source[key];
      if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
      const copied = this.copy(member);
      if (copied === null && this.#omitNull) continue;
      setOwn(out, key, copied);
    }
    return out;
  }

  #copyArray(value: readonly unknown[]): unknown[] {
    const known = this.#shared?.get(value);
    if (known !== undefined) return known;
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : this.copy(item);
    }
    if (this.#shared !== undefined && Object.isFrozen(value)) this.#shared.set(value, out);
    return out;
  }
}

function roundTrip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/**
 * Freezes `value` and everything reachable from it, then returns it: in strict-mode code (every ES
 * module) a write to it throws a TypeError instead of passing silently. Objects someone froze only
 * shallowly are looked into too, cycles are fine, and typed arrays (which cannot be frozen) are
 * left as they are.
 *
 * @example
 * ```ts
 * const service = deepFreeze({ metadata: { name: 'web', namespace: 'default' } });
 * await lb.ensureLoadBalancer('kubernetes', service, nodes); // throws if it writes to `service`
 * ```
 */
export function deepFreeze<T>(value: T): T {
  freezeReachable(value, undefined);
  return value;
}

/** Freezes what `value` reaches; returns the set of already-frozen objects looked into so far. */
function freezeReachable(value: unknown, lookedInto: Set<object> | undefined): Set<object> | undefined {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return lookedInto;
  if (Object.isFrozen(value)) {
    // Frozen before (by a caller, or earlier in this walk through a cycle): look inside once. A
    // fresh tree never gets here, so the common case pays for no set.
    lookedInto ??= new Set();
    if (lookedInto.has(value)) return lookedInto;
    lookedInto.add(value);
  } else {
    Object.freeze(value);
  }
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) lookedInto = freezeReachable(item, lookedInto);
    return lookedInto;
  }
  // Names, then symbols: what Reflect.ownKeys lists, at a third of its cost on plain objects.
  const obj = value as Record<PropertyKey, unknown>;
  for (const key of Object.getOwnPropertyNames(obj)) lookedInto = freezeReachable(obj[key], lookedInto);
  for (const key of Object.getOwnPropertySymbols(obj)) lookedInto = freezeReachable(obj[key], lookedInto);
  return lookedInto;
}

/** Whether every object and array `value` reaches is frozen (so sharing it is safe). */
export function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) if (!isDeepFrozen(item)) return false;
    return true;
  }
  // for…in rather than Object.keys: no array per object on a path walked for every watch event.
  for (const key in value) if (Object.hasOwn(value, key) && !isDeepFrozen((value as JsonObject)[key])) return false;
  return true;
}

/** JSON equality: arrays by position, objects by member set regardless of order, leaves by `===`. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (isJsonObject(a) && isJsonObject(b)) {
    // Counted with for…in instead of comparing Object.keys arrays: every write compares objects.
    let members = 0;
    for (const key in a) {
      if (!Object.hasOwn(a, key)) continue;
      if (!Object.hasOwn(b, key) || !jsonEqual(a[key], b[key])) return false;
      members++;
    }
    for (const key in b) if (Object.hasOwn(b, key) && --members < 0) return false;
    return members === 0;
  }
  return false;
}
