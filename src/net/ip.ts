/**
 * IPv4 and IPv6 addresses as unsigned integers (bigint): parsing in node:net's strict syntax or
 * Go's "sloppy" one, canonical (RFC 5952) formatting, comparison and offsets. The one place in
 * Outrigger that knows address syntax; controllers and providers build on it.
 *
 * @module
 */

/** An IP family. */
export type IpFamily = 4 | 6;

/** A parsed address: its family and its value as an unsigned integer (32 or 128 bits). */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/** How {@link parseIp} reads text. */
export interface ParseIpOptions {
  /**
   * `strict` (default): what node:net's `isIP` accepts — IPv4 parts without leading zeros.
   * `sloppy`: Go's `netutils.ParseIPSloppy` — IPv4 parts may carry leading zeros, read as decimal.
   */
  readonly syntax?: 'strict' | 'sloppy';
  /** With `sloppy` syntax, the most digits an IPv4 part may have (default: no limit, as Go). */
  readonly maxDecimalDigits?: number;
  /** An IPv6 zone (`fe80::1%eth0`): `reject` the text (default) or `strip` it (node:net accepts it). */
  readonly zone?: 'reject' | 'strip';
}

/** The width of a family's addresses in bits. */
export function ipBits(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/** The largest value of a family's addresses. */
export function maxIpValue(family: IpFamily): bigint {
  return (1n << BigInt(ipBits(family))) - 1n;
}

const STRICT_IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;
const SLOPPY_IPV4_PART = /^[0-9]+$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
// The zone characters node:net's isIPv6 accepts.
const IPV6_ZONE = /^[0-9a-zA-Z\-.:]+$/;

function parseIpv4Value(text: string, options: ParseIpOptions): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const sloppy = options.syntax === 'sloppy';
  const maxDigits = options.maxDecimalDigits ?? Number.POSITIVE_INFINITY;
  let value = 0n;
  for (const part of parts) {
    if (sloppy ? !SLOPPY_IPV4_PART.test(part) || part.length > maxDigits : !STRICT_IPV4_PART.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6Value(text: string, options: ParseIpOptions): bigint | undefined {
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups: rewrite it as such.
  let groupsText = text;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4Value(tail, options);
    if (v4 === undefined) return undefined;
    groupsText = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = groupsText.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    for (const g of s.split(':')) {
      if (!IPV6_GROUP.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length;
  // `::` stands for at least one zero group; without it all eight must be written.
  if (halves.length === 2 ? explicit > 7 : explicit !== 8) return undefined;
  const groups = halves.length === 2 ? [...head, ...Array.from({ length: 8 - explicit }, () => 0n), ...rest] : head;
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/**
 * Parses an IPv4 or IPv6 address (no brackets, no surrounding spaces, no `/prefix`); undefined
 * when `text` is not one.
 *
 * @example
 * ```ts
 * parseIp('10.0.0.1'); // { family: 4, value: 0x0a000001n }
 * parseIp('010.0.0.1', { syntax: 'sloppy' }); // { family: 4, value: 0x0a000001n }
 * ```
 */
export function parseIp(text: string, options: ParseIpOptions = {}): IpAddress | undefined {
  if (!text.includes(':')) {
    const value = parseIpv4Value(text, options);
    return value === undefined ? undefined : { family: 4, value };
  }
  let address = text;
  const percent = text.indexOf('%');
  if (percent >= 0) {
    if (options.zone !== 'strip' || !IPV6_ZONE.test(text.slice(percent + 1))) return undefined;
    address = text.slice(0, percent);
  }
  const value = parseIpv6Value(address, options);
  return value === undefined ? undefined : { family: 6, value };
}

/** Formats an address value: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run of 2+ groups as `::`, first on a tie). */
export function formatIp(value: bigint, family: IpFamily): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
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

/** The canonical text of a parsed address. */
export function formatIpAddress(ip: IpAddress): string {
  return formatIp(ip.value, ip.family);
}

/** Orders addresses: IPv4 before IPv6, then by value (negative, zero or positive). */
export function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

/** The address `delta` after `ip` (before, when negative); undefined when that leaves the family's range. */
export function offsetIp(ip: IpAddress, delta: bigint): IpAddress | undefined {
  const value = ip.value + delta;
  return value < 0n || value > maxIpValue(ip.family) ? undefined : { family: ip.family, value };
}

/** Whether an IPv6 address is IPv4-mapped (`::ffff:a.b.c.d`). */
export function isIpv4Mapped(ip: IpAddress): boolean {
  return ip.family === 6 && ip.value >> 32n === 0xffffn;
}

/** The 16-byte form of an address, IPv4 stored IPv4-mapped, as Go's `net.IP.To16`. */
export function ipTo16Bytes(ip: IpAddress): Uint8Array {
  const value = ip.family === 4 ? (0xffffn << 32n) | ip.value : ip.value;
  return Uint8Array.from({ length: 16 }, (_, i) => Number((value >> BigInt(120 - 8 * i)) & 0xffn));
}
