/**
 * A sequential address allocator over one CIDR range, IPv4 or IPv6 — how the fake hands out
 * load-balancer ingress IPs (by default from the documentation range 192.0.2.0/24, RFC 5737).
 *
 * @module
 */
import { cidrSize, formatCidr, parseCidr } from '../../net/cidr.js';
import { formatIp, parseIp } from '../../net/ip.js';

export { formatIp };

// node:net's syntax: what `isIP` accepts, an IPv6 zone dropped.
const NODE_NET = { zone: 'strip' } as const;

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
  const result = parseCidr(cidr, NODE_NET);
  if (!result.ok) {
    const why = result.problem === 'missing-prefix'
      ? 'missing "/<prefix length>"'
      : result.problem === 'invalid-address'
        ? `${JSON.stringify(result.addressText)} is not an IP address`
        : `the prefix length must be an integer from 0 to ${result.bits}`;
    throw new RangeError(`${JSON.stringify(cidr)} is not a CIDR range: ${why}`);
  }
  const canonical = formatCidr(result.cidr);
  if (result.hostBitsSet) throw new RangeError(`${JSON.stringify(cidr)} is not a CIDR range: host bits are set (did you mean ${canonical}?)`);
  return { family: result.cidr.family, cidr: canonical, base: result.cidr.network, prefix: result.cidr.prefixLength };
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
    const size = cidrSize({ family, network: base, prefixLength: prefix });
    // /31 and /32 (and /127, /128) have no room for a network or broadcast address to skip.
    const skipEnds = size >= 4n;
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
    const parsed = parseIp(ip, NODE_NET);
    if (parsed?.family !== this.range.family) return;
    this.#allocated.delete(parsed.value);
  }
}
