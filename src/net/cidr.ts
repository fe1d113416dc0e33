/**
 * CIDR ranges (`10.244.0.0/16`, `fd00::/8`) on top of {@link parseIp}: parsing with validation,
 * masks, network and last address, size and containment.
 *
 * @module
 */
import type { IpAddress, IpFamily, ParseIpOptions } from './ip.js';
import { formatIp, ipBits, maxIpValue, parseIp } from './ip.js';

/** A CIDR range: its family, its network address (host bits cleared) and its prefix length. */
export interface Cidr {
  readonly family: IpFamily;
  /** The first address of the range (network address), as an unsigned integer. */
  readonly network: bigint;
  readonly prefixLength: number;
}

/** How {@link parseCidr} reads text: the address as {@link parseIp}, plus the prefix length. */
export interface ParseCidrOptions extends ParseIpOptions {
  /**
   * Whether the prefix length may carry leading zeros (`/024`), as Go's `ParseCIDR`; default:
   * only with `sloppy` syntax. Its digits are then limited by `maxDecimalDigits`.
   */
  readonly prefixLeadingZeros?: boolean;
}

/** What {@link parseCidr} found: the range and the address as written, or what is wrong. */
export type CidrParseResult =
  | { readonly ok: true; readonly cidr: Cidr; readonly address: IpAddress; readonly hostBitsSet: boolean }
  | { readonly ok: false; readonly problem: 'missing-prefix' }
  | { readonly ok: false; readonly problem: 'invalid-address'; readonly addressText: string }
  | { readonly ok: false; readonly problem: 'invalid-prefix'; readonly bits: 32 | 128 };

const STRICT_PREFIX = /^(0|[1-9][0-9]{0,2})$/;
const LOOSE_PREFIX = /^[0-9]+$/;

/**
 * Parses `address/prefix` without throwing; host bits are cleared in `cidr` and reported in
 * `hostBitsSet`, so callers choose whether to mask (Go) or reject them.
 *
 * @example
 * ```ts
 * parseCidr('10.244.1.0/16'); // { ok: true, cidr: { family: 4, network: 0x0af40000n, prefixLength: 16 }, hostBitsSet: true, … }
 * ```
 */
export function parseCidr(text: string, options: ParseCidrOptions = {}): CidrParseResult {
  const slash = text.indexOf('/');
  if (slash < 0) return { ok: false, problem: 'missing-prefix' };
  const addressText = text.slice(0, slash);
  const address = parseIp(addressText, options);
  if (address === undefined) return { ok: false, problem: 'invalid-address', addressText };
  const prefixText = text.slice(slash + 1);
  const bits = ipBits(address.family);
  const leadingZeros = options.prefixLeadingZeros ?? options.syntax === 'sloppy';
  const wellFormed = leadingZeros
    ? LOOSE_PREFIX.test(prefixText) && prefixText.length <= (options.maxDecimalDigits ?? Number.POSITIVE_INFINITY)
    : STRICT_PREFIX.test(prefixText);
  if (!wellFormed || Number(prefixText) > bits) return { ok: false, problem: 'invalid-prefix', bits };
  const prefixLength = Number(prefixText);
  const network = address.value & prefixMask(address.family, prefixLength);
  return { ok: true, cidr: { family: address.family, network, prefixLength }, address, hostBitsSet: network !== address.value };
}

/** The mask of a prefix length: its leading `prefixLength` bits set. */
export function prefixMask(family: IpFamily, prefixLength: number): bigint {
  const all = maxIpValue(family);
  return (all << BigInt(ipBits(family) - prefixLength)) & all;
}

/** The range of `prefixLength` containing `ip`. */
export function cidrOf(ip: IpAddress, prefixLength: number): Cidr {
  return { family: ip.family, network: ip.value & prefixMask(ip.family, prefixLength), prefixLength };
}

/** The last address of the range (the broadcast address of an IPv4 range). */
export function lastAddress(cidr: Cidr): bigint {
  return cidr.network | (~prefixMask(cidr.family, cidr.prefixLength) & maxIpValue(cidr.family));
}

/** How many addresses the range holds. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << BigInt(ipBits(cidr.family) - cidr.prefixLength);
}

/** Whether `ip` lies inside `cidr` (never across families). */
export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  return ip.family === cidr.family && (ip.value & prefixMask(cidr.family, cidr.prefixLength)) === cidr.network;
}

/** Canonical text of a range (`10.244.0.0/16`, `fd00::/8`). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.network, cidr.family)}/${cidr.prefixLength}`;
}
