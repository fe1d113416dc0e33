/**
 * `loadBalancerSourceRanges` as an allow list checked on every new TCP connection and every UDP
 * datagram (cloud-provider-kind only enforces TCP).
 *
 * @module
 */
import { BlockList } from 'node:net';
import type { Service } from 'kubernetes-types/core/v1.js';
import { formatIp, parseIp } from './ip-address.js';

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
    const [addressText = '', prefixText = '', extra] = text.split('/');
    const address = parseIp(addressText);
    const bits = address?.family === 6 ? 128 : 32;
    if (address === undefined || extra !== undefined || !/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
      throw new RangeError(`loadBalancerSourceRanges: ${JSON.stringify(text)} is not a CIDR`);
    }
    const prefix = Number(prefixText);
    const host = BigInt(bits - prefix);
    const network = formatIp((address.value >> host) << host, address.family);
    list.addSubnet(network, prefix, address.family === 4 ? 'ipv4' : 'ipv6');
    ranges.push(`${network}/${prefix}`);
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
