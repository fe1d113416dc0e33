/**
 * The local provider's InstancesV2: answers from the config's inventory when there is one, else
 * derives everything from the Node itself (providerID `local://<node-name>`, its own addresses).
 *
 * @module
 */
import type { Node, NodeAddress } from 'kubernetes-types/core/v1.js';
import type { InstanceMetadata, InstancesV2 } from '../../cloud/instances-v2.js';
import type { InventoryInstance } from './local-config.js';

/** The providerID scheme of the local provider. */
export const LOCAL_PROVIDER_ID_PREFIX = 'local://';

// The kubelet records `--node-ip` here when it runs with an external cloud provider.
const PROVIDED_NODE_IP_ANNOTATION = 'alpha.kubernetes.io/provided-node-ip';

/** InstancesV2 over an optional inventory. */
export class LocalInstances implements InstancesV2 {
  readonly #inventory: readonly InventoryInstance[] | undefined;

  constructor(inventory: readonly InventoryInstance[] | undefined) {
    this.#inventory = inventory;
  }

  /** The inventory entry of a Node: by providerID first, then by name. */
  lookup(node: Readonly<Node>): InventoryInstance | undefined {
    const providerID = node.spec?.providerID;
    const name = node.metadata?.name;
    return (
      (providerID !== undefined && providerID !== '' ? this.#inventory?.find((i) => i.providerID === providerID) : undefined) ??
      this.#inventory?.find((i) => i.nodeName === name)
    );
  }

  /** With an inventory, only listed instances exist; without one, every Node's does. */
  instanceExists(node: Readonly<Node>): Promise<boolean> {
    return Promise.resolve(this.#inventory === undefined || this.lookup(node) !== undefined);
  }

  /** Shut down when the inventory says so; never without an inventory. */
  instanceShutdown(node: Readonly<Node>): Promise<boolean> {
    return Promise.resolve(this.lookup(node)?.shutdown ?? false);
  }

  instanceMetadata(node: Readonly<Node>): Promise<InstanceMetadata | undefined> {
    const name = node.metadata?.name ?? '';
    if (this.#inventory !== undefined) {
      const entry = this.lookup(node);
      // Not listed: the node controller leaves the Node uninitialised rather than guessing.
      if (entry === undefined) return Promise.resolve(undefined);
      return Promise.resolve({
        providerID: entry.providerID,
        nodeAddresses: entry.addresses.length > 0 ? entry.addresses.map((a) => ({ type: a.type, address: a.address })) : derivedAddresses(node),
        ...(entry.zone !== undefined && { zone: entry.zone }),
        ...(entry.region !== undefined && { region: entry.region }),
        ...(entry.instanceType !== undefined && { instanceType: entry.instanceType }),
      });
    }
    return Promise.resolve({ providerID: `${LOCAL_PROVIDER_ID_PREFIX}${name}`, nodeAddresses: derivedAddresses(node) });
  }
}

/** The Node's own InternalIP(s) (or the kubelet's provided node IP) plus its hostname. */
function derivedAddresses(node: Readonly<Node>): NodeAddress[] {
  const own = (node.status?.addresses ?? []).filter((a) => a.type === 'InternalIP' || a.type === 'Hostname');
  const out: NodeAddress[] = own.map((a) => ({ type: a.type, address: a.address }));
  if (!out.some((a) => a.type === 'InternalIP')) {
    for (const ip of (node.metadata?.annotations?.[PROVIDED_NODE_IP_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      out.push({ type: 'InternalIP', address: ip });
    }
  }
  if (!out.some((a) => a.type === 'Hostname') && node.metadata?.name !== undefined) out.push({ type: 'Hostname', address: node.metadata.name });
  return out;
}
