/**
 * A sequential address allocator over one CIDR range, IPv4 or IPv6 — how the fake hands out
 * load-balancer ingress IPs (by default from the documentation range 192.0.2.0/24, RFC 5737).
 *
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';

/** A parsed CIDR range. */
export interface IpRange {
  /** 4 or 6. */
  readonly family: 4 | 6;
  /** The range in canonical form, e.g. `192.0.2.0/24`. */
  readonly cidr: string;
  /** The network address as a number. */
  readonly base: bigint;
  /** The prefix length. */
  readonly prefix: number;
}

/**
 * Parses `cidr` strictly: a valid address, a prefix within the family's width, and no host bits
 * set (the message suggests the intended network).
 * @throws RangeError naming what is wrong.
 */
export function parseIpRange(cidr: string): IpRange {
  const slash = cidr.indexOf('/');
  if (slash < 0) throw new RangeError(`${JSON.stringify(cidr)} is not a CIDR range: missing "/<prefix length>"`);
  const addressText = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  const family = isIPv4(addressText) ? 4 : isIPv6(addressText) ? 6 : undefined;
  if (family === undefined) throw new RangeError(`${JSON.stringify(cidr)} is not a CIDR range: ${JSON.stringify(addressText)} is not an IP address`);
  const bits = family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
    throw new RangeError(`${JSON.stringify(cidr)} is not a CIDR range: the prefix length must be an integer from 0 to ${bits}`);
  }
  const prefix = Number(prefixText);
  const address = family === 4 ? parseIPv4(addressText) : parseIPv6(addressText);
  const hostBits = BigInt(bits - prefix);
  const base = (address >> hostBits) << hostBits;
  if (base !== address) {
    const intended = `${formatIp(base, family)}/${prefix}`;
    throw new RangeError(`${JSON.stringify(cidr)} is not a CIDR range: host bits are set (did you mean ${intended}?)`);
  }
  return { family, cidr: `${formatIp(base, family)}/${prefix}`, base, prefix };
}

/**
 * Hands out the addresses of a range in order, skipping the network address (and the broadcast
 * address of IPv4 ranges larger than /31, as clouds do). Released addresses are reused only after
 * the rest of the range has been handed out once, so a test sees fresh IPs for new load balancers.
 */
export class IpRangeAllocator {
  /** The range allocated from. */
  readonly range: IpRange;
  readonly #first: bigint;
  readonly #last: bigint;
  readonly #allocated = new Set<bigint>();
  #cursor: bigint;

  /** @throws RangeError when `cidr` is not a valid CIDR range (see {@link parseIpRange}). */
  constructor(cidr: string) {
    this.range = parseIpRange(cidr);
    const { family, base, prefix } = this.range;
    const hostBits = BigInt((family === 4 ? 32 : 128) - prefix);
    const size = 1n << hostBits;
    // /31 and /32 (and /127, /128) have no room for a network or broadcast address to skip.
    const skipEnds = hostBits >= 2n;
    this.#first = skipEnds ? base + 1n : base;
    this.#last = skipEnds && family === 4 ? base + size - 2n : base + size - 1n;
    this.#cursor = this.#first;
  }

  /** How many addresses are handed out. */
  get allocatedCount(): number {
    return this.#allocated.size;
  }

  /**
   * The next free address.
   * @throws Error when every address of the range is in use.
   */
  allocate(): string {
    const capacity = this.#last - this.#first + 1n;
    if (BigInt(this.#allocated.size) >= capacity) {
      throw new Error(`load-balancer IP range ${this.range.cidr} is exhausted (${capacity} addresses in use)`);
    }
    // Terminates: there is at least one free address, and the cursor visits each address once per lap.
    for (;;) {
      const candidate = this.#cursor;
      this.#cursor = candidate === this.#last ? this.#first : candidate + 1n;
      if (!this.#allocated.has(candidate)) {
        this.#allocated.add(candidate);
        return formatIp(candidate, this.range.family);
      }
    }
  }

  /** Returns `ip` to the range; a no-op for addresses it did not hand out. */
  release(ip: string): void {
    const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : undefined;
    if (family !== this.range.family) return;
    this.#allocated.delete(family === 4 ? parseIPv4(ip) : parseIPv6(ip));
  }
}

function parseIPv4(text: string): bigint {
  return text.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

// Expects a string node:net accepted as IPv6 (so at most one "::" and an optional dotted tail).
function parseIPv6(text: string): bigint {
  let address = text.toLowerCase();
  const zone = address.indexOf('%');
  if (zone >= 0) address = address.slice(0, zone);
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail (::ffff:192.0.2.1) stands for the last two groups.
    const v4 = parseIPv4(tail);
    address = `${address.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : new Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  return [...headGroups, ...zeros, ...restGroups].reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

/** Formats an address number: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
export function formatIp(value: bigint, family: 4 | 6): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // Find the longest run of zero groups (first one wins a tie); RFC 5952 compresses runs of 2+ only.
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
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}
