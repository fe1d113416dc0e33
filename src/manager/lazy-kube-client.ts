/**
 * A KubeClient whose connection is set up on first use. The provider's `ClientBuilder.client(name)`
 * is synchronous (as upstream's `ClientOrDie`), while building a client for a new name — loading
 * the kubeconfig, and with `--use-service-account-credentials` a service account of its own — is
 * asynchronous; every seam call is asynchronous anyway, so it simply waits for the build first.
 *
 * @module
 */
import type { KubeClient, ResourceClient } from '../kube/client.js';
import { EVENTS, LEASES, NODES, SERVICES } from '../kube/resources.js';
import type { KubeObject, ResourceType } from '../kube/resources.js';

function lazyResource<T extends KubeObject>(type: ResourceType<T>, client: () => Promise<KubeClient>): ResourceClient<T> {
  const of = async (): Promise<ResourceClient<T>> => (await client()).resource(type);
  return {
    type,
    get: async (key, o) => (await of()).get(key, o),
    list: async (o) => (await of()).list(o),
    watch: async (o) => (await of()).watch(o),
    create: async (obj, o) => (await of()).create(obj, o),
    update: async (obj, o) => (await of()).update(obj, o),
    updateStatus: async (obj, o) => (await of()).updateStatus(obj, o),
    patch: async (key, p, o) => (await of()).patch(key, p, o),
    patchStatus: async (key, p, o) => (await of()).patchStatus(key, p, o),
    delete: async (key, o) => (await of()).delete(key, o),
    createSubresource: async (key, sub, body, o) => (await of()).createSubresource(key, sub, body, o),
  };
}

/** A KubeClient that builds the real one with `build` on its first call (once; a failed build is retried on the next call). */
export function lazyKubeClient(build: () => Promise<KubeClient>): KubeClient {
  let pending: Promise<KubeClient> | undefined;
  const client = (): Promise<KubeClient> => {
    pending ??= build().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
  return {
    nodes: lazyResource(NODES, client),
    services: lazyResource(SERVICES, client),
    events: lazyResource(EVENTS, client),
    leases: lazyResource(LEASES, client),
    resource: (type) => lazyResource(type, client),
  };
}
