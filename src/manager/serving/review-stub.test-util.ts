/**
 * Test double for delegated auth: a KubeClient whose only working calls are TokenReview and
 * SubjectAccessReview creates, answered from scripts (shared by the serving tests; `.test-util`
 * keeps it out of the published build and out of the test runner's file list).
 */
import type { TokenReview } from 'kubernetes-types/authentication/v1.js';
import type { SubjectAccessReview } from 'kubernetes-types/authorization/v1.js';
import type { KubeClient, ResourceClient } from '../../kube/client.js';
import { apiErrors } from '../../kube/errors.js';
import type { KubeObject, ResourceType } from '../../kube/resources.js';

/** Answers TokenReviews and SubjectAccessReviews from scripts; records every review it gets. */
export class ReviewStub {
  readonly tokenReviews: TokenReview[] = [];
  readonly accessReviews: SubjectAccessReview[] = [];
  /** token → user (authenticated) ; missing ⇒ not authenticated. */
  users = new Map<string, { username: string; groups?: string[]; uid?: string }>();
  /** `${user} ${verb} ${path}` allowed. */
  allowed = new Set<string>();
  failTokenReviews = false;
  failAccessReviews = false;

  readonly client: KubeClient;

  constructor() {
    const unsupported = <T extends KubeObject>(type: ResourceType<T>): ResourceClient<T> => {
      const no = (): never => {
        throw new Error(`stub: ${type.resource} not scripted`);
      };
      return { type, get: no, list: no, watch: no, create: no, update: no, updateStatus: no, patch: no, patchStatus: no, delete: no, createSubresource: no };
    };
    this.client = {
      nodes: unsupported({ group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false, hasStatus: true }),
      services: unsupported({ group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true, hasStatus: true }),
      events: unsupported({ group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true, hasStatus: false }),
      leases: unsupported({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true, hasStatus: false }),
      resource: <T extends KubeObject>(type: ResourceType<T>): ResourceClient<T> => {
        const base = unsupported(type);
        return {
          ...base,
          // Answers on a later microtask, as a network call would.
          create: (object: T): Promise<T> =>
            Promise.resolve().then(() => {
              if (type.resource === 'tokenreviews') return this.#tokenReview(object as unknown as TokenReview) as unknown as T;
              if (type.resource === 'subjectaccessreviews') return this.#accessReview(object as unknown as SubjectAccessReview) as unknown as T;
              throw apiErrors.notFound(type.resource, type.group, '');
            }),
        };
      },
    };
  }

  #tokenReview(review: TokenReview): TokenReview {
    this.tokenReviews.push(review);
    if (this.failTokenReviews) throw apiErrors.internal('etcd down');
    const user = this.users.get(review.spec.token ?? '');
    return { ...review, status: user === undefined ? { authenticated: false, error: 'invalid token' } : { authenticated: true, user } };
  }

  #accessReview(review: SubjectAccessReview): SubjectAccessReview {
    this.accessReviews.push(review);
    if (this.failAccessReviews) throw apiErrors.internal('etcd down');
    const a = review.spec.nonResourceAttributes;
    const allowed = this.allowed.has(`${review.spec.user} ${a?.verb} ${a?.path}`);
    return { ...review, status: allowed ? { allowed: true, reason: 'RBAC: allowed' } : { allowed: false, reason: '' } };
  }
}
