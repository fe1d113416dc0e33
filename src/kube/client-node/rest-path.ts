/**
 * Kubernetes REST paths for the adapter, with the client-side checks client-go's REST client
 * makes before sending (an object needs a name; scope decides whether a namespace is allowed).
 *
 * @module
 */
import { apiErrors } from '../errors.js';
import type { ResourceType } from '../resources.js';

/** `/api/v1` or `/apis/{group}/{version}`. */
export function groupVersionPath(type: Pick<ResourceType, 'group' | 'version'>): string {
  return type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
}

/** The collection path; a namespaced resource without a namespace is the all-namespaces collection. */
export function collectionPath(type: ResourceType, namespace: string | undefined): string {
  const ns = namespace ?? '';
  if (ns !== '' && !type.namespaced) throw apiErrors.badRequest(`${type.resource} is cluster-scoped: a namespace may not be given`);
  const prefix = groupVersionPath(type);
  return ns === '' ? `${prefix}/${type.resource}` : `${prefix}/namespaces/${encodeURIComponent(ns)}/${type.resource}`;
}

/** The path of one object (and optionally one of its subresources: `status`, `token`, …). */
export function objectPath(type: ResourceType, namespace: string | undefined, name: string | undefined, subresource?: string): string {
  if (name === undefined || name === '') throw apiErrors.badRequest('resource name may not be empty');
  const ns = namespace ?? '';
  if (type.namespaced && ns === '') throw apiErrors.badRequest(`a namespace is required for the namespaced resource ${type.resource}`);
  const path = `${collectionPath(type, ns)}/${encodeURIComponent(name)}`;
  return subresource === undefined ? path : `${path}/${encodeURIComponent(subresource)}`;
}
