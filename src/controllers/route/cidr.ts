/**
 * IPv4/IPv6 CIDR parsing and containment for the route controller, on top of `src/net`. `node:net`'s
 * `BlockList` can test whether an address lies in a subnet, but it neither parses a `a.b.c.d/n`
 * string nor gives the last address of a range, and the controller needs both (upstream decides
 * responsibility for a route from its range's first *and* last address).
 *
 * Parsing follows Go's `netutils.ParseCIDRSloppy` as upstream uses it: IPv4 octets may carry
 * leading zeros (read as decimal, at most three digits here), host bits may be set and are masked away.
 *
 * @module
 */
import type { Cidr, ParseCidrOptions } from '../../net/cidr.js';
import { cidrContains as netCidrContains, formatCidr, lastAddress, parseCidr as netParseCidr } from '../../net/cidr.js';
import type { IpFamily } from '../../net/ip.js';
import { parseIp as netParseIp } from '../../net/ip.js';

export type { Cidr } from '../../net/cidr.js';
export type { IpFamily } from '../../net/ip.js';
export { formatCidr, lastAddress };

/** Thrown when a string is not a valid CIDR or address; the message says which and why. */
export class CidrParseError extends Error {
  override readonly name = 'CidrParseError';
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'CidrParseError' as const;
}

const SLOPPY: ParseCidrOptions = { syntax: 'sloppy', maxDecimalDigits: 3 };

/** Parses an IP address (sloppily); returns undefined when `text` is not one. */
export function parseIp(text: string): { readonly family: IpFamily; readonly value: bigint } | undefined {
  return netParseIp(text, SLOPPY);
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
  const result = netParseCidr(text, SLOPPY);
  if (result.ok) return result.cidr;
  const why = result.problem === 'missing-prefix'
    ? 'no "/prefix"'
    : result.problem === 'invalid-address' ? 'not an IPv4 or IPv6 address' : `prefix length must be 0..${result.bits}`;
  throw new CidrParseError(`invalid CIDR address: ${JSON.stringify(text)} (${why})`);
}

/** Parses a CIDR, or returns undefined instead of throwing. */
export function tryParseCidr(text: string): Cidr | undefined {
  const result = netParseCidr(text, SLOPPY);
  return result.ok ? result.cidr : undefined;
}

/** True when `address` of `family` lies inside `cidr` (always false across families). */
export function cidrContains(cidr: Cidr, family: IpFamily, address: bigint): boolean {
  return netCidrContains(cidr, { family, value: address });
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
