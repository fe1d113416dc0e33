/**
 * Checks of provider answers before they reach the API: a value a controller would write to a
 * Node or a Service (an address, a load-balancer ingress) or act on (an existence answer that
 * decides whether a Node is deleted) must have the type and form the contract says. Each check
 * returns a problem in words, or undefined when the answer is fine.
 *
 * @module
 */
import { isIP } from 'node:net';

/** The Node address types Kubernetes defines. */
const NODE_ADDRESS_TYPES: ReadonlySet<string> = new Set(['Hostname', 'ExternalIP', 'InternalIP', 'ExternalDNS', 'InternalDNS']);
/** A DNS name (RFC 1123 subdomain: lower-case labels of letters, digits and dashes). */
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const IP_MODES: ReadonlySet<string> = new Set(['VIP', 'Proxy']);

function describe(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'symbol':
      return `${typeof value} ${value.toString()}`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'a function';
    case 'object':
      if (value === null) return 'null';
      return Array.isArray(value) ? 'an array' : 'an object';
  }
}

/** A boolean answer (existence, shutdown): anything else could delete or taint a Node by accident. */
export function checkBoolean(value: unknown): string | undefined {
  return typeof value === 'boolean' ? undefined : `returned ${describe(value)} where true or false is required`;
}

/** A list of Node addresses: known types, IPs that parse, DNS names that are names. */
export function checkNodeAddresses(value: unknown, where = 'addresses'): string | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return `returned ${describe(value)} as ${where}, not a list`;
  for (const [i, a] of (value as unknown[]).entries()) {
    if (typeof a !== 'object' || a === null) return `returned ${describe(a)} as ${where}[${i}]`;
    const { type, address } = a as { type?: unknown; address?: unknown };
    if (typeof type !== 'string' || !NODE_ADDRESS_TYPES.has(type)) return `returned ${where}[${i}].type ${describe(type)}; expected one of ${[...NODE_ADDRESS_TYPES].join(', ')}`;
    if (typeof address !== 'string' || address === '') return `returned ${where}[${i}] (${type}) without an address`;
    if ((type === 'InternalIP' || type === 'ExternalIP') && isIP(address) === 0) return `returned ${where}[${i}] ${type} ${JSON.stringify(address)}, which is not an IP address`;
  }
  return undefined;
}

/** Instance metadata: its addresses and string fields. `undefined` (no metadata) is allowed. */
export function checkInstanceMetadata(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) return `returned ${describe(value)} as instance metadata`;
  const m = value as Record<string, unknown>;
  for (const field of ['providerID', 'instanceType', 'zone', 'region']) {
    const v = m[field];
    if (v !== undefined && typeof v !== 'string') return `returned ${describe(v)} as ${field}, not a string`;
  }
  return checkNodeAddresses(m['nodeAddresses'], 'nodeAddresses');
}

/** A load-balancer status: ingress entries with a valid IP or DNS name and a known ipMode. */
export function checkLoadBalancerStatus(value: unknown): string | undefined {
  // "No status" is reported by the service controller itself, with its own words.
  if (value === undefined || value === null || typeof value !== 'object') return undefined;
  const ingress = (value as { ingress?: unknown }).ingress;
  if (!Array.isArray(ingress)) return undefined;
  for (const [i, entry] of (ingress as unknown[]).entries()) {
    if (typeof entry !== 'object' || entry === null) return `returned ${describe(entry)} as ingress[${i}]`;
    const { ip, hostname, ipMode } = entry as { ip?: unknown; hostname?: unknown; ipMode?: unknown };
    if (ip !== undefined && (typeof ip !== 'string' || isIP(ip) === 0)) return `returned ingress[${i}].ip ${describe(ip)}, which is not an IP address`;
    if (hostname !== undefined && (typeof hostname !== 'string' || !DNS_NAME.test(hostname))) return `returned ingress[${i}].hostname ${describe(hostname)}, which is not a DNS name`;
    if (ip === undefined && hostname === undefined) return `returned ingress[${i}] with neither ip nor hostname`;
    if (ipMode !== undefined && (typeof ipMode !== 'string' || !IP_MODES.has(ipMode))) return `returned ingress[${i}].ipMode ${describe(ipMode)}; expected VIP or Proxy`;
  }
  return undefined;
}

/** A load-balancer lookup: `exists` a boolean, the status checked when present. */
export function checkLoadBalancerLookup(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return `returned ${describe(value)} where { exists, status } is required`;
  const { exists, status } = value as { exists?: unknown; status?: unknown };
  if (typeof exists !== 'boolean') return `returned exists ${describe(exists)} where true or false is required`;
  return checkLoadBalancerStatus(status);
}
