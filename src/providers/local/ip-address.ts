/**
 * IP addresses as numbers and address ranges (`CIDR` or `first-last`), IPv4 and IPv6 — the
 * arithmetic under the local provider's pools, allocator and source-range checks.
 *
 * @module
 */
import type { IpAddress, IpFamily } from '../../net/ip.js';
import { formatIp, formatIpAddress, parseIp } from '../../net/ip.js';
import { formatCidr, lastAddress, parseCidr } from '../../net/cidr.js';

export type { IpAddress, IpFamily } from '../../net/ip.js';
export { formatIp, parseIp };

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
  /** The text it was parsed from, canonicalised (`127.0.10.0/24`, `127.0.11.1-127.0.11.9`). */
  readonly text: string;
}

/** The canonical text of an address, or `undefined` when `text` is not an address. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIpAddress(ip);
}

/**
 * Parses `a.b.c.d/n` (host bits must be clear) or `first-last` (same family, first ≤ last).
 * @throws RangeError saying what is wrong with the text.
 */
export function parseAddressRange(text: string): AddressRange {
  const trimmed = text.trim();
  const dash = trimmed.indexOf('-');
  if (dash >= 0) {
    const firstText = trimmed.slice(0, dash).trim();
    const lastText = trimmed.slice(dash + 1).trim();
    const first = parseIp(firstText);
    const last = parseIp(lastText);
    if (first === undefined) throw new RangeError(`${JSON.stringify(text)}: ${JSON.stringify(firstText)} is not an IP address`);
    if (last === undefined) throw new RangeError(`${JSON.stringify(text)}: ${JSON.stringify(lastText)} is not an IP address`);
    if (first.family !== last.family) throw new RangeError(`${JSON.stringify(text)}: both ends must be of the same address family`);
    if (first.value > last.value) throw new RangeError(`${JSON.stringify(text)}: the first address is after the last`);
    return { family: first.family, first: first.value, last: last.value, text: `${formatIp(first.value, first.family)}-${formatIp(last.value, last.family)}` };
  }
  const slash = trimmed.indexOf('/');
  if (slash < 0) {
    const single = parseIp(trimmed);
    if (single === undefined) throw new RangeError(`${JSON.stringify(text)} is not an address range: expected a CIDR (127.0.10.0/24) or first-last`);
    return { family: single.family, first: single.value, last: single.value, text: formatIp(single.value, single.family) };
  }
  const result = parseCidr(trimmed);
  if (!result.ok) {
    // (`missing-prefix` cannot happen: the text has a slash.)
    const why = result.problem === 'invalid-prefix'
      ? `the prefix length must be an integer from 0 to ${result.bits}`
      : `${JSON.stringify(result.problem === 'invalid-address' ? result.addressText : trimmed)} is not an IP address`;
    throw new RangeError(`${JSON.stringify(text)}: ${why}`);
  }
  const { cidr } = result;
  if (result.hostBitsSet) throw new RangeError(`${JSON.stringify(text)}: host bits are set (did you mean ${formatCidr(cidr)}?)`);
  return { family: cidr.family, first: cidr.network, last: lastAddress(cidr), text: formatCidr(cidr) };
}

/** Address blocks no pool may contain, per family, with why (checked in this order). */
const FORBIDDEN: Readonly<Record<IpFamily, readonly { readonly first: bigint; readonly last: bigint; readonly why: string }[]>> = {
  4: [
    { first: 0n, last: 0n, why: 'contains 0.0.0.0, the unspecified (wildcard) address: a listener on it serves every address of the host' },
    { first: 0n, last: 0x00ffffffn, why: 'contains addresses of 0.0.0.0/8 ("this network"), which are never a destination' },
    { first: 0xe0000000n, last: 0xefffffffn, why: 'contains multicast addresses (224.0.0.0/4)' },
    { first: 0xffffffffn, last: 0xffffffffn, why: 'contains 255.255.255.255, the limited broadcast address' },
  ],
  6: [
    { first: 0n, last: 0n, why: 'contains ::, the unspecified (wildcard) address: a listener on it serves every address of the host' },
    {
      first: 0xffff00000000n,
      last: 0xffffffffffffn,
      why: 'contains IPv4-mapped addresses (::ffff:0:0/96): a listener on one serves the IPv4 address it maps, which an IPv4 pool may hand out too; write them as an IPv4 range',
    },
    { first: 0xffn << 120n, last: (1n << 128n) - 1n, why: 'contains multicast addresses (ff00::/8)' },
  ],
};

/**
 * Parses a pool range as {@link parseAddressRange}, then makes it one a load balancer may listen
 * on: an IPv4 CIDR of 4 addresses or more (up to /30) loses its network and broadcast addresses
 * (a /31 or /32 has none to lose), and a range containing the unspecified (wildcard), `0.0.0.0/8`,
 * multicast, limited-broadcast or IPv4-mapped addresses is refused.
 * @throws RangeError saying what is wrong with the text.
 */
export function parsePoolRange(text: string): AddressRange {
  const parsed = parseAddressRange(text);
  const isCidr = parsed.text.includes('/');
  const range = isCidr && parsed.family === 4 && parsed.last - parsed.first >= 3n ? { ...parsed, first: parsed.first + 1n, last: parsed.last - 1n } : parsed;
  for (const block of FORBIDDEN[range.family]) {
    if (range.first <= block.last && block.first <= range.last) throw new RangeError(`range ${parsed.text} ${block.why}`);
  }
  return range;
}

/** Whether two ranges share an address. */
export function rangesOverlap(a: AddressRange, b: AddressRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** Whether `ip` lies in `range`. */
export function rangeContains(range: AddressRange, ip: IpAddress): boolean {
  return range.family === ip.family && range.first <= ip.value && ip.value <= range.last;
}

/**
 * Whether MetalLB's `avoidBuggyIPs` skips this address: IPv4 addresses ending in `.0` or `.255`,
 * which some old client stacks mistake for network or broadcast addresses.
 */
export function isBuggyIp(ip: IpAddress): boolean {
  if (ip.family !== 4) return false;
  const last = ip.value & 0xffn;
  return last === 0n || last === 255n;
}
