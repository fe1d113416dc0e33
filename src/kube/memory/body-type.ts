/**
 * The type check kube-apiserver's decoder makes on a request body: the body's `apiVersion` and
 * `kind` (each defaulting to the URL's) must name the URL's type. A body of another kind is
 * refused with the decoder's words, never stored as the URL's kind.
 *
 * @module
 */
import { apiVersionOf } from '../resources.js';
import type { ResourceType } from '../resources.js';
import type { JsonObject } from '../json-value.js';

/** What kube-apiserver names its scheme in "no kind is registered" errors. */
const SCHEME_NAME = 'pkg/runtime/scheme.go:111';

/**
 * The internal package a group's types convert to, as conversion errors name it
 * (`core.Service`, `coordination.Lease`); events.k8s.io Events are core Events inside.
 */
function internalPackageOf(group: string): string {
  if (group === '' || group === 'events.k8s.io') return 'core';
  return group.split('.')[0] ?? group;
}

/**
 * The BadRequest message for a body that is not of `type`, or `undefined` when it is. `serves`
 * tells whether the server knows a kind at an apiVersion (kube-apiserver's scheme knows more
 * kinds than any simulated server serves: a kind it would convert and this one does not know is
 * reported as unregistered, still a 400).
 */
export function bodyTypeMismatch(type: ResourceType, body: JsonObject, serves: (apiVersion: string, kind: string) => boolean): string | undefined {
  const expectedVersion = apiVersionOf(type);
  const apiVersion = typeof body['apiVersion'] === 'string' && body['apiVersion'] !== '' ? body['apiVersion'] : expectedVersion;
  const kind = typeof body['kind'] === 'string' && body['kind'] !== '' ? body['kind'] : type.kind;
  if (apiVersion === expectedVersion && kind === type.kind) return undefined;
  const slash = apiVersion.indexOf('/');
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  const why = serves(apiVersion, kind)
    ? `converting (${version}.${kind}) to (${internalPackageOf(type.group)}.${type.kind}): unknown conversion`
    : `no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)} in scheme ${JSON.stringify(SCHEME_NAME)}`;
  return `${kind} in version ${JSON.stringify(version)} cannot be handled as a ${type.kind}: ${why}`;
}
