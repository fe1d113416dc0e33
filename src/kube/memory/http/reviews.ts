/**
 * The review APIs of the simulated API's HTTP face (a test double and sandbox): TokenReview and
 * SelfSubjectReview (authentication.k8s.io/v1); SubjectAccessReview, SelfSubjectAccessReview,
 * LocalSubjectAccessReview and SelfSubjectRulesReview (authorization.k8s.io/v1), decided by the
 * RBAC evaluator over the Roles and Bindings stored in the simulated server. They let the
 * manager's delegated authentication and authorization of `/metrics`, `kubectl auth can-i` and
 * `kubectl auth whoami` work. Answers are never stored, as upstream.
 *
 * @module
 */
import { apiErrors } from '../../errors.js';
import { isJsonObject } from '../../json-value.js';
import type { JsonObject } from '../../json-value.js';
import { authorize, rulesFor } from '../rbac.js';
import type { AccessAttributes, RbacObjects, UserInfo } from '../rbac.js';
import type { ReviewResource } from '../served-kinds.js';

/** What a review needs from the face. */
export interface ReviewContext {
  /** Who sent the request. */
  readonly requester: UserInfo;
  /** Who a bearer token authenticates as, or undefined. */
  readonly authenticate: (token: string) => UserInfo | undefined;
  /** The stored RBAC objects. */
  readonly rbac: () => RbacObjects;
  /** The namespace in the URL (LocalSubjectAccessReview). */
  readonly namespace: string | undefined;
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function userJson(user: UserInfo): JsonObject {
  return { username: user.username, ...(user.uid === undefined ? {} : { uid: user.uid }), groups: [...user.groups] };
}

function attributesOf(spec: JsonObject, kind: string): AccessAttributes {
  const ra = spec['resourceAttributes'];
  const nra = spec['nonResourceAttributes'];
  if (isJsonObject(ra)) {
    return {
      kind: 'resource',
      verb: str(ra['verb']),
      group: str(ra['group']),
      resource: str(ra['resource']),
      subresource: str(ra['subresource']),
      namespace: str(ra['namespace']),
      name: str(ra['name']),
    };
  }
  if (isJsonObject(nra)) return { kind: 'nonResource', verb: str(nra['verb']), path: str(nra['path']) };
  // As ValidateSubjectAccessReviewSpec.
  throw apiErrors.invalid(kind, 'authorization.k8s.io', '', [
    { reason: 'FieldValueRequired', field: 'spec.resourceAttributes', message: 'Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified' },
  ]);
}

/** Answers one review request (`body` is what the client posted). */
export function answerReview(review: ReviewResource, body: JsonObject, ctx: ReviewContext): JsonObject {
  const spec = isJsonObject(body['spec']) ? body['spec'] : {};
  const head = { kind: review.kind, apiVersion: `${review.group}/${review.version}`, metadata: { creationTimestamp: null } };
  switch (review.kind) {
    case 'TokenReview': {
      const user = ctx.authenticate(str(spec['token']));
      const audiences = Array.isArray(spec['audiences']) ? spec['audiences'] : [];
      return {
        ...head,
        spec,
        status: user === undefined ? { user: {}, error: 'invalid bearer token' } : { authenticated: true, user: userJson(user), ...(audiences.length > 0 ? { audiences } : {}) },
      };
    }
    case 'SelfSubjectReview':
      return { ...head, status: { userInfo: userJson(ctx.requester) } };
    case 'SelfSubjectRulesReview': {
      const rules = rulesFor(ctx.rbac(), ctx.requester, str(spec['namespace']));
      return { ...head, spec, status: { ...rules, incomplete: false } };
    }
    case 'SubjectAccessReview':
    case 'LocalSubjectAccessReview':
    case 'SelfSubjectAccessReview': {
      let user = ctx.requester;
      if (review.kind !== 'SelfSubjectAccessReview') {
        const username = str(spec['user']);
        const groups = Array.isArray(spec['groups']) ? spec['groups'].filter((g): g is string => typeof g === 'string') : [];
        if (username === '' && groups.length === 0) {
          throw apiErrors.invalid(review.kind, 'authorization.k8s.io', '', [
            { reason: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' },
          ]);
        }
        user = { username, groups, ...(typeof spec['uid'] === 'string' ? { uid: spec['uid'] } : {}) };
      }
      const attrs = attributesOf(spec, review.kind);
      if (review.kind === 'LocalSubjectAccessReview' && (attrs.kind !== 'resource' || attrs.namespace !== (ctx.namespace ?? ''))) {
        throw apiErrors.invalid(review.kind, 'authorization.k8s.io', '', [
          {
            reason: 'FieldValueInvalid',
            field: 'spec.resourceAttributes.namespace',
            message: `Invalid value: ${JSON.stringify(attrs.kind === 'resource' ? attrs.namespace : '')}: must match metadata.namespace`,
          },
        ]);
      }
      const decision = authorize(ctx.rbac(), user, attrs);
      return { ...head, spec, status: { allowed: decision.allowed, ...(decision.reason === '' ? {} : { reason: decision.reason }) } };
    }
    default:
      throw apiErrors.methodNotAllowed('the server does not allow this method on the requested resource');
  }
}
