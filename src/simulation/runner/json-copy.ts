/**
 * `JSON.parse(JSON.stringify(value))` without the intermediate string: the same plain, unfrozen
 * result, built directly. A frozen array met more than once (the fake cloud shares one frozen
 * list of backend names between every load balancer given the same node set) is copied once and
 * the copy shared, so a report of 10,000 load balancers × 10,000 nodes holds one list, not 10⁸
 * strings in a string too long to build.
 *
 * @module
 */

/** What `JSON.parse(JSON.stringify(value))` returns, except that repeated frozen arrays share one copy. */
export function jsonCopy<T>(value: T): T {
  return copy(value, new Map(), new Set()) as T;
}

function copy(value: unknown, shared: Map<object, unknown>, path: Set<object>): unknown {
  if (typeof value === 'number') return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
  if (typeof value !== 'object' || value === null) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return roundTrip(value);
  const known = shared.get(value);
  if (known !== undefined) return known;
  if (path.has(value)) return roundTrip(value); // throws JSON's own TypeError for the cycle
  path.add(value);
  let result: unknown;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out[i] = item === undefined || typeof item === 'function' || typeof item === 'symbol' ? null : copy(item, shared, path);
    }
    if (Object.isFrozen(value)) shared.set(value, out);
    result = out;
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      result = roundTrip(value);
    } else {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
        const member = copy(item, shared, path);
        // Assignment is an own data property for every key but `__proto__` (and much faster).
        if (key === '__proto__') Object.defineProperty(out, key, { value: member, writable: true, enumerable: true, configurable: true });
        else out[key] = member;
      }
      result = out;
    }
  }
  path.delete(value);
  return result;
}

function roundTrip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}
