/**
 * `loadBalancerSourceRanges` as an allow list checked on every new TCP connection and every UDP
 * datagram (cloud-provider-kind only enforces TCP).
 *
 * @module
 */
import { BlockList } from 'node:net';
import type { Service } from 'kubernetes-types/core/v1.js';
import { formatCidr, parseCidr } from '../../net/cidr.js';
import { formatIp } from '../../net/ip.js';

/** The upstream annotation read when `spec.loadBalancerSourceRanges` is empty. */
export const SOURCE_RANGES_ANNOTATION = 'service.beta.kubernetes.io/load-balancer-source-ranges';

/** Decides whether a client address may use a load balancer. */
export interface SourceFilter {
  /** The ranges, canonical; empty = everyone. */
  readonly ranges: readonly string[];
  allows(address: string): boolean;
}

const ALLOW_ALL: SourceFilter = { ranges: [], allows: () => true };

/**
 * The Service's source ranges, as upstream's `GetLoadBalancerSourceRanges`: the spec field if
 * non-empty, else the comma-separated annotation; none = allow all. Host bits are masked, as Go's
 * `ParseCIDR` does.
 * @throws RangeError naming the first entry that is not a CIDR.
 */
export function sourceFilterFor(service: Readonly<Service>): SourceFilter {
  let texts = (service.spec?.loadBalancerSourceRanges ?? []).map((t) => t.trim()).filter((t) => t !== '');
  if (texts.length === 0) {
    texts = (service.metadata?.annotations?.[SOURCE_RANGES_ANNOTATION] ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  }
  if (texts.length === 0) return ALLOW_ALL;
  const list = new BlockList();
  const ranges: string[] = [];
  for (const text of texts) {
    // Go's ParseCIDR allows a zero-padded prefix length (`/024`).
    const result = parseCidr(text, { prefixLeadingZeros: true, maxDecimalDigits: 3 });
    if (!result.ok) throw new RangeError(`loadBalancerSourceRanges: ${JSON.stringify(text)} is not a CIDR`);
    const { cidr } = result;
    list.addSubnet(formatIp(cidr.network, cidr.family), cidr.prefixLength, cidr.family === 4 ? 'ipv4' : 'ipv6');
    ranges.push(formatCidr(cidr));
  }
  return {
    ranges,
    allows: (addr) => {
      // IPv4 clients of a dual-stack socket show up as ::ffff:a.b.c.d.
      const plain = addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
      return list.check(plain, plain.includes(':') ? 'ipv6' : 'ipv4');
    },
  };
}
