/**
 * Asking the provider about a node's instance, as upstream's node controller does: one
 * `instanceMetadata` call with InstancesV2, or the legacy Instances (v1) calls with their
 * by-providerID-then-by-name fallbacks (plus Zones when offered).
 *
 * @module
 */
import type { Node, NodeAddress } from 'kubernetes-types/core/v1.js';
import type { ProviderCallOptions } from '../../cloud/call-options.js';
import { ProviderContractError, isNotImplemented } from '../../cloud/errors.js';
import { getInstanceProviderID } from '../../cloud/helpers.js';
import type { Instances } from '../../cloud/instances.js';
import type { InstanceMetadata } from '../../cloud/instances-v2.js';
import type { CloudProvider } from '../../cloud/provider.js';
import type { Logger } from '../../log/logger.js';
import { errorMessage } from '../../log/error-message.js';


/** Calls `byProviderID`, falling back to `byName` on failure; both failing ⇒ one error naming both. */
async function withNameFallback<R>(what: string, byProviderID: () => Promise<R>, byName: () => Promise<R>): Promise<R> {
  try {
    return await byProviderID();
  } catch (providerIDErr) {
    try {
      return await byName();
    } catch (nameErr) {
      // The name lookup's error is the cause; the providerID one is kept in the message, as upstream.
      throw new Error(`${what}: error fetching by providerID: ${errorMessage(providerIDErr)}, and error by node name: ${errorMessage(nameErr)}`, {
        cause: nameErr,
      });
    }
  }
}

function nodeAddressesOf(instances: Instances, providerID: string, nodeName: string, options: ProviderCallOptions): Promise<NodeAddress[]> {
  return withNameFallback(
    'node addresses',
    () => instances.nodeAddressesByProviderID(providerID, options),
    () => instances.nodeAddresses(nodeName, options),
  );
}

/**
 * The metadata used to initialise `node` (upstream `getInstanceMetadata`). Resolves `undefined`
 * when InstancesV2 answers "no metadata" (the node is then skipped).
 *
 * - InstancesV2: a result without providerID takes the node's; if the node has none either, a
 *   {@link ProviderContractError} naming the provider and node is thrown — upstream refuses to
 *   initialise such a node, since other controllers need the (immutable) providerID.
 * - Instances: providerID from the node, else `<provider>://<instanceID>`; `NotImplemented` there
 *   lets initialisation go on without one (as upstream), any other error fails. Addresses and
 *   type by providerID, falling back to by name; zone likewise when Zones is offered.
 */
export async function getInstanceMetadata(
  cloud: CloudProvider,
  node: Readonly<Node>,
  options: ProviderCallOptions & { readonly log: Logger },
): Promise<InstanceMetadata | undefined> {
  const { log, ...callOptions } = options;
  const nodeName = node.metadata?.name ?? '';
  let providerID = node.spec?.providerID ?? '';
  const v2 = cloud.instancesV2?.();
  if (v2 !== undefined) {
    const metadata = await v2.instanceMetadata(node, callOptions);
    // Guard what TypeScript cannot: a JavaScript provider may resolve null.
    if (metadata === undefined || metadata === null) return undefined;
    if (metadata.providerID === undefined || metadata.providerID === '') {
      if (providerID === '') {
        throw new ProviderContractError(cloud.name, `cloud provider does not set node provider ID for node ${JSON.stringify(nodeName)}`);
      }
      return { ...metadata, providerID };
    }
    return metadata;
  }
  const instances = cloud.instances?.();
  if (instances === undefined) throw new Error('failed to get instances from cloud provider');
  if (providerID === '') {
    try {
      providerID = await getInstanceProviderID(cloud, nodeName, callOptions);
    } catch (err) {
      if (!isNotImplemented(err)) throw err;
      log.info('Cloud provider does not set node provider ID, using node name to discover node', { node: nodeName });
    }
  }
  const nodeAddresses = await nodeAddressesOf(instances, providerID, nodeName, callOptions);
  const instanceType = await withNameFallback(
    'instance type',
    () => instances.instanceTypeByProviderID(providerID, callOptions),
    () => instances.instanceType(nodeName, callOptions),
  );
  const metadata: { -readonly [K in keyof InstanceMetadata]: InstanceMetadata[K] } = { providerID, instanceType, nodeAddresses };
  const zones = cloud.zones?.();
  if (zones === undefined) return metadata;
  let zone;
  try {
    zone = await withNameFallback(
      'zone',
      () => zones.getZoneByProviderID(providerID, callOptions),
      () => zones.getZoneByNodeName(nodeName, callOptions),
    );
  } catch (err) {
    throw new Error(`failed to get zone from cloud provider: ${errorMessage(err)}`, { cause: err });
  }
  if (zone.failureDomain !== '') metadata.zone = zone.failureDomain;
  if (zone.region !== '') metadata.region = zone.region;
  return metadata;
}

/**
 * The addresses for the periodic refresh of an initialised node (upstream
 * `getInstanceNodeAddresses`): the full metadata with InstancesV2 (may be `undefined`), only the
 * addresses — by providerID, falling back to by name — with Instances.
 */
export async function getInstanceNodeAddresses(cloud: CloudProvider, node: Readonly<Node>, options: ProviderCallOptions): Promise<InstanceMetadata | undefined> {
  const v2 = cloud.instancesV2?.();
  if (v2 !== undefined) return (await v2.instanceMetadata(node, options)) ?? undefined;
  const instances = cloud.instances?.();
  if (instances === undefined) throw new Error('failed to get instances from cloud provider');
  const nodeAddresses = await nodeAddressesOf(instances, node.spec?.providerID ?? '', node.metadata?.name ?? '', options);
  return { nodeAddresses };
}
