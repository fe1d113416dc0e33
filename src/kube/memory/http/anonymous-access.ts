/**
 * What kube-apiserver lets a request without credentials do (anonymous authentication is on by
 * default): it becomes `system:anonymous`, whose only grant is `system:public-info-viewer` — GET
 * of health and version — and everything else is refused with 403 (not 401, which is for
 * credentials that do not authenticate). The messages are the apiserver's, word for word
 * (pinned by test/e2e/sandbox-differential.test.ts).
 *
 * @module
 */
import { KubeApiError } from '../../errors.js';
import type { ResourceType } from '../../resources.js';

/** `system:public-info-viewer`'s nonResourceURLs. */
const PUBLIC_INFO_PATHS: ReadonlySet<string> = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

const ANONYMOUS = 'system:anonymous';

/** Whether an anonymous request may go ahead. */
export function anonymousMayRequest(method: string, pathname: string): boolean {
  return method === 'GET' && PUBLIC_INFO_PATHS.has(pathname);
}

/** A resource request as the authorizer sees it. */
export interface ResourceRequest {
  readonly type: Pick<ResourceType, 'group' | 'resource'>;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly subresource?: string | undefined;
  readonly watch: boolean;
}

/** The verb of a resource request (the apiserver's RequestInfo). */
function verbOf(method: string, request: ResourceRequest): string {
  switch (method) {
    case 'GET':
    case 'HEAD':
      if (request.watch) return 'watch';
      return request.name === undefined ? 'list' : 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return request.name === undefined ? 'deletecollection' : 'delete';
    default:
      return method.toLowerCase();
  }
}

/** The 403 for an anonymous resource request (`request`) or non-resource request (`undefined`). */
export function anonymousForbidden(method: string, pathname: string, request: ResourceRequest | undefined): KubeApiError {
  if (request === undefined) {
    return new KubeApiError(403, 'Forbidden', `forbidden: User "${ANONYMOUS}" cannot ${method.toLowerCase()} path "${pathname}"`, { details: {} });
  }
  const { group, resource } = request.type;
  const qualified = group === '' ? resource : `${resource}.${group}`;
  const scope = request.namespace === undefined ? 'at the cluster scope' : `in the namespace "${request.namespace}"`;
  const full = request.subresource === undefined ? resource : `${resource}/${request.subresource}`;
  const subject = request.name === undefined ? qualified : `${qualified} "${request.name}"`;
  return new KubeApiError(403, 'Forbidden', `${subject} is forbidden: User "${ANONYMOUS}" cannot ${verbOf(method, request)} resource "${full}" in API group "${group}" ${scope}`, {
    details: { ...(request.name === undefined ? {} : { name: request.name }), ...(group === '' ? {} : { group }), kind: resource },
  });
}
