/**
 * Deep freezing, to prove that code treats its inputs as read-only: in strict-mode modules (every
 * ES module) a write to a frozen object throws a TypeError instead of passing silently.
 *
 * @module
 */

/**
 * Freezes `value` and everything reachable from it (plain objects and arrays; typed arrays cannot
 * be frozen and are left as they are), then returns it.
 *
 * @example
 * ```ts
 * const service = deepFreeze({ metadata: { name: 'web', namespace: 'default' } });
 * await lb.ensureLoadBalancer('kubernetes', service, nodes); // throws if it writes to `service`
 * ```
 */
export function deepFreeze<T>(value: T): T {
  // Visit each object once (cycles), and still descend into objects someone froze shallowly.
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (typeof current !== 'object' || current === null || seen.has(current) || ArrayBuffer.isView(current)) continue;
    seen.add(current);
    Object.freeze(current);
    for (const key of Reflect.ownKeys(current)) stack.push((current as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
