/**
 * Syntax rules for label keys and values, as the apiserver validates them (apimachinery
 * `IsQualifiedName` / `IsValidLabelValue`). Each check returns the list of problems, empty when
 * the input is valid, so callers can report every reason at once.
 *
 * @module
 */

const NAME_MAX = 63;
const PREFIX_MAX = 253;
/** Alphanumeric at both ends, `-`, `_` and `.` inside. */
const NAME_RE = /^(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** A lower-case RFC 1123 subdomain: dot-separated labels of `a-z`, `0-9` and inner `-`. */
const DNS_SUBDOMAIN_RE = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;

const NAME_RULE = "consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character";

/** Problems with `value` as a DNS-1123 subdomain (≤ 253 characters). */
export function dnsSubdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > PREFIX_MAX) errors.push(`must be no more than ${PREFIX_MAX} characters`);
  if (!DNS_SUBDOMAIN_RE.test(value)) {
    errors.push("must be a lowercase RFC 1123 subdomain: lower-case alphanumeric characters, '-' or '.', starting and ending with an alphanumeric character");
  }
  return errors;
}

/**
 * Problems with `key` as a label key: a name of at most 63 characters with an optional
 * DNS-subdomain prefix and `/` (e.g. `node.kubernetes.io/exclude-from-external-load-balancers`).
 */
export function labelKeyErrors(key: string): string[] {
  const parts = key.split('/');
  if (parts.length > 2) {
    return [`must be a name with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName'); the name must ${NAME_RULE}`];
  }
  const errors: string[] = [];
  const name = parts.length === 2 ? (parts[1] as string) : key;
  if (parts.length === 2) {
    const prefix = parts[0] as string;
    if (prefix === '') errors.push('prefix part must be non-empty');
    else errors.push(...dnsSubdomainErrors(prefix).map((e) => `prefix part ${e}`));
  }
  if (name === '') errors.push('name part must be non-empty');
  else if (name.length > NAME_MAX) errors.push(`name part must be no more than ${NAME_MAX} characters`);
  if (!NAME_RE.test(name)) errors.push(`name part must ${NAME_RULE}`);
  return errors;
}

/** Problems with `value` as a label value: empty, or a name of at most 63 characters. */
export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (value.length > NAME_MAX) errors.push(`must be no more than ${NAME_MAX} characters`);
  if (value !== '' && !NAME_RE.test(value)) errors.push(`must be empty or ${NAME_RULE}`);
  return errors;
}
