/**
 * IPv4/IPv6 CIDR parsing and containment for the route controller. `node:net`'s `BlockList` can
 * test whether an address lies in a subnet, but it neither parses a `a.b.c.d/n` string nor gives
 * the last address of a range, and the controller needs both (upstream decides responsibility for
 * a route from its range's first *and* last address). So: a small exact implementation on bigint.
 *
 * Parsing follows Go's `netutils.ParseCIDRSloppy` as upstream uses it: IPv4 octets may carry
 * leading zeros (read as decimal), host bits may be set and are masked away.
 *
 * @module
 */

/** An IP family. */
export type IpFamily = 4 | 6;

/** A parsed CIDR: its family, its network address (host bits cleared) and its prefix length. */
export interface Cidr {
  readonly family: IpFamily;
  /** The first address of the range (network address), as an unsigned integer. */
  readonly network: bigint;
  readonly prefixLength: number;
}

/** Thrown when a string is not a valid CIDR or address; the message says which and why. */
export class CidrParseError extends Error {
  override readonly name = 'CidrParseError';
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'CidrParseError' as const;
}

function bitsOf(family: IpFamily): number {
  return family === 4 ? 32 : 128;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // Go's sloppy parser accepts leading zeros and reads them as decimal (not octal).
    if (!/^[0-9]{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  // An embedded IPv4 tail (`::ffff:1.2.3.4`) stands for the last two groups: rewrite it as such.
  let groupsText = text;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    groupsText = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = groupsText.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(`0x${g}`));
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? '');
  const rest = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (head === undefined || rest === undefined) return undefined;
  const explicit = head.length + rest.length;
  let groups: bigint[];
  if (halves.length === 2) {
    if (explicit > 7) return undefined;
    groups = [...head, ...Array.from({ length: 8 - explicit }, () => 0n), ...rest];
  } else {
    if (explicit !== 8) return undefined;
    groups = head;
  }
  let value = 0n;
  for (const g of groups) value = (value << 16n) | g;
  return value;
}

/** Parses an IP address; returns undefined when `text` is not one. */
export function parseIp(text: string): { readonly family: IpFamily; readonly value: bigint } | undefined {
  if (text.includes(':')) {
    const value = parseIpv6(text);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseIpv4(text);
  return value === undefined ? undefined : { family: 4, value };
}

/**
 * Parses `address/prefix` (IPv4 or IPv6); host bits are cleared, as Go's `ParseCIDR` does.
 *
 * @example
 * ```ts
 * parseCidr('10.244.0.0/16'); // { family: 4, network: 0x0af40000n, prefixLength: 16 }
 * ```
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new CidrParseError(`invalid CIDR address: ${JSON.stringify(text)} (no "/prefix")`);
  const ip = parseIp(text.slice(0, slash));
  if (ip === undefined) throw new CidrParseError(`invalid CIDR address: ${JSON.stringify(text)} (not an IPv4 or IPv6 address)`);
  const prefixText = text.slice(slash + 1);
  const bits = bitsOf(ip.family);
  if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
    throw new CidrParseError(`invalid CIDR address: ${JSON.stringify(text)} (prefix length must be 0..${bits})`);
  }
  const prefixLength = Number(prefixText);
  return { family: ip.family, network: ip.value & maskOf(ip.family, prefixLength), prefixLength };
}

/** Parses a CIDR, or returns undefined instead of throwing. */
export function tryParseCidr(text: string): Cidr | undefined {
  try {
    return parseCidr(text);
  } catch (err) {
    if (err instanceof CidrParseError) return undefined;
    throw err;
  }
}

function maskOf(family: IpFamily, prefixLength: number): bigint {
  const bits = BigInt(bitsOf(family));
  const all = (1n << bits) - 1n;
  return (all << (bits - BigInt(prefixLength))) & all;
}

/** The last address of the range. */
export function lastAddress(cidr: Cidr): bigint {
  const all = (1n << BigInt(bitsOf(cidr.family))) - 1n;
  return cidr.network | (~maskOf(cidr.family, cidr.prefixLength) & all);
}

/** True when `address` of `family` lies inside `cidr` (always false across families). */
export function cidrContains(cidr: Cidr, family: IpFamily, address: bigint): boolean {
  return family === cidr.family && (address & maskOf(family, cidr.prefixLength)) === cidr.network;
}

/** Canonical text of a CIDR (`10.244.0.0/16`, `fd00::/8`), for logs and errors. */
export function formatCidr(cidr: Cidr): string {
  if (cidr.family === 4) {
    const octets = [24n, 16n, 8n, 0n].map((s) => String((cidr.network >> s) & 0xffn));
    return `${octets.join('.')}/${cidr.prefixLength}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((cidr.network >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952), as Go prints it.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const text = bestStart < 0
    ? groups.join(':')
    : `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
  return `${text}/${cidr.prefixLength}`;
}

/**
 * Parses `--cluster-cidr`: one CIDR, or a comma-separated IPv4 + IPv6 pair, as upstream's route
 * controller start function (`processCIDRs` plus its dual-stack and count checks). Throws a
 * {@link CidrParseError} naming the flag and saying what is wrong.
 */
export function parseClusterCidrs(value: string, flag = '--cluster-cidr'): readonly Cidr[] {
  const trimmed = value.trim();
  if (trimmed === '') throw new CidrParseError(`${flag} is empty: expected one CIDR or an IPv4,IPv6 pair such as 10.244.0.0/16,fd00:10:244::/56`);
  // Upstream trims only the whole value; trimming each part too accepts `a, b` (documented).
  const parts = trimmed.split(',').map((p) => p.trim());
  const cidrs = parts.map((part, i) => {
    try {
      return parseCidr(part);
    } catch (err) {
      throw new CidrParseError(`${flag}: entry ${i + 1} of ${parts.length}: failed to parse cidr value ${JSON.stringify(part)}`, { cause: err });
    }
  });
  if (cidrs.length > 2) throw new CidrParseError(`${flag}: ${cidrs.length} CIDRs given, at most 2 (one IPv4 and one IPv6) are allowed`);
  if (cidrs.length === 2 && cidrs[0]?.family === cidrs[1]?.family) {
    throw new CidrParseError(`${flag}: two CIDRs must be dual-stack (one IPv4 and one IPv6), got two IPv${cidrs[0]?.family ?? '?'} CIDRs`);
  }
  return cidrs;
}
