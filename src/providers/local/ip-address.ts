/**
 * IP addresses as numbers and address ranges (`CIDR` or `first-last`), IPv4 and IPv6 — the
 * arithmetic under the local provider's pools, allocator and source-range checks.
 *
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';

/** An address family. */
export type IpFamily = 4 | 6;

/** A parsed address. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** An inclusive range of addresses of one family. */
export interface AddressRange {
  readonly family: IpFamily;
  readonly first: bigint;
  readonly last: bigint;
  /** The text it was parsed from, canonicalised (`127.0.10.0/24`, `127.0.11.1-127.0.11.9`). */
  readonly text: string;
}

/** Parses an IPv4 or IPv6 address (no zone, no brackets); `undefined` when it is not one. */
export function parseIp(text: string): IpAddress | undefined {
  if (isIPv4(text)) return { family: 4, value: text.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n) };
  if (!isIPv6(text) || text.includes('%')) return undefined;
  let address = text.toLowerCase();
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
    const v4 = parseIp(tail)?.value ?? 0n;
    address = `${address.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : new Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  const value = [...headGroups, ...zeros, ...restGroups].reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
  return { family: 6, value };
}

/** Formats an address: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as `::`). */
export function formatIp(value: bigint, family: IpFamily): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The canonical text of an address, or `undefined` when `text` is not an address. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip === undefined ? undefined : formatIp(ip.value, ip.family);
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
  const addressText = trimmed.slice(0, slash);
  const prefixText = trimmed.slice(slash + 1);
  const address = parseIp(addressText);
  if (address === undefined) throw new RangeError(`${JSON.stringify(text)}: ${JSON.stringify(addressText)} is not an IP address`);
  const bits = address.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    throw new RangeError(`${JSON.stringify(text)}: the prefix length must be an integer from 0 to ${bits}`);
  }
  const hostBits = BigInt(bits - Number(prefixText));
  const base = (address.value >> hostBits) << hostBits;
  if (base !== address.value) {
    throw new RangeError(`${JSON.stringify(text)}: host bits are set (did you mean ${formatIp(base, address.family)}/${prefixText}?)`);
  }
  return { family: address.family, first: base, last: base + (1n << hostBits) - 1n, text: `${formatIp(base, address.family)}/${prefixText}` };
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
