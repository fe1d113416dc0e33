/**
 * Hooks: how the suite looks inside a provider's cloud or changes it, for the cases the
 * Kubernetes API alone cannot decide (did the load balancer really move to the new port? is the
 * instance gone?). A case that needs a hook the target lacks is SKIPPED, naming the hook.
 * Outrigger's `fake` and `local` providers bring theirs.
 *
 * @module
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { CloudProvider } from '../cloud/provider.js';
import { FakeCloudProvider } from '../providers/fake/fake-provider.js';
import { LocalCloudProvider } from '../providers/local/local-provider.js';

/** A load balancer as the cloud holds it; leave out what you cannot tell. */
export interface InspectedLoadBalancer {
  /** The frontend ports it serves. */
  readonly ports?: readonly { readonly port: number; readonly protocol: string }[];
  /** Names of the Nodes it sends traffic to. */
  readonly nodes?: readonly string[];
}

/** Optional ways into the provider's cloud; each receives the provider object its factory built. */
export interface ConformanceHooks {
  /** The Service's load balancer as the cloud holds it; `undefined` when there is none. */
  readonly inspectLoadBalancer?: (provider: CloudProvider, service: Readonly<Service>) => InspectedLoadBalancer | undefined | Promise<InspectedLoadBalancer | undefined>;
  /** Makes the instance behind `nodeName` gone from the cloud (deleted, not stopped). */
  readonly removeInstance?: (provider: CloudProvider, nodeName: string) => void | Promise<void>;
}

function keyOf(service: Readonly<Service>): string {
  return `${service.metadata?.namespace ?? 'default'}/${service.metadata?.name ?? ''}`;
}

/** The hooks of Outrigger's own providers (and subclasses); none for any other. */
export function builtinHooks(provider: CloudProvider): ConformanceHooks {
  if (provider instanceof FakeCloudProvider) {
    return {
      // The fake keeps no ports of its own: what it was last told to build is its cloud state.
      inspectLoadBalancer: (p, service) => {
        const fake = p as FakeCloudProvider;
        const state = fake.loadBalancerFor(keyOf(service));
        if (state === undefined) return undefined;
        const last = fake.calls('ensureLoadBalancer').filter((c) => keyOf(c.args[1]) === keyOf(service)).at(-1);
        const ports = (last?.args[1].spec?.ports ?? []).map((port) => ({ port: port.port, protocol: port.protocol ?? 'TCP' }));
        return { ports, nodes: state.nodes };
      },
      removeInstance: (p, nodeName) => {
        (p as FakeCloudProvider).updateInstance({ nodeName }, { exists: false });
      },
    };
  }
  if (provider instanceof LocalCloudProvider) {
    return {
      // The listening sockets and the backend set of the Service's data plane.
      inspectLoadBalancer: (p, service) => {
        const plane = (p as LocalCloudProvider).localLoadBalancer.dataPlane(keyOf(service));
        if (plane === undefined) return undefined;
        return {
          ports: plane.listenerStats().map((l) => ({ port: l.port, protocol: l.protocol })),
          nodes: plane.health.states().map((h) => h.node),
        };
      },
    };
  }
  return {};
}
