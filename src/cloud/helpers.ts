/**
 * Helpers upstream ships next to the interface (`cloud.go`): the default load-balancer name and
 * building a providerID from the legacy Instances capability.
 *
 * @module
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { ProviderCallOptions } from './call-options.js';
import { describeValue } from './describe-value.js';
import { hasErrorCode, isInstanceNotFound, ProviderContractError } from './errors.js';
import type { CloudProvider } from './provider.js';
import { errorMessage } from '../log/error-message.js';

// GCE wants names starting with a lower-case letter; AWS caps them at 32 bytes (UIDs are ASCII).
const MAX_LOAD_BALANCER_NAME_LENGTH = 32;

/**
 * The backward-compatible load-balancer name: `a` followed by the Service UID without dashes,
 * cut to 32 characters. Upstream deprecates it in favour of provider-specific, readable names,
 * but providers keep it for load balancers created before Kubernetes 1.12.
 */
export function defaultLoadBalancerName(service: Readonly<Service>): string {
  const name = `a${service.metadata?.uid ?? ''}`.replaceAll('-', '');
  return name.slice(0, MAX_LOAD_BALANCER_NAME_LENGTH);
}

/**
 * Builds `<provider.name>://<instance-id>` for node `nodeName` through the legacy Instances
 * capability, as upstream's `GetInstanceProviderID`:
 * - no Instances capability ⇒ throws "failed to get instances from cloud provider";
 * - `NotImplementedError` and `InstanceNotFoundError` from `instanceID` are rethrown unchanged
 *   (callers branch on them);
 * - any other failure is wrapped: "failed to get instance ID from cloud provider: <message>",
 *   with the original as `cause`.
 *
 * Deviation: an empty (or non-string) instance ID throws a {@link ProviderContractError} instead
 * of producing `<name>://`, because a providerID cannot be changed once written to a Node.
 */
export async function getInstanceProviderID(provider: CloudProvider, nodeName: string, options: ProviderCallOptions = {}): Promise<string> {
  const instances = provider.instances?.();
  if (instances === undefined) throw new Error('failed to get instances from cloud provider');
  let instanceID: unknown;
  try {
    instanceID = await instances.instanceID(nodeName, options);
  } catch (err) {
    // Upstream passes these two through by identity only; a wrapped one gets wrapped again.
    if (hasErrorCode(err, 'NotImplemented') || isInstanceNotFound(err)) throw err;
    throw new Error(`failed to get instance ID from cloud provider: ${errorMessage(err)}`, { cause: err });
  }
  if (typeof instanceID !== 'string' || instanceID === '') {
    throw new ProviderContractError(
      provider.name,
      `instanceID(${JSON.stringify(nodeName)}) returned ${instanceID === '' ? 'an empty ID' : describeValue(instanceID)}; ` +
        'throw InstanceNotFoundError when the instance does not exist',
    );
  }
  return `${provider.name}://${instanceID}`;
}
