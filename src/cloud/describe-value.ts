/**
 * Describes a value's kind for error messages ("got an array", "got null") — what a user needs to
 * fix a provider module or factory, without dumping the value itself.
 *
 * @module
 */

/** A short phrase naming the kind of `value`: `undefined`, `null`, `an array`, `a function`, `a string`, … */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}
