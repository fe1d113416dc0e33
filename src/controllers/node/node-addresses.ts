/**
 * The node controller's address logic: honouring the kubelet's provided node IP (upstream
 * `node/helpers/address.go` `GetNodeAddressesFromNodeIP`), detecting a change worth writing, and
 * the status patch that replaces the address list.
 *
 * @module
 */
import type { NodeAddress } from 'kubernetes-types/core/v1.js';
import type { Patch } from '../../kube/client.js';
import { ipEqual, parseIPSloppy, parseNodeIPAnnotation } from './node-ips.js';

/** A provided node IP that none of the cloud's addresses carries. */
export class ProvidedNodeIPNotFoundError extends Error {
  override readonly name = 'ProvidedNodeIPNotFoundError';

  constructor(ip: string) {
    super(`failed to get node address from cloud provider that matches ip: ${ip}`);
  }
}

/**
 * Orders and filters the cloud's addresses by the provided node IP annotation, as upstream:
 * for each provided IP (in annotation order), every cloud address equal to it comes first and
 * its address type counts as "claimed"; then the remaining cloud addresses of unclaimed types
 * follow in cloud order. Throws `NodeIPParseError` for a malformed annotation and
 * {@link ProvidedNodeIPNotFoundError} when a provided IP matches no cloud address.
 */
export function getNodeAddressesFromNodeIP(providedNodeIP: string, cloudAddresses: readonly NodeAddress[]): NodeAddress[] {
  const nodeIPs = parseNodeIPAnnotation(providedNodeIP);
  const enforced: NodeAddress[] = [];
  const claimedTypes = new Set<string>();
  for (const nodeIP of nodeIPs) {
    let matched = false;
    for (const address of cloudAddresses) {
      const parsed = parseIPSloppy(address.address);
      if (parsed !== undefined && ipEqual(parsed, nodeIP)) {
        enforced.push({ type: address.type, address: address.address });
        claimedTypes.add(address.type);
        matched = true;
      }
    }
    if (!matched) throw new ProvidedNodeIPNotFoundError(nodeIP.text);
  }
  for (const address of cloudAddresses) {
    if (!claimedTypes.has(address.type)) enforced.push({ type: address.type, address: address.address });
  }
  return enforced;
}

/**
 * Whether `next` differs from `current` enough to write, as upstream's
 * `nodeAddressesChangeDetected`: a different length, or an address whose value differs from the
 * (last) value `current` holds for the same type. Reordering alone is not a change.
 */
export function nodeAddressesChangeDetected(current: readonly NodeAddress[], next: readonly NodeAddress[]): boolean {
  if (current.length !== next.length) return true;
  const byType = new Map<string, string>();
  for (const address of current) byType.set(address.type, address.address);
  return next.some((address) => byType.get(address.type) !== address.address);
}

/**
 * The strategic-merge status patch writing `next` as the node's addresses. `status.addresses` is
 * declared merge-by-type although types repeat, so the patch always carries `$patch: replace` —
 * a plain merge would keep stale addresses, and would even fold two new addresses of one type
 * (a dual-stack InternalIP pair) into one. Deviation: component-helpers' `PatchNodeStatus` adds
 * the directive only when the node already had (different) addresses, which loses the second
 * address of a type on a node without any.
 */
export function addressesStatusPatch(next: readonly NodeAddress[]): Patch {
  const list: unknown[] = [{ $patch: 'replace' }, ...next.map((a) => ({ type: a.type, address: a.address }))];
  return { type: 'strategic', body: { status: { addresses: list } } };
}
