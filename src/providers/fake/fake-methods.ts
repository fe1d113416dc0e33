/**
 * The catalogue of what the fake cloud provider can be asked: every contract method by name, the
 * arguments it records, and the capability it belongs to.
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import type { ProviderInitContext } from '../../cloud/provider.js';
import type { Route } from '../../cloud/routes.js';

/**
 * The arguments each method records, in order, without the trailing `{ signal }` options object
 * (an AbortSignal cannot be copied, and no assertion needs it).
 */
export interface FakeCallArgs {
  // Provider lifecycle: recorded by reference, since the context and informer factory are live objects.
  initialize: readonly [ctx: ProviderInitContext];
  setInformers: readonly [informers: unknown];
  // LoadBalancer
  getLoadBalancer: readonly [clusterName: string, service: Readonly<Service>];
  getLoadBalancerName: readonly [clusterName: string, service: Readonly<Service>];
  ensureLoadBalancer: readonly [clusterName: string, service: Readonly<Service>, nodes: readonly Readonly<Node>[]];
  updateLoadBalancer: readonly [clusterName: string, service: Readonly<Service>, nodes: readonly Readonly<Node>[]];
  ensureLoadBalancerDeleted: readonly [clusterName: string, service: Readonly<Service>];
  // Instances (v1)
  nodeAddresses: readonly [nodeName: string];
  nodeAddressesByProviderID: readonly [providerID: string];
  instanceID: readonly [nodeName: string];
  instanceType: readonly [nodeName: string];
  instanceTypeByProviderID: readonly [providerID: string];
  addSSHKeyToAllInstances: readonly [user: string, keyData: Uint8Array];
  currentNodeName: readonly [hostname: string];
  instanceExistsByProviderID: readonly [providerID: string];
  instanceShutdownByProviderID: readonly [providerID: string];
  // InstancesV2
  instanceExists: readonly [node: Readonly<Node>];
  instanceShutdown: readonly [node: Readonly<Node>];
  instanceMetadata: readonly [node: Readonly<Node>];
  // Zones
  getZone: readonly [];
  getZoneByProviderID: readonly [providerID: string];
  getZoneByNodeName: readonly [nodeName: string];
  // Clusters
  listClusters: readonly [];
  master: readonly [clusterName: string];
  // Routes
  listRoutes: readonly [clusterName: string];
  createRoute: readonly [clusterName: string, nameHint: string, route: Readonly<Route>];
  deleteRoute: readonly [clusterName: string, route: Readonly<Route>];
}

/** A method of the fake, named as in the provider contract (`'ensureLoadBalancer'`, `'instanceMetadata'`, …). */
export type FakeMethod = keyof FakeCallArgs;

/** The methods that return a promise, and so can be delayed ({@link FakeMethod} minus the synchronous `setInformers`). */
export type FakeAsyncMethod = Exclude<FakeMethod, 'setInformers'>;

/** The optional capabilities a fake can expose, named as the provider getters. */
export type FakeCapability = 'instances' | 'instancesV2' | 'zones' | 'clusters' | 'loadBalancer' | 'routes';

/** Every capability, in the order the contract declares them. */
export const FAKE_CAPABILITIES: readonly FakeCapability[] = Object.freeze([
  'loadBalancer',
  'instances',
  'instancesV2',
  'zones',
  'clusters',
  'routes',
]);

// A Record keyed by every method, so adding a method to FakeCallArgs fails to compile until it is
// placed here too.
const METHOD_CAPABILITY: Readonly<Record<FakeMethod, FakeCapability | 'provider'>> = {
  initialize: 'provider',
  setInformers: 'provider',
  getLoadBalancer: 'loadBalancer',
  getLoadBalancerName: 'loadBalancer',
  ensureLoadBalancer: 'loadBalancer',
  updateLoadBalancer: 'loadBalancer',
  ensureLoadBalancerDeleted: 'loadBalancer',
  nodeAddresses: 'instances',
  nodeAddressesByProviderID: 'instances',
  instanceID: 'instances',
  instanceType: 'instances',
  instanceTypeByProviderID: 'instances',
  addSSHKeyToAllInstances: 'instances',
  currentNodeName: 'instances',
  instanceExistsByProviderID: 'instances',
  instanceShutdownByProviderID: 'instances',
  instanceExists: 'instancesV2',
  instanceShutdown: 'instancesV2',
  instanceMetadata: 'instancesV2',
  getZone: 'zones',
  getZoneByProviderID: 'zones',
  getZoneByNodeName: 'zones',
  listClusters: 'clusters',
  master: 'clusters',
  listRoutes: 'routes',
  createRoute: 'routes',
  deleteRoute: 'routes',
};

/** Every method name the fake records, fails and delays. */
export const FAKE_METHODS: readonly FakeMethod[] = Object.freeze(Object.keys(METHOD_CAPABILITY) as FakeMethod[]);

/** The capability `method` belongs to, or `'provider'` for `initialize` and `setInformers`. */
export function capabilityOf(method: FakeMethod): FakeCapability | 'provider' {
  return METHOD_CAPABILITY[method];
}

/** Whether `value` names a {@link FakeMethod}. */
export function isFakeMethod(value: unknown): value is FakeMethod {
  return typeof value === 'string' && Object.hasOwn(METHOD_CAPABILITY, value);
}

/** Whether `value` names a {@link FakeCapability}. */
export function isFakeCapability(value: unknown): value is FakeCapability {
  return typeof value === 'string' && (FAKE_CAPABILITIES as readonly string[]).includes(value);
}
