/**
 * The fake cloud provider: a configurable, recording test double implementing every capability
 * of the provider contract, in the role of upstream's `fake` cloud — but keyed by instance and
 * Service, with per-method failures and latency on an injected clock.
 *
 * @module
 */
import type { Clock } from '../../kube/clock.js';
import { RealClock } from '../../kube/clock.js';
import type { ProviderCallOptions } from '../../cloud/call-options.js';
import type { Clusters } from '../../cloud/clusters.js';
import { NotImplementedError } from '../../cloud/errors.js';
import type { Instances } from '../../cloud/instances.js';
import type { InstancesV2 } from '../../cloud/instances-v2.js';
import type { LoadBalancer, LoadBalancerIPMode, LoadBalancerStatus } from '../../cloud/load-balancer.js';
import type { CloudProvider, ProviderInitContext } from '../../cloud/provider.js';
import type { Routes } from '../../cloud/routes.js';
import type { Zone, Zones } from '../../cloud/zones.js';
import { CallRecorder } from './call-recorder.js';
import type { FakeCall } from './call-recorder.js';
import { FakeFaults } from './fake-faults.js';
import type { FakeFailure, FakeFailureRule, FakeMethodSelector } from './fake-faults.js';
import { FakeInstanceStore } from './fake-instances.js';
import type { FakeInstance, FakeInstanceRef, FakeInstanceSpec } from './fake-instances.js';
import { FakeLoadBalancers } from './fake-load-balancers.js';
import type { FakeLoadBalancerState } from './fake-load-balancers.js';
import { FAKE_CAPABILITIES, isFakeCapability } from './fake-methods.js';
import type { FakeAsyncMethod, FakeCallArgs, FakeCapability, FakeMethod } from './fake-methods.js';
import { FakeRoutes } from './fake-routes.js';
import type { FakeRouteSeed, FakeRouteState } from './fake-routes.js';

/**
 * Runs on every asynchronous call after it is recorded and delayed, before the fake answers; the
 * call waits for the returned promise, and fails with whatever the hook throws. Use it to hold a
 * call until a test releases it (to reproduce a race) or to fail calls selectively (e.g.
 * `ImplementedElsewhereError` for one Service only).
 */
export type FakeCallHook = (call: FakeCall, options: ProviderCallOptions) => void | Promise<void>;

/** Options of {@link FakeCloudProvider}; every one is optional. */
export interface FakeCloudProviderOptions {
  /** The provider name, also the scheme of derived providerIDs; default `fake`. */
  readonly name?: string;
  /** Clock for latency and call timestamps; default the wall clock. Tests pass a `FakeClock`. */
  readonly clock?: Clock;
  /** The capabilities the provider exposes; default all of them. The others' getters return `undefined`. */
  readonly capabilities?: readonly FakeCapability[];
  /** What `hasClusterID()` answers; default true. */
  readonly hasClusterID?: boolean;
  /** Zone of `getZone` and of instances without their own zone/region; default empty strings ("not provided"). */
  readonly defaultZone?: Zone;
  /** Clusters for the Clusters capability: name → control-plane address; default none. */
  readonly clusters?: Readonly<Record<string, string>>;
  /** Instances to start with (see {@link FakeCloudProvider.setInstance}). */
  readonly instances?: readonly FakeInstanceSpec[];
  /** Range ingress IPs are handed out from, in order; default `192.0.2.0/24`. */
  readonly loadBalancerIPRange?: string;
  /** `ipMode` of allocated ingress points; default unset. */
  readonly loadBalancerIPMode?: LoadBalancerIPMode;
  /** Explicit statuses by service key (see {@link FakeCloudProvider.ensureStatus}). */
  readonly loadBalancerStatuses?: Readonly<Record<string, LoadBalancerStatus>>;
  /** List routes with `enableNodeAddresses: true` and their target addresses; default false. */
  readonly routeNodeAddresses?: boolean;
  /** Failures to start with; a rule without `times` fails every call. */
  readonly failures?: readonly FakeFailureRule[];
  /** Latency to start with, by method (or `'*'`), in ms. */
  readonly latencyMs?: Readonly<Partial<Record<FakeMethodSelector<FakeAsyncMethod>, number>>>;
  /** The initial {@link FakeCloudProvider.onCall} hook. */
  readonly onCall?: FakeCallHook;
  /**
   * Runs synchronously on every call as it is recorded (before failures and latency), also for
   * `setInformers`; e.g. to append it to a call log file (see `callLogLine`).
   */
  readonly onRecord?: (call: FakeCall) => void;
  /** Keep at most this many recorded calls (counts stay exact); default unlimited. */
  readonly callHistoryLimit?: number;
  /** Deep-copy and freeze recorded arguments; default true. */
  readonly copyCallArgs?: boolean;
}

/**
 * A configurable cloud for tests and the simulator. Every capability method goes through the
 * same steps, in this order:
 * 1. the call is recorded (`calls()`, `callCount()`), with deep copies of its arguments;
 * 2. an already aborted `signal` rejects it with the signal's reason;
 * 3. the failure rule that applies is consumed (`failNext`, then `failAlways`);
 * 4. injected latency elapses on the clock (an abort ends the wait with the signal's reason);
 * 5. the `onCall` hook runs and is awaited;
 * 6. the call fails with the injected error, or the fake answers from its state.
 *
 * Instances are addressed by node name and by providerID. InstancesV2 finds a Node's instance by
 * `spec.providerID` first, then by node name — the name match is refused when both the Node and
 * that instance have providerIDs and they differ (the Node then refers to a machine that is gone).
 * Load balancers are kept by service key (`namespace/name`). Inputs are never written to.
 *
 * @example
 * ```ts
 * const clock = new FakeClock();
 * const cloud = new FakeCloudProvider({ clock, capabilities: ['instancesV2', 'loadBalancer'] });
 * cloud.setInstance({ nodeName: 'n1', zone: 'z1', instanceType: 'small' });
 * cloud.failNext('ensureLoadBalancer', new RetryError('provisioning', 5_000));
 * // … run the controller …
 * assert.equal(cloud.callCount('ensureLoadBalancer'), 2);
 * assert.deepEqual(cloud.loadBalancers()[0]?.nodes, ['n1']);
 * ```
 */
export class FakeCloudProvider implements CloudProvider {
  /** The provider name. */
  readonly name: string;
  /** Hook run on every asynchronous call (see {@link FakeCallHook}); assign or clear it at any time. */
  onCall: FakeCallHook | undefined;

  readonly #clock: Clock;
  readonly #capabilities: ReadonlySet<FakeCapability>;
  readonly #hasClusterID: boolean;
  readonly #clusterMasters: ReadonlyMap<string, string>;
  readonly #recorder: CallRecorder;
  readonly #onRecord: ((call: FakeCall) => void) | undefined;
  readonly #faults = new FakeFaults();
  readonly #instanceStore: FakeInstanceStore;
  readonly #balancers: FakeLoadBalancers;
  readonly #routeTables: FakeRoutes;
  readonly #loadBalancerCapability: LoadBalancer;
  readonly #instancesCapability: Instances;
  readonly #instancesV2Capability: InstancesV2;
  readonly #zonesCapability: Zones;
  readonly #clustersCapability: Clusters;
  readonly #routesCapability: Routes;

  /** @throws Error or RangeError naming the option that is invalid. */
  constructor(options: FakeCloudProviderOptions = {}) {
    const name = options.name ?? 'fake';
    if (typeof name !== 'string' || name === '') throw new TypeError(`fake cloud provider: name must be a non-empty string, got ${JSON.stringify(name)}`);
    this.name = name;
    this.onCall = options.onCall;
    this.#onRecord = options.onRecord;
    this.#clock = options.clock ?? new RealClock();
    const capabilities = options.capabilities ?? FAKE_CAPABILITIES;
    for (const capability of capabilities) {
      if (!isFakeCapability(capability)) {
        throw new TypeError(`fake cloud provider: unknown capability ${JSON.stringify(capability)} (known: ${FAKE_CAPABILITIES.join(', ')})`);
      }
    }
    this.#capabilities = new Set(capabilities);
    this.#hasClusterID = options.hasClusterID ?? true;
    this.#clusterMasters = new Map(Object.entries(options.clusters ?? {}));
    this.#recorder = new CallRecorder({
      ...(options.callHistoryLimit !== undefined && { historyLimit: options.callHistoryLimit }),
      ...(options.copyCallArgs !== undefined && { copyArgs: options.copyCallArgs }),
    });
    this.#instanceStore = new FakeInstanceStore(name, options.defaultZone ?? { failureDomain: '', region: '' });
    for (const [index, spec] of (options.instances ?? []).entries()) {
      const instance = this.#instanceStore.set(spec);
      // set() replaces an instance with the same name or providerID; in a list that is a mistake.
      if (this.#instanceStore.size !== index + 1) {
        throw new Error(
          `fake cloud provider: instances[${index}] (node name ${JSON.stringify(instance.nodeName)}, providerID ` +
            `${JSON.stringify(instance.providerID)}) names the same instance as an earlier entry`,
        );
      }
    }
    this.#balancers = new FakeLoadBalancers({
      ...(options.loadBalancerIPRange !== undefined && { ipRange: options.loadBalancerIPRange }),
      ...(options.loadBalancerIPMode !== undefined && { ipMode: options.loadBalancerIPMode }),
      ...(options.loadBalancerStatuses !== undefined && { statuses: options.loadBalancerStatuses }),
    });
    this.#routeTables = new FakeRoutes(options.routeNodeAddresses ?? false);
    for (const rule of options.failures ?? []) {
      if (rule.times === undefined) this.#faults.failAlways(rule.method, rule.error);
      else this.#faults.failNext(rule.method, rule.error, rule.times);
    }
    for (const [method, ms] of Object.entries(options.latencyMs ?? {}) as [FakeMethodSelector<FakeAsyncMethod>, number][]) {
      this.#faults.setLatency(method, ms);
    }

    const lbs = this.#balancers;
    this.#loadBalancerCapability = Object.freeze<LoadBalancer>({
      getLoadBalancer: (clusterName, service, opts) => this.#invoke('getLoadBalancer', [clusterName, service], opts, () => lbs.get(service)),
      getLoadBalancerName: (clusterName, service, opts) =>
        this.#invoke('getLoadBalancerName', [clusterName, service], opts, () => lbs.name(service)),
      ensureLoadBalancer: (clusterName, service, nodes, opts) =>
        this.#invoke('ensureLoadBalancer', [clusterName, service, nodes], opts, () => lbs.ensure(clusterName, service, nodes)),
      updateLoadBalancer: (clusterName, service, nodes, opts) =>
        this.#invoke('updateLoadBalancer', [clusterName, service, nodes], opts, () => lbs.update(service, nodes)),
      ensureLoadBalancerDeleted: (clusterName, service, opts) =>
        this.#invoke('ensureLoadBalancerDeleted', [clusterName, service], opts, () => lbs.delete(service)),
    });

    const store = this.#instanceStore;
    this.#instancesCapability = Object.freeze<Instances>({
      nodeAddresses: (nodeName, opts) => this.#invoke('nodeAddresses', [nodeName], opts, () => store.nodeAddresses(nodeName)),
      nodeAddressesByProviderID: (providerID, opts) =>
        this.#invoke('nodeAddressesByProviderID', [providerID], opts, () => store.nodeAddressesByProviderID(providerID)),
      instanceID: (nodeName, opts) => this.#invoke('instanceID', [nodeName], opts, () => store.instanceID(nodeName)),
      instanceType: (nodeName, opts) => this.#invoke('instanceType', [nodeName], opts, () => store.instanceType(nodeName)),
      instanceTypeByProviderID: (providerID, opts) =>
        this.#invoke('instanceTypeByProviderID', [providerID], opts, () => store.instanceTypeByProviderID(providerID)),
      // As upstream's fake: the framework never calls it.
      addSSHKeyToAllInstances: (user, keyData, opts) =>
        this.#invoke('addSSHKeyToAllInstances', [user, keyData], opts, (): void => {
          throw new NotImplementedError();
        }),
      // As upstream's fake: on most clouds the node name is the hostname.
      currentNodeName: (hostname, opts) => this.#invoke('currentNodeName', [hostname], opts, () => hostname),
      instanceExistsByProviderID: (providerID, opts) =>
        this.#invoke('instanceExistsByProviderID', [providerID], opts, () => store.instanceExistsByProviderID(providerID)),
      instanceShutdownByProviderID: (providerID, opts) =>
        this.#invoke('instanceShutdownByProviderID', [providerID], opts, () => store.instanceShutdownByProviderID(providerID)),
    });

    this.#instancesV2Capability = Object.freeze<InstancesV2>({
      instanceExists: (node, opts) => this.#invoke('instanceExists', [node], opts, () => store.instanceExists(node)),
      instanceShutdown: (node, opts) => this.#invoke('instanceShutdown', [node], opts, () => store.instanceShutdown(node)),
      instanceMetadata: (node, opts) => this.#invoke('instanceMetadata', [node], opts, () => store.instanceMetadata(node)),
    });

    this.#zonesCapability = Object.freeze<Zones>({
      getZone: (opts) => this.#invoke('getZone', [], opts, () => store.defaultZone),
      getZoneByProviderID: (providerID, opts) => this.#invoke('getZoneByProviderID', [providerID], opts, () => store.zoneByProviderID(providerID)),
      getZoneByNodeName: (nodeName, opts) => this.#invoke('getZoneByNodeName', [nodeName], opts, () => store.zoneByNodeName(nodeName)),
    });

    const masters = this.#clusterMasters;
    this.#clustersCapability = Object.freeze<Clusters>({
      listClusters: (opts) => this.#invoke('listClusters', [], opts, () => [...masters.keys()].sort()),
      master: (clusterName, opts) =>
        this.#invoke('master', [clusterName], opts, () => {
          const address = masters.get(clusterName);
          if (address === undefined) throw new Error(`fake cloud provider: master: cluster ${JSON.stringify(clusterName)} is not configured`);
          return address;
        }),
    });

    const routes = this.#routeTables;
    this.#routesCapability = Object.freeze<Routes>({
      listRoutes: (clusterName, opts) => this.#invoke('listRoutes', [clusterName], opts, () => routes.list(clusterName)),
      createRoute: (clusterName, nameHint, route, opts) =>
        this.#invoke('createRoute', [clusterName, nameHint, route], opts, () => routes.create(clusterName, nameHint, route)),
      deleteRoute: (clusterName, route, opts) => this.#invoke('deleteRoute', [clusterName, route], opts, () => routes.delete(clusterName, route)),
    });
  }

  // ---- CloudProvider ----

  /** Recorded as `initialize` (the context by reference); failures, latency and the hook apply, with `ctx.signal` as the call's signal. */
  async initialize(ctx: ProviderInitContext): Promise<void> {
    await this.#invoke('initialize', [ctx], { signal: ctx.signal }, () => undefined);
  }

  /** Recorded as `setInformers` (the factory by reference); injected failures apply (thrown synchronously), latency and the hook do not. */
  setInformers(informers: unknown): void {
    const call = this.#recorder.record('setInformers', [informers], this.#clock.now());
    this.#onRecord?.(call);
    const { error } = this.#faults.take(call);
    if (error !== undefined) throw error;
  }

  /** The LoadBalancer capability, unless switched off. */
  loadBalancer(): LoadBalancer | undefined {
    return this.#capabilities.has('loadBalancer') ? this.#loadBalancerCapability : undefined;
  }

  /** The legacy Instances capability, unless switched off. */
  instances(): Instances | undefined {
    return this.#capabilities.has('instances') ? this.#instancesCapability : undefined;
  }

  /** The InstancesV2 capability, unless switched off. */
  instancesV2(): InstancesV2 | undefined {
    return this.#capabilities.has('instancesV2') ? this.#instancesV2Capability : undefined;
  }

  /** The Zones capability, unless switched off. */
  zones(): Zones | undefined {
    return this.#capabilities.has('zones') ? this.#zonesCapability : undefined;
  }

  /** The Clusters capability, unless switched off. */
  clusters(): Clusters | undefined {
    return this.#capabilities.has('clusters') ? this.#clustersCapability : undefined;
  }

  /** The Routes capability, unless switched off. */
  routes(): Routes | undefined {
    return this.#capabilities.has('routes') ? this.#routesCapability : undefined;
  }

  /** As configured (default true). Not recorded: it is a property of the deployment, not a cloud call. */
  hasClusterID(): boolean {
    return this.#hasClusterID;
  }

  // ---- instances ----

  /**
   * Adds an instance, or replaces the one with the same node name or providerID; returns it with
   * defaults applied (see {@link FakeInstanceSpec}).
   * @throws Error when it names no instance, or its name and providerID belong to two instances.
   */
  setInstance(spec: FakeInstanceSpec): FakeInstance {
    return this.#instanceStore.set(spec);
  }

  /**
   * Changes some fields of an instance (e.g. `{ shutdown: true }`, `{ exists: false }`).
   * @throws Error when no instance matches `ref`.
   */
  updateInstance(ref: FakeInstanceRef, changes: Partial<FakeInstanceSpec>): FakeInstance {
    return this.#instanceStore.update(ref, changes);
  }

  /** Removes an instance: it then answers as never configured. False when there was none. */
  removeInstance(ref: FakeInstanceRef): boolean {
    return this.#instanceStore.remove(ref);
  }

  /** The configured instance `ref` names, if any (also when `exists: false`). */
  getInstance(ref: FakeInstanceRef): FakeInstance | undefined {
    return this.#instanceStore.get(ref);
  }

  /** Every configured instance, in the order they were added. */
  listInstances(): FakeInstance[] {
    return this.#instanceStore.list();
  }

  /** The zone `getZone` reports and instances without their own zone or region fall back to. */
  get defaultZone(): Zone {
    return this.#instanceStore.defaultZone;
  }

  /** Changes the default zone. */
  setDefaultZone(zone: Zone): void {
    this.#instanceStore.defaultZone = zone;
  }

  // ---- load balancers ----

  /**
   * Makes the next `ensureLoadBalancer` of the Service `serviceKey` (`namespace/name`) return
   * `status` instead of an allocated IP — any hostname, ipMode or ports; `undefined` goes back to
   * allocation. An existing load balancer keeps its status until then.
   */
  ensureStatus(serviceKey: string, status: LoadBalancerStatus | undefined): void {
    this.#balancers.setStatus(serviceKey, status);
  }

  /** Every load balancer (name, service key, node names, status), sorted by service key. */
  loadBalancers(): FakeLoadBalancerState[] {
    return this.#balancers.list();
  }

  /** The load balancer of the Service `serviceKey` (`namespace/name`), if any. */
  loadBalancerFor(serviceKey: string): FakeLoadBalancerState | undefined {
    return this.#balancers.find(serviceKey);
  }

  // ---- routes ----

  /** Every route of `clusterName` (or of every cluster), with the name hint it was created with. */
  routesState(clusterName?: string): FakeRouteState[] {
    return this.#routeTables.state(clusterName);
  }

  /** Places a route in `clusterName`'s table without a recorded call (e.g. a blackhole route). */
  putRoute(clusterName: string, seed: FakeRouteSeed): FakeRouteState {
    return this.#routeTables.put(clusterName, seed);
  }

  // ---- failures and latency ----

  /**
   * Makes the next `times` calls of `method` (or any method, `'*'`) throw `error`. Counted rules
   * are consumed oldest first, before any {@link failAlways} rule.
   * @throws RangeError when `times` is not a positive integer.
   */
  failNext(method: FakeMethodSelector, error: FakeFailure, times = 1): void {
    this.#faults.failNext(method, error, times);
  }

  /** Makes every call of `method` (or any method, `'*'`) throw `error` until {@link clearFailures}. */
  failAlways(method: FakeMethodSelector, error: FakeFailure): void {
    this.#faults.failAlways(method, error);
  }

  /** Removes the failure rules of `method` (that exact selector), or all of them. */
  clearFailures(method?: FakeMethodSelector): void {
    this.#faults.clearFailures(method);
  }

  /**
   * Delays every call of `method` by `ms` on the clock (`'*'`: methods without a delay of their
   * own); `0` removes it. The wait honours the call's AbortSignal.
   * @throws RangeError when `ms` is negative or not finite.
   */
  setLatency(method: FakeMethodSelector<FakeAsyncMethod>, ms: number): void {
    this.#faults.setLatency(method, ms);
  }

  // ---- call recording ----

  /** Recorded calls in order: all, or those of `method` (typed by method). */
  calls<M extends FakeMethod>(method: M): FakeCall<M>[];
  calls(): FakeCall[];
  calls(method?: FakeMethod): FakeCall[] {
    return method === undefined ? this.#recorder.calls() : this.#recorder.calls(method);
  }

  /** How many calls were made: in total, or of `method`. */
  callCount(method?: FakeMethod): number {
    return this.#recorder.callCount(method);
  }

  /** Forgets every recorded call. Failures, latency and state stay. */
  resetCalls(): void {
    this.#recorder.reset();
  }

  // ---- the call pipeline ----

  async #invoke<M extends FakeAsyncMethod, R>(method: M, args: FakeCallArgs[M], options: ProviderCallOptions | undefined, answer: () => R): Promise<R> {
    const call = this.#recorder.record(method, args, this.#clock.now()) as FakeCall;
    this.#onRecord?.(call);
    const signal = options?.signal;
    // A call cancelled before it started never reaches the cloud, so it consumes no failure rule.
    signal?.throwIfAborted();
    const { error, latencyMs } = this.#faults.take(call);
    if (latencyMs > 0) await this.#clock.sleep(latencyMs, signal);
    const hook = this.onCall;
    if (hook !== undefined) await hook(call, signal === undefined ? {} : { signal });
    // A real SDK call observes cancellation too: the answer of an aborted call is never used.
    signal?.throwIfAborted();
    if (error !== undefined) throw error;
    return answer();
  }
}
