/**
 * The minimal strategic merge patches the service controller sends to `services/status`
 * (upstream `servicehelper.PatchService` computes a two-way strategic merge patch of the old and
 * new Service with spec reset, which for our three changes comes down to these bodies).
 *
 * @module
 */
import type { LoadBalancerIngress, Service } from 'kubernetes-types/core/v1.js';
import { LOAD_BALANCER_CLEANUP_FINALIZER } from '../../cloud/constants.js';
import type { Patch } from '../../kube/client.js';
import { loadBalancerIngressEqual, withApiServerDefaults } from './load-balancer-status.js';
import { hasLoadBalancerFinalizer } from './service-predicates.js';

/** What a patch should change; omitted parts stay as they are. */
export interface ServicePatchIntent {
  /** Add (`true`) or remove (`false`) the cleanup finalizer. */
  readonly finalizer?: boolean;
  /** The desired `status.loadBalancer.ingress` (`[]` clears it). */
  readonly ingress?: readonly LoadBalancerIngress[];
}

/**
 * The strategic merge patch taking `service` to the intent, or `undefined` when nothing would
 * change (so no request is sent). Finalizers are a set under strategic merge: adding sends just
 * the new value, removing uses `$deleteFromPrimitiveList`, so concurrent writers' finalizers
 * survive. `status.loadBalancer.ingress` is atomic, so it is sent whole (or `null` to clear); both
 * sides are compared after the apiserver's ipMode defaulting (so clusters with and without it
 * agree).
 */
export function servicePatch(service: Readonly<Service>, intent: ServicePatchIntent): Patch | undefined {
  const metadata: Record<string, unknown> = {};
  const has = hasLoadBalancerFinalizer(service);
  if (intent.finalizer === true && !has) metadata['finalizers'] = [LOAD_BALANCER_CLEANUP_FINALIZER];
  if (intent.finalizer === false && has) metadata[`$deleteFromPrimitiveList/finalizers`] = [LOAD_BALANCER_CLEANUP_FINALIZER];
  const body: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) body['metadata'] = metadata;
  if (intent.ingress !== undefined && !loadBalancerIngressEqual(withApiServerDefaults(service.status?.loadBalancer?.ingress ?? []), withApiServerDefaults(intent.ingress))) {
    body['status'] = { loadBalancer: { ingress: intent.ingress.length === 0 ? null : intent.ingress } };
    // The ingress was computed from this version of the Service: if anyone wrote it since (a new
    // leader, a user), the patch fails with 409 and the Service is synced again from the fresh
    // copy, instead of a stale ingress overwriting a newer one. Upstream's patch is unconditional.
    const rv = service.metadata?.resourceVersion;
    if (rv !== undefined && rv !== '') metadata['resourceVersion'] = rv;
    if (Object.keys(metadata).length > 0) body['metadata'] = metadata;
  }
  return Object.keys(body).length === 0 ? undefined : { type: 'strategic', body };
}
