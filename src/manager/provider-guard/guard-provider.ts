/**
 * The manager's guard around a provider: every capability call gets a deadline (its AbortSignal
 * aborts, the caller is answered with a {@link ProviderCallTimeoutError}, a line is logged), and
 * every answer a controller would write to the API or act on is checked first (a
 * {@link ProviderContractError} names the provider and the method). A capability getter that
 * answers `null` counts as "not supported", as `undefined` does.
 *
 * The controllers see the guarded provider; the provider itself is unchanged.
 *
 * @module
 */
import { ProviderContractError } from '../../cloud/errors.js';
import type { CloudProvider } from '../../cloud/provider.js';
import type { Clock } from '../../kube/clock.js';
import type { Logger } from '../../log/logger.js';
import { checkBoolean, checkInstanceMetadata, checkLoadBalancerLookup, checkLoadBalancerStatus, checkNodeAddresses } from './answer-checks.js';
import { ProviderCallTimeoutError, SharedDeadlines } from './call-deadline.js';

/** One guarded method: where its options argument sits, how its answer is checked, what it is about. */
interface MethodRule {
  /** Index of the trailing `ProviderCallOptions` argument. */
  readonly options: number;
  readonly check?: (answer: unknown) => string | undefined;
  /** `null` answers become `undefined` (an absent optional answer). */
  readonly nullIsUndefined?: boolean;
  /** The argument that is a Node, for a Warning event on a timeout. */
  readonly node?: number;
}

type Capability = 'loadBalancer' | 'instances' | 'instancesV2' | 'zones' | 'clusters' | 'routes';

const RULES: Readonly<Record<Capability, Readonly<Record<string, MethodRule>>>> = {
  loadBalancer: {
    getLoadBalancer: { options: 2, check: checkLoadBalancerLookup },
    getLoadBalancerName: { options: 2 },
    ensureLoadBalancer: { options: 3, check: checkLoadBalancerStatus },
    updateLoadBalancer: { options: 3 },
    ensureLoadBalancerDeleted: { options: 2 },
  },
  instances: {
    nodeAddresses: { options: 1, check: (a) => checkNodeAddresses(a ?? null) },
    nodeAddressesByProviderID: { options: 1, check: (a) => checkNodeAddresses(a ?? null) },
    instanceID: { options: 1 },
    instanceType: { options: 1 },
    instanceTypeByProviderID: { options: 1 },
    addSSHKeyToAllInstances: { options: 2 },
    currentNodeName: { options: 1 },
    instanceExistsByProviderID: { options: 1, check: checkBoolean },
    instanceShutdownByProviderID: { options: 1, check: checkBoolean },
  },
  instancesV2: {
    instanceExists: { options: 1, check: checkBoolean, node: 0 },
    instanceShutdown: { options: 1, check: checkBoolean, node: 0 },
    instanceMetadata: { options: 1, check: checkInstanceMetadata, nullIsUndefined: true, node: 0 },
  },
  zones: {
    getZone: { options: 0 },
    getZoneByProviderID: { options: 1 },
    getZoneByNodeName: { options: 1 },
  },
  clusters: {
    listClusters: { options: 0 },
    master: { options: 1 },
  },
  routes: {
    listRoutes: { options: 1 },
    createRoute: { options: 3 },
    deleteRoute: { options: 2 },
  },
};

/** Options of {@link guardProvider}. */
export interface ProviderGuardOptions {
  readonly clock: Clock;
  /** `--cloud-provider-call-timeout` in ms; 0 = no deadline. */
  readonly callTimeoutMs: number;
  readonly logger: Logger;
  /** Told after a call passed its deadline (the manager records a Warning event on the Node). */
  readonly onTimeout?: (err: ProviderCallTimeoutError, node: unknown) => void;
}

const FLAG = '--cloud-provider-call-timeout';

/** The provider as the controllers see it: deadlines on calls, checked answers (see the module comment). */
export function guardProvider(cloud: CloudProvider, o: ProviderGuardOptions): CloudProvider {
  // Weak: a provider may hand out a new capability object per call; none must be kept alive here.
  const wrapped = new WeakMap<object, object>();
  const deadlines = new SharedDeadlines(o.clock);
  const capability = <T extends object>(name: Capability, impl: T | null | undefined): T | undefined => {
    if (impl === undefined || impl === null) return undefined;
    let guarded = wrapped.get(impl);
    if (guarded === undefined) {
      guarded = guardCapability(cloud.name, name, impl, o, deadlines);
      wrapped.set(impl, guarded);
    }
    return guarded as T;
  };
  const guarded: CloudProvider = {
    name: cloud.name,
    ...(cloud.initialize === undefined ? {} : { initialize: (ctx) => cloud.initialize?.(ctx) }),
    ...(cloud.setInformers === undefined ? {} : { setInformers: (informers) => cloud.setInformers?.(informers) }),
    ...(cloud.hasClusterID === undefined ? {} : { hasClusterID: () => cloud.hasClusterID?.() !== false }),
    ...(cloud.loadBalancer === undefined ? {} : { loadBalancer: () => capability('loadBalancer', cloud.loadBalancer?.()) }),
    ...(cloud.instances === undefined ? {} : { instances: () => capability('instances', cloud.instances?.()) }),
    ...(cloud.instancesV2 === undefined ? {} : { instancesV2: () => capability('instancesV2', cloud.instancesV2?.()) }),
    ...(cloud.zones === undefined ? {} : { zones: () => capability('zones', cloud.zones?.()) }),
    ...(cloud.clusters === undefined ? {} : { clusters: () => capability('clusters', cloud.clusters?.()) }),
    ...(cloud.routes === undefined ? {} : { routes: () => capability('routes', cloud.routes?.()) }),
  };
  return guarded;
}

function guardCapability<T extends object>(provider: string, name: Capability, impl: T, o: ProviderGuardOptions, deadlines: SharedDeadlines): T {
  // A new object with the contract's methods (not a Proxy: providers may hand out frozen objects,
  // whose methods a Proxy must return unchanged). Members outside the contract are not carried over.
  const guarded: Record<string, unknown> = {};
  const source = impl as Record<string, unknown>;
  for (const [method, rule] of Object.entries(RULES[name])) {
    if (typeof source[method] !== 'function') continue;
    // Looked up at call time, as an unguarded call would: a method replaced later is the one called.
    guarded[method] = (...args: unknown[]): Promise<unknown> =>
      guardedCall(provider, method, rule, args, (a) => (source[method] as (...x: unknown[]) => Promise<unknown>).apply(impl, a), o, deadlines);
  }
  return guarded as T;
}

async function guardedCall(
  provider: string,
  method: string,
  rule: MethodRule,
  args: unknown[],
  call: (args: unknown[]) => Promise<unknown>,
  o: ProviderGuardOptions,
  deadlines: SharedDeadlines,
): Promise<unknown> {
  const given = args[rule.options];
  const givenOptions = typeof given === 'object' && given !== null ? (given as { signal?: AbortSignal }) : {};
  const timeout = (): ProviderCallTimeoutError => {
    const err = new ProviderCallTimeoutError(provider, method, o.callTimeoutMs, FLAG);
    o.logger.error(err, 'Cloud provider call timed out', { provider, method });
    o.onTimeout?.(err, rule.node === undefined ? undefined : args[rule.node]);
    return err;
  };
  let answer = await deadlines.run(
    (signal) => {
      const callArgs = [...args];
      while (callArgs.length < rule.options) callArgs.push(undefined);
      callArgs[rule.options] = { ...givenOptions, ...(signal === undefined ? {} : { signal }) };
      return call(callArgs);
    },
    { clock: o.clock, timeoutMs: o.callTimeoutMs, signal: givenOptions.signal, timeoutError: timeout, group: method },
  );
  if (answer === null && rule.nullIsUndefined === true) answer = undefined;
  const problem = rule.check?.(answer);
  if (problem !== undefined) throw new ProviderContractError(provider, `${method} ${problem}`);
  return answer;
}
