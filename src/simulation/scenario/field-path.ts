/**
 * Field paths in messages, written as an author would address the field.
 *
 * @module
 */

/** A path as an author writes it: `steps[3].advance`, `metadata.labels["topology.kubernetes.io/zone"]`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}
