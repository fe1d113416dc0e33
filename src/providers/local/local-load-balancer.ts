/**
 * The local provider's LoadBalancer capability: allocates an address per Service, persists it,
 * and runs the Service's listeners in this process while the provider is initialised (leading).
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { RetryError } from '../../cloud/errors.js';
import { hasLoadBalancerFinalizer, wantsLoadBalancer } from '../../cloud/service-helpers.js';
import type { LoadBalancer, LoadBalancerLookup, LoadBalancerStatus } from '../../cloud/load-balancer.js';
import { InputFileError } from '../../input/read-input-file.js';
import type { Clock } from '../../kube/clock.js';
import { WriteFence } from '../../kube/write-fence.js';
import type { Logger } from '../../log/logger.js';
import { canonicalIp, parseIp } from './ip-address.js';
import { AllocationError, IpAllocator } from './ip-allocator.js';
import type { Allocation } from './ip-allocator.js';
import type { LocalConfig } from './local-config.js';
import type { LocalMetricsSource } from './local-metrics.js';
import type { DataPlaneNode, DataPlanePort } from './service-data-plane.js';
import { ServiceDataPlane } from './service-data-plane.js';
import { proxyProtocolOf } from './proxy-protocol.js';
import { sourceFilterFor } from './source-ranges.js';
import { STATE_FILE_SOURCE, StateFile, StateFileError } from './state-file.js';
import type { InterfaceAddressRecord } from './state-file.js';
import type { CommandRunner } from './host-commands.js';
import { ProcessCommandRunner } from './host-commands.js';
import { InterfaceAddressError, InterfaceAddresses } from './interface-addresses.js';
import type { InterfaceAddressesOptions } from './interface-addresses.js';
import { KernelDataPlanes } from './kernel-data-planes.js';

/** Annotation requesting specific addresses (comma-separated; the first is used). */
export const LOAD_BALANCER_IPS_ANNOTATION = 'outrigger.io/load-balancer-ips';

/**
 * Annotation with a sharing key: Services carrying the same key may share one address when
 * their ports (protocol and number) do not collide, as MetalLB's `allow-shared-ip`.
 */
export const SHARED_IP_ANNOTATION = 'outrigger.io/allow-shared-ip';

// Upstream's default ClientIP affinity timeout (core/v1 DefaultClientIPServiceAffinitySeconds).
const DEFAULT_AFFINITY_SECONDS = 10_800;

/** Options of {@link LocalLoadBalancer}. */
export interface LocalLoadBalancerOptions {
  readonly config: LocalConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onHealthChange?: ((service: string, node: string, healthy: boolean) => void) | undefined;
  /** Runs `ip`, `arping` and `nft` (default: the real tools). */
  readonly runner?: CommandRunner | undefined;
  /** Overrides for the interface address manager (tests: capability check, probe time). */
  readonly interfaceOptions?: Partial<Pick<InterfaceAddressesOptions, 'hasNetAdmin' | 'probeSeconds'>> | undefined;
  /**
   * Told when a Service is served by the user-space proxy although `dataPlane: nftables` asks for
   * the kernel path, and why (the provider records a Warning event).
   */
  readonly onFallback?: ((service: Readonly<Service>, reason: string) => void) | undefined;
}

/** An address this replica put on (or found on) an interface. */
interface OnInterface {
  readonly iface: string;
  readonly pool: string;
  /** Whether this replica added it (and so removes it); false when it was there already. */
  added: boolean;
}

/** What one {@link LocalLoadBalancer.reconcile} pass changed, as Service keys (`namespace/name`). */
export interface ReconcileResult {
  /** Allocations no existing Service holds any more, now free (their listeners, if any, closed); sorted. */
  readonly released: readonly string[];
  /** Services that had no allocation and were given back the address their status shows; oldest first. */
  readonly adopted: readonly string[];
}

/** One open listener, as {@link LocalLoadBalancer.listeners} reports it. */
export interface ListenerInfo {
  readonly service: string;
  readonly address: string;
  readonly listener: string;
}

function keyOf(service: Readonly<Service>): string {
  return `${service.metadata?.namespace ?? 'default'}/${service.metadata?.name ?? ''}`;
}

function nodeAddress(node: Readonly<Node>, family: 4 | 6): string | undefined {
  const addresses = node.status?.addresses ?? [];
  // InternalIP of the load balancer's family first, as kube-proxy's node IP; ExternalIP as fallback.
  for (const type of ['InternalIP', 'ExternalIP']) {
    for (const a of addresses) {
      if (a.type === type && parseIp(a.address)?.family === family) return parseIp(a.address) === undefined ? undefined : a.address;
    }
  }
  return undefined;
}

/** The LoadBalancer capability of the local provider. */
export class LocalLoadBalancer implements LoadBalancer {
  readonly #config: LocalConfig;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #onHealthChange: LocalLoadBalancerOptions['onHealthChange'];
  readonly #allocator: IpAllocator;
  readonly #state: StateFile | undefined;
  /** Asked before every state file change and listener bind (see {@link fence}). */
  readonly #fence = new WriteFence();
  readonly #planes = new Map<string, ServiceDataPlane>();
  /** Per Service: fresh addresses this host could not bind, skipped until the pool runs out. */
  readonly #unbindable = new Map<string, Set<string>>();
  #loaded: Promise<void> | undefined;
  #active = false;
  /**
   * When each Service key was last ensured or deleted, on a counter {@link reconcile} also takes
   * a mark from before it lists: it leaves alone every key touched after its mark, since its list
   * may predate what the service controller just did.
   */
  readonly #touched = new Map<string, number>();
  #epoch = 0;
  #reconciling: Promise<unknown> = Promise.resolve();
  /** Set when a pool names an interface. */
  readonly #interfaces: InterfaceAddresses | undefined;
  readonly #onInterface = new Map<string, OnInterface>();
  /** Serialises changes of interface addresses (one ip/arping sequence at a time per address). */
  #programming: Promise<unknown> = Promise.resolve();
  #exitHook: (() => void) | undefined;
  /** Set with `dataPlane: nftables`. */
  readonly #kernel: KernelDataPlanes | undefined;
  /** Why the kernel path cannot be used here (found at start), if it cannot. */
  #kernelUnavailable: string | undefined;
  readonly #onFallback: LocalLoadBalancerOptions['onFallback'];

  constructor(options: LocalLoadBalancerOptions) {
    this.#config = options.config;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#onHealthChange = options.onHealthChange;
    this.#allocator = new IpAllocator(options.config.pools);
    this.#state = options.config.stateFile === undefined ? undefined : new StateFile(options.config.stateFile, { fence: this.#fence });
    const runner = options.runner ?? new ProcessCommandRunner();
    this.#interfaces = options.config.pools.some((p) => p.interface !== undefined)
      ? new InterfaceAddresses({ runner, clock: options.clock, logger: options.logger, ...options.interfaceOptions })
      : undefined;
    this.#kernel = options.config.dataPlane === 'nftables'
      ? new KernelDataPlanes({ config: options.config, clock: options.clock, logger: options.logger, runner, fence: this.#fence, onHealthChange: options.onHealthChange })
      : undefined;
    this.#onFallback = options.onFallback;
  }

  /** Why `dataPlane: nftables` is not used (found at start), or undefined. */
  get kernelUnavailableReason(): string | undefined {
    return this.#kernelUnavailable;
  }

  /** The nftables-served Services (undefined without `dataPlane: nftables`). */
  get kernelDataPlanes(): KernelDataPlanes | undefined {
    return this.#kernel;
  }

  /** Addresses this replica has on interfaces now (address → interface). */
  interfaceAddresses(): Map<string, string> {
    return new Map([...this.#onInterface].map(([ip, o]) => [ip, o.iface]));
  }

  /**
   * Removes the addresses the state file records as added to an interface by this host and still
   * there: what a manager that crashed (kill -9, power loss) left behind. Runs at process start in
   * every replica, leader or not — a restarted ex-leader must not keep answering for addresses its
   * successor now serves. Writes nothing (the record is rewritten by the next leader).
   */
  async removeStaleAddresses(): Promise<string[]> {
    // The nftables table a crashed run left: it is ours by name.
    await this.#kernel?.removeStale();
    const interfaces = this.#interfaces;
    if (interfaces === undefined || this.#state === undefined) return [];
    const removed: string[] = [];
    for (const record of await this.#state.loadInterfaceAddresses()) {
      if (this.#onInterface.has(record.address)) continue;
      if (!(await interfaces.list(record.interface)).has(record.address)) continue;
      await interfaces.remove(record.address, record.interface);
      removed.push(`${record.address}@${record.interface}`);
    }
    if (removed.length > 0) this.#logger.info('Removed load-balancer addresses a previous run left on interfaces', { addresses: removed });
    return removed;
  }

  /**
   * Puts the address of every allocation on its pool's interface and announces it, without a
   * duplicate probe (they are the Services' addresses): a new leader takes them over before the
   * service controller's first pass. Failures are logged; that Service's ensure reports them.
   */
  async announceAll(): Promise<void> {
    if (this.#interfaces === undefined) return;
    const seen = new Set<string>();
    for (const [key, allocation] of this.#allocator.entries()) {
      if (seen.has(allocation.ip)) continue;
      seen.add(allocation.ip);
      try {
        await this.#program(allocation, { probe: false });
      } catch (err) {
        this.#logger.error(err, 'Could not take over a load-balancer address', { service: key, address: allocation.ip });
      }
    }
  }

  /** Adds the allocation's address to its pool's interface if it has one and it is not there yet. */
  #program(allocation: Allocation, options: { readonly probe: boolean }): Promise<void> {
    const step = this.#programming.catch(() => undefined).then(() => this.#programNow(allocation, options));
    this.#programming = step;
    return step;
  }

  async #programNow(allocation: Allocation, options: { readonly probe: boolean }): Promise<void> {
    const interfaces = this.#interfaces;
    const pool = this.#config.pools.find((p) => p.name === allocation.pool);
    if (interfaces === undefined || pool?.interface === undefined || this.#onInterface.has(allocation.ip)) return;
    const iface = await interfaces.resolve(pool, allocation.ip);
    this.#fence.check(`add ${allocation.ip} to interface ${iface}`);
    // Recorded before it is added: a crash in between leaves a record of an address that may not
    // be there (removing it is then a no-op), never an address without a record.
    const entry: OnInterface = { iface, pool: pool.name, added: true };
    this.#onInterface.set(allocation.ip, entry);
    this.#armExitHook();
    try {
      await this.#persist();
      this.#fence.check(`add ${allocation.ip} to interface ${iface}`);
      const { added } = await interfaces.add(pool.name, allocation.ip, iface, options);
      entry.added = added;
    } catch (err) {
      this.#onInterface.delete(allocation.ip);
      await this.#persist().catch(() => undefined);
      throw err;
    }
    this.#logger.info('Added a load-balancer address to an interface', { address: allocation.ip, interface: iface, pool: pool.name });
  }

  /** Removes `ip` from its interface unless an allocation still holds it (or `force`). */
  #unprogram(ip: string, force = false): Promise<void> {
    const step = this.#programming.catch(() => undefined).then(async () => {
      const entry = this.#onInterface.get(ip);
      if (entry === undefined || this.#interfaces === undefined) return;
      if (!force && [...this.#allocator.entries()].some(([, a]) => a.ip === ip)) return;
      this.#onInterface.delete(ip);
      if (entry.added) await this.#interfaces.remove(ip, entry.iface);
      this.#logger.info('Removed a load-balancer address from an interface', { address: ip, interface: entry.iface });
      if (this.#onInterface.size === 0) this.#disarmExitHook();
      // The record shrinks only while leading; a stale record costs a no-op removal at restart.
      if (this.#active) await this.#persist().catch(() => undefined);
    });
    this.#programming = step;
    return step;
  }

  /** The process `exit` hook: whatever is still on an interface is removed synchronously. */
  #armExitHook(): void {
    if (this.#exitHook !== undefined) return;
    this.#exitHook = () => {
      for (const [ip, entry] of this.#onInterface) if (entry.added) this.#interfaces?.removeSync(ip, entry.iface);
      this.#onInterface.clear();
    };
    process.on('exit', this.#exitHook);
  }

  #disarmExitHook(): void {
    if (this.#exitHook !== undefined) process.off('exit', this.#exitHook);
    this.#exitHook = undefined;
  }

  #interfaceRecords(): InterfaceAddressRecord[] {
    return [...this.#onInterface].filter(([, e]) => e.added).map(([address, e]) => ({ address, interface: e.iface }));
  }

  /**
   * Ties every state file change and listener bind to `signal`, the provider's initialize signal
   * (aborted when this manager stops leading): once it aborts none happens, also for an ensure or
   * a write already in flight, which fails with a `NotLeaderError` — as the manager fences its own
   * API writes (src/kube/write-fence.ts), so a deposed leader cannot overwrite its successor's state.
   */
  fence(signal: AbortSignal): void {
    this.#fence.guard(() => !signal.aborted, "the local provider's initialize signal was aborted (this manager no longer leads)");
  }

  /** The address allocator (read-only use: inspection in tests and tools). */
  get allocator(): IpAllocator {
    return this.#allocator;
  }

  /** Every open listener. */
  listeners(): ListenerInfo[] {
    return [...this.#planes.values()].flatMap((p) => p.listeners.map((listener) => ({ service: p.key, address: p.address, listener })));
  }

  /** What the provider's metrics read at each scrape (see local-metrics.ts). */
  metricsSource(): LocalMetricsSource {
    return {
      pools: () => this.#allocator.usage(),
      listeners: () =>
        [...this.#planes.values()].flatMap((p) => p.listenerStats().map((l) => ({ service: p.key, address: p.address, protocol: l.protocol, port: l.port, connections: l.connections }))),
      backends: () => [...this.#planes.values()].flatMap((p) => p.health.states().map((h) => ({ service: p.key, node: h.node, healthy: h.healthy }))),
    };
  }

  /** The data plane of a Service key (`namespace/name`), if running. */
  dataPlane(key: string): ServiceDataPlane | undefined {
    return this.#planes.get(key);
  }

  /**
   * Loads the state file once; later calls share the result. Its folder is created if missing and
   * temporary files an interrupted write left are removed first. A regular file that does not
   * parse is set aside (`<file>.corrupt-<timestamp>`, a warning with the reason) and the state
   * starts empty: the Services' status is the record it is rebuilt from ({@link reconcile}), not a
   * crash loop. A path that is no regular file, or cannot be read, is an input error naming
   * `stateFile` (the manager exits 2): the operator's config, not the file's content, is at fault.
   */
  load(): Promise<void> {
    this.#loaded ??= (async () => {
      const state = this.#state;
      if (state === undefined) return;
      // At start rather than at the first save: a stateFile that can never be written fails
      // initialize, naming the field, instead of every ensure.
      await state.ensureDirectory();
      const stale = await state.removeStaleTemporaries();
      if (stale.length > 0) this.#logger.info('Removed temporary files an interrupted state file write left', { stateFile: state.path, files: stale });
      let stored;
      try {
        stored = await state.load();
      } catch (err) {
        if (!(err instanceof StateFileError)) throw err;
        let aside: string;
        try {
          aside = await state.setAside(this.#clock.now());
        } catch (moveErr) {
          // Nothing could be saved beside it either (a file under /proc): starting would fail
          // every ensure instead. The operator has to move it or name another stateFile.
          if (!isErrnoError(moveErr)) throw moveErr;
          throw new InputFileError(STATE_FILE_SOURCE, state.path, 'unreadable', `${err.detail}, and it cannot be set aside: ${moveErr.message}`, { cause: moveErr });
        }
        this.#logger.warning("The state file cannot be used; it was set aside and the allocations are rebuilt from the Services' status", {
          stateFile: state.path,
          setAsideAs: aside,
          reason: err.detail,
        });
        return;
      }
      for (const { key, reason } of this.#allocator.restore(stored)) {
        this.#logger.error(new Error(reason), 'Dropped an allocation from the state file', { service: key, stateFile: state.path });
      }
    })();
    return this.#loaded;
  }

  /**
   * Brings the allocations in line with the Services that exist, from a list of all of them that
   * `listServices` makes (after this pass took its mark):
   *
   * - an allocation whose key no listed Service holds any more — deleted, or no longer a
   *   `type: LoadBalancer` Service of ours, while no manager was running or without the cleanup
   *   finalizer — is released (and its listeners, if any, closed);
   * - then every listed Service without an allocation claims the address its
   *   `status.loadBalancer.ingress` shows, if free: the Services' own record, for a restart
   *   without a (usable) state file. Without it a new Service ensured first could be handed an
   *   address an existing one still serves clients on. Older Services win a contested address.
   *
   * A Service "holds" an allocation while the service controller hands it to this provider:
   * `type: LoadBalancer` without a `loadBalancerClass`, or still carrying the cleanup finalizer.
   * Never released: an allocation of a listed Service, one ensured or deleted since the pass took
   * its mark (the list may predate it), or an address a listed Service holding another one still
   * shows in its status (the controller corrects that status first). Passes run one at a time.
   */
  reconcile(listServices: () => Promise<readonly Readonly<Service>[]>): Promise<ReconcileResult> {
    const pass = this.#reconciling.catch(() => undefined).then(() => this.#reconcileOnce(listServices));
    this.#reconciling = pass;
    return pass;
  }

  async #reconcileOnce(listServices: () => Promise<readonly Readonly<Service>[]>): Promise<ReconcileResult> {
    await this.load();
    const mark = ++this.#epoch;
    let services;
    try {
      services = await listServices();
    } finally {
      // Touches older than this mark are below every later mark too: no later pass needs them.
      for (const [key, at] of this.#touched) if (at < mark) this.#touched.delete(key);
    }
    // From here to the save nothing awaits: the allocator sees no ensure in between.
    const settled = (key: string): boolean => (this.#touched.get(key) ?? 0) < mark;
    const served = services.filter(servedHere);
    const held = new Set(served.map(keyOf));
    const protectedIps = new Set<string>();
    for (const service of served) {
      const own = this.#allocator.get(keyOf(service));
      for (const ip of statusAddresses(service).map(canonicalIp)) if (own !== undefined && ip !== undefined && ip !== own.ip) protectedIps.add(ip);
    }
    const released: string[] = [];
    const releasedIps: string[] = [];
    for (const [key, allocation] of this.#allocator.entries()) {
      if (held.has(key) || !settled(key) || protectedIps.has(allocation.ip)) continue;
      this.#allocator.release(key);
      this.#unbindable.delete(key);
      const plane = this.#planes.get(key);
      this.#planes.delete(key);
      if (plane !== undefined) void plane.close(this.#config.drainTimeoutMs);
      void this.#kernel?.remove(key).catch((err: unknown) => this.#logger.error(err, 'Failed to update the nftables table', { service: key }));
      released.push(key);
      releasedIps.push(allocation.ip);
    }
    const adopted = this.#adopt(served.filter((s) => settled(keyOf(s))));
    if (released.length > 0 || adopted.length > 0) await this.#persist();
    for (const ip of releasedIps) await this.#unprogram(ip);
    return { released, adopted };
  }

  /** Status re-adoption (see {@link reconcile}); returns the keys that were adopted. */
  #adopt(services: readonly Readonly<Service>[]): string[] {
    const candidates = [...services].sort(
      (a, b) => (a.metadata?.creationTimestamp ?? '').localeCompare(b.metadata?.creationTimestamp ?? '') || keyOf(a).localeCompare(keyOf(b)),
    );
    const adopted: string[] = [];
    for (const service of candidates) {
      const key = keyOf(service);
      if (this.#allocator.get(key) !== undefined) continue;
      const allocation = this.#allocator.adopt({
        key,
        namespace: service.metadata?.namespace ?? 'default',
        labels: service.metadata?.labels,
        previous: statusAddresses(service),
        ...sharingOf(service),
      });
      if (allocation !== undefined) adopted.push(key);
    }
    return adopted;
  }

  #touch(key: string): void {
    this.#touched.set(key, ++this.#epoch);
  }

  /** Starts serving (the provider is initialised in the leader). */
  async start(): Promise<void> {
    await this.load();
    if (this.#kernel !== undefined) {
      this.#kernelUnavailable = await this.#kernel.unavailableReason();
      if (this.#kernelUnavailable !== undefined) {
        this.#logger.warning('dataPlane nftables cannot be used on this host; Services are served by the user-space proxy instead', { reason: this.#kernelUnavailable });
      }
    }
    this.#active = true;
  }

  /** Closes every listener now (lost leadership or shutdown); allocations are kept. */
  async stop(): Promise<void> {
    this.#active = false;
    const planes = [...this.#planes.values()];
    this.#planes.clear();
    this.#interfaces?.stopAnnouncing();
    await Promise.all([
      ...planes.map((p) => p.close(0)),
      ...[...this.#onInterface.keys()].map((ip) => this.#unprogram(ip, true)),
      ...(this.#kernel === undefined ? [] : [this.#kernel.stop()]),
    ]);
  }

  /**
   * A load balancer exists while the Service holds an address, listening or not: after a restart
   * the listeners come back only when the Service is ensured, and a Service deleted (or no longer
   * `type: LoadBalancer`) in the meantime must still be cleaned up — the service controller calls
   * {@link ensureLoadBalancerDeleted} only for a load balancer that exists, as upstream.
   */
  async getLoadBalancer(_clusterName: string, service: Readonly<Service>): Promise<LoadBalancerLookup> {
    await this.load();
    const key = keyOf(service);
    const address = this.#planes.get(key)?.address ?? this.#kernel?.address(key) ?? this.#allocator.get(key)?.ip;
    return address === undefined ? { exists: false } : { exists: true, status: statusOf(address, service, this.#kernel?.has(key) === true ? 'VIP' : 'Proxy') };
  }

  /** As upstream's `DefaultLoadBalancerName`: `a` + the UID without dashes, at most 32 characters. */
  getLoadBalancerName(_clusterName: string, service: Readonly<Service>): Promise<string> {
    return Promise.resolve(`a${(service.metadata?.uid ?? '').replaceAll('-', '')}`.slice(0, 32));
  }

  async ensureLoadBalancer(_clusterName: string, service: Readonly<Service>, nodes: readonly Readonly<Node>[]): Promise<LoadBalancerStatus> {
    this.#requireActive();
    const key = keyOf(service);
    this.#touch(key);
    await this.load();
    const ports = portsOf(service);
    const filter = sourceFilterFor(service);
    const proxyProtocol = proxyProtocolOf(service);
    const requested = [
      ...(service.metadata?.annotations?.[LOAD_BALANCER_IPS_ANNOTATION] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''),
      ...(service.spec?.loadBalancerIP !== undefined && service.spec.loadBalancerIP !== '' ? [service.spec.loadBalancerIP] : []),
    ];
    const before = this.#allocator.get(key);
    const previous = statusAddresses(service);
    const unbindable = this.#unbindable.get(key);
    let allocation;
    try {
      allocation = this.#allocator.allocate({
        key,
        namespace: service.metadata?.namespace ?? 'default',
        labels: service.metadata?.labels,
        requested,
        previous,
        ...sharingOf(service),
        ...(unbindable === undefined ? {} : { avoid: unbindable }),
      });
    } catch (err) {
      if (err instanceof AllocationError && err.code === 'Exhausted') {
        // Every address skipped for failing to bind gets another chance in the next round.
        const skipped = unbindable === undefined ? '' : ` (skipped, as this host could not bind them: ${[...unbindable].join(', ')})`;
        this.#unbindable.delete(key);
        // Recoverable once another Service releases an address: retry at a fixed pace.
        throw new RetryError(`${err.message}${skipped}`, this.#config.exhaustedRetryMs, { cause: err });
      }
      throw err;
    }
    this.#touch(key);
    if (!sameAllocation(before, allocation)) await this.#persist();
    // An address picked fresh from the pool (not asked for, not held before, not in the status).
    const fresh = before === undefined && !requested.includes(allocation.ip) && !previous.includes(allocation.ip);
    let plane = this.#planes.get(key);
    if (plane !== undefined && plane.address !== allocation.ip) {
      // The requested address changed: a new address needs new sockets.
      this.#planes.delete(key);
      await plane.close(this.#config.drainTimeoutMs);
      await this.#unprogram(plane.address);
      plane = undefined;
    }
    if (before !== undefined && before.ip !== allocation.ip) await this.#unprogram(before.ip);
    try {
      // Only a fresh address is probed for another host using it: one a Service already has may be
      // answered for by the crashed leader's host, which this replica takes it over from.
      await this.#program(allocation, { probe: fresh });
    } catch (err) {
      if (!(fresh && err instanceof InterfaceAddressError && err.code === 'Duplicate')) throw err;
      // Another host has it: hand it back and skip it, as an address this host cannot bind.
      if (this.#allocator.release(key)) await this.#persist();
      const skip = this.#unbindable.get(key) ?? new Set<string>();
      skip.add(allocation.ip);
      this.#unbindable.set(key, skip);
      throw new RetryError(`${err.message}; the address is left free and another one is tried next`, BIND_RETRY_MS, { cause: err });
    }
    const family = parseIp(allocation.ip)?.family ?? 4;
    const kernelReason = this.#kernel === undefined ? undefined : this.#kernelUnavailable ?? (proxyProtocol === undefined ? undefined : `the Service asks for the PROXY protocol (${proxyProtocol}), which only the user-space proxy can send`);
    if (this.#kernel !== undefined && kernelReason === undefined) {
      if (plane !== undefined) {
        this.#planes.delete(key);
        void plane.close(this.#config.drainTimeoutMs);
      }
      await this.#kernel.apply(key, {
        address: allocation.ip,
        family,
        ports,
        nodes: backendNodes(nodes, family),
        sourceRanges: filter.ranges,
        affinitySeconds: affinityMs(service) === undefined ? undefined : Math.ceil((affinityMs(service) ?? 0) / 1000),
        healthCheckPort: this.#healthPort(service),
      });
      this.#requireActive();
      return statusOf(allocation.ip, service, 'VIP');
    }
    if (kernelReason !== undefined) {
      this.#onFallback?.(service, kernelReason);
      await this.#kernel?.remove(key);
    }
    // Not one bind once this manager no longer leads (an ensure in flight when leadership ended).
    this.#fence.check(`bind the load balancer of ${key}`);
    if (plane === undefined) {
      plane = new ServiceDataPlane({
        key,
        address: allocation.ip,
        family: parseIp(allocation.ip)?.family ?? 4,
        clock: this.#clock,
        config: this.#config,
        onHealthChange: this.#onHealthChange,
      });
      this.#planes.set(key, plane);
    }
    try {
      await plane.apply({
        ports,
        nodes: backendNodes(nodes, family),
        filter,
        affinityTimeoutMs: affinityMs(service),
        healthCheckPort: this.#healthPort(service),
        proxyProtocol,
        fence: this.#fence,
      });
    } catch (err) {
      await this.#closeIfStopped(key, plane);
      // An address picked fresh from the pool that this host cannot bind (another process holds
      // the port, the address is not configured here) is handed back and skipped, so the retry
      // tries another one instead of failing on the same address forever. An address the Service
      // asked for, already had or shows in its status stays: moving it is not ours to decide.
      if (!fresh || !isBindError(err)) throw err;
      this.#planes.delete(key);
      await plane.close(0);
      if (this.#allocator.release(key)) await this.#persist();
      await this.#unprogram(allocation.ip);
      const skip = this.#unbindable.get(key) ?? new Set<string>();
      skip.add(allocation.ip);
      this.#unbindable.set(key, skip);
      throw new RetryError(`${(err as Error).message}; the address is left free and another one is tried next`, BIND_RETRY_MS, { cause: err });
    }
    await this.#closeIfStopped(key, plane);
    this.#requireActive();
    return statusOf(allocation.ip, service);
  }

  /**
   * Closes `plane` when the provider stopped (leadership lost) while an ensure was binding its
   * sockets: stop() closed only the listeners that were open then. Listeners exist only in the leader.
   */
  async #closeIfStopped(key: string, plane: ServiceDataPlane): Promise<void> {
    if (this.#active) return;
    if (this.#planes.get(key) === plane) this.#planes.delete(key);
    await plane.close(0);
  }

  updateLoadBalancer(_clusterName: string, service: Readonly<Service>, nodes: readonly Readonly<Node>[]): Promise<void> {
    this.#requireActive();
    const key = keyOf(service);
    const plane = this.#planes.get(key);
    if (plane !== undefined) plane.setNodes(backendNodes(nodes, parseIp(plane.address)?.family ?? 4), this.#healthPort(service));
    const kernelAddress = this.#kernel?.address(key);
    if (kernelAddress !== undefined) return this.#kernel?.setNodes(key, backendNodes(nodes, parseIp(kernelAddress)?.family ?? 4), this.#healthPort(service)) ?? Promise.resolve();
    return Promise.resolve();
  }

  /** Closes the Service's listeners (if any run) and releases its address (if it holds one). */
  async ensureLoadBalancerDeleted(_clusterName: string, service: Readonly<Service>): Promise<void> {
    const key = keyOf(service);
    this.#touch(key);
    await this.load();
    const plane = this.#planes.get(key);
    this.#planes.delete(key);
    this.#unbindable.delete(key);
    // The listening sockets close at once (the address may be handed out again right away);
    // established connections drain in the background within the grace period.
    if (plane !== undefined) void plane.close(this.#config.drainTimeoutMs);
    await this.#kernel?.remove(key);
    const ip = this.#allocator.get(key)?.ip;
    if (this.#allocator.release(key)) await this.#persist();
    if (ip !== undefined) await this.#unprogram(ip);
  }

  #requireActive(): void {
    if (!this.#active) throw new Error('local provider: load balancers are served only by the leading manager after initialize()');
  }

  #healthPort(service: Readonly<Service>): number {
    const local = service.spec?.externalTrafficPolicy === 'Local';
    return local && service.spec?.healthCheckNodePort !== undefined ? service.spec.healthCheckNodePort : this.#config.healthCheck.kubeProxyPort;
  }

  async #persist(): Promise<void> {
    await this.#state?.save(this.#allocator.entries(), this.#interfaceRecords());
  }
}

/** The Service's sharing key (blank = none) and the `PROTOCOL/port` of its ports. */
function sharingOf(service: Readonly<Service>): { sharingKey?: string; ports: string[] } {
  const key = service.metadata?.annotations?.[SHARED_IP_ANNOTATION]?.trim() ?? '';
  const ports = (service.spec?.ports ?? []).map((p) => `${p.protocol ?? 'TCP'}/${p.port}`);
  return key === '' ? { ports } : { sharingKey: key, ports };
}

function sameAllocation(a: Allocation | undefined, b: Allocation): boolean {
  return a !== undefined && a.ip === b.ip && a.pool === b.pool && a.sharingKey === b.sharingKey && (a.ports ?? []).join(',') === (b.ports ?? []).join(',');
}

function isErrnoError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

/** Retry delay after handing back an address that could not be bound (another one is free now). */
const BIND_RETRY_MS = 1_000;

/** Whether `err` is a listen failure of the address itself (taken, or not configured on this host). */
function isBindError(err: unknown, depth = 0): boolean {
  // Bounded walk of the cause chain and of an AggregateError's members (one per failed port).
  if (!(err instanceof Error) || depth > 8) return false;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') return true;
  if (err instanceof AggregateError) return err.errors.some((e) => isBindError(e, depth + 1));
  return isBindError(err.cause, depth + 1);
}

function statusAddresses(service: Readonly<Service>): string[] {
  return (service.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip === undefined || i.ip === '' ? [] : [i.ip]));
}

/**
 * Whether the service controller hands `service` to this provider — the controller's own
 * predicates: it wants a load balancer (type LoadBalancer, no `loadBalancerClass`), or it still
 * holds the cleanup finalizer (its load balancer exists until the controller deletes it).
 */
function servedHere(service: Readonly<Service>): boolean {
  return wantsLoadBalancer(service) || hasLoadBalancerFinalizer(service);
}

function portsOf(service: Readonly<Service>): DataPlanePort[] {
  return (service.spec?.ports ?? []).map((p) => {
    const protocol = p.protocol ?? 'TCP';
    if (protocol !== 'TCP' && protocol !== 'UDP') throw new Error(`port ${p.port}/${protocol}: the local provider serves TCP and UDP only`);
    if (p.nodePort === undefined || p.nodePort === 0) throw new Error(`port ${p.port}/${protocol} has no nodePort yet`);
    return { protocol, port: p.port, nodePort: p.nodePort };
  });
}

function backendNodes(nodes: readonly Readonly<Node>[], family: 4 | 6): DataPlaneNode[] {
  const out: DataPlaneNode[] = [];
  for (const node of nodes) {
    const host = nodeAddress(node, family);
    if (host !== undefined) out.push({ name: node.metadata?.name ?? host, host });
  }
  return out;
}

function affinityMs(service: Readonly<Service>): number | undefined {
  if (service.spec?.sessionAffinity !== 'ClientIP') return undefined;
  return (service.spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) * 1000;
}

function statusOf(ip: string, service: Readonly<Service>, ipMode: 'Proxy' | 'VIP' = 'Proxy'): LoadBalancerStatus {
  const ports = (service.spec?.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? 'TCP' }));
  // ipMode Proxy: traffic reaches nodes from this process, not with the LB address as destination,
  // so kube-proxy must not short-circuit the address inside the cluster. VIP (nftables): packets
  // keep arriving for the address, as from a cloud's pass-through load balancer.
  return { ingress: [{ ip, ipMode, ...(ports.length > 0 && { ports }) }] };
}
