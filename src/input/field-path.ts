/**
 * Field paths as a configuration's author addresses them, kept apart from the YAML parser so that
 * code which only names fields does not load the parser and its schema library.
 *
 * @module
 */

/** A field path as an author addresses it: `['pools', 1, 'ranges', 0]` is `pools[1].ranges[0]`. */
export type FieldPath = readonly (string | number)[];

/** `pools[1].ranges[0]`, `metadata.labels["topology.kubernetes.io/zone"]`. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
