/**
 * The fake cloud's load balancers, kept in memory: what the LoadBalancer capability creates,
 * updates and deletes, and what tests assert on.
 *
 * @module
 */
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { defaultLoadBalancerName } from '../../cloud/helpers.js';
import type { LoadBalancerIPMode, LoadBalancerLookup, LoadBalancerStatus } from '../../cloud/load-balancer.js';
import { objectKeyString } from '../../kube/resources.js';
import { deepFreeze } from '../../kube/json-value.js';
import { IpRangeAllocator } from './ip-range.js';

/** The range ingress IPs come from unless configured: TEST-NET-1 (RFC 5737), never routed. */
export const DEFAULT_LOAD_BALANCER_IP_RANGE = '192.0.2.0/24';

/** A load balancer as the fake cloud holds it (frozen snapshot). */
export interface FakeLoadBalancerState {
  /** The provider's name for it: `defaultLoadBalancerName(service)` at the last ensure. */
  readonly name: string;
  /** `namespace/name` of its Service — the key the fake stores it under. */
  readonly serviceKey: string;
  /** The `clusterName` of the last ensure. */
  readonly clusterName: string;
  /** Names of the Nodes it was last given (by ensure or update), sorted: a backend set has no order. */
  readonly nodes: readonly string[];
  /** The status the last ensure returned. */
  readonly status: LoadBalancerStatus;
}

/** How ensured load balancers get their status. */
export interface FakeLoadBalancerOptions {
  /** CIDR range (IPv4 or IPv6) ingress IPs are handed out from in order; default {@link DEFAULT_LOAD_BALANCER_IP_RANGE}. */
  readonly ipRange?: string;
  /** `ipMode` of allocated ingress points; default: not set (the apiserver then means VIP). */
  readonly ipMode?: LoadBalancerIPMode;
  /** Explicit statuses by service key, returned instead of an allocated IP (hostname, ports, …). */
  readonly statuses?: Readonly<Record<string, LoadBalancerStatus>>;
}

/**
 * The key of a Service: `namespace/name`, where a Service without a namespace counts as being in
 * `default` (as the apiserver would have placed it).
 */
export function serviceKeyOf(service: Readonly<Service>): string {
  const namespace = service.metadata?.namespace;
  return objectKeyString(namespace === undefined || namespace === '' ? 'default' : namespace, service.metadata?.name ?? '');
}

interface BalancerRecord {
  readonly name: string;
  readonly serviceKey: string;
  readonly clusterName: string;
  nodes: readonly string[];
  readonly status: LoadBalancerStatus;
  readonly allocatedIP: string | undefined;
}

/**
 * Load balancers keyed by service key rather than by load-balancer name: the default name is
 * derived from the Service UID, which hand-written test Services often lack (every one would be
 * named `a`), and tests think in Services. The name is still computed and reported.
 *
 * Ensure allocates one ingress IP per load balancer and keeps it across later ensures; deletion
 * returns it to the range. An explicit status ({@link FakeLoadBalancers.setStatus}) wins over
 * allocation. Inputs are only read, never written.
 */
export class FakeLoadBalancers {
  readonly #allocator: IpRangeAllocator;
  readonly #ipMode: LoadBalancerIPMode | undefined;
  readonly #statuses = new Map<string, LoadBalancerStatus>();
  readonly #balancers = new Map<string, BalancerRecord>();
  /** The backend names last stored: equal lists share it (10,000 balancers need not hold 10,000 copies). */
  #lastNames: readonly string[] = Object.freeze([]);
  /** The names of the list {@link FakeLoadBalancers.#lastNames} was sorted from, in its order. */
  #lastUnsorted: readonly string[] = [];
  readonly #namesOfFrozen = new WeakMap<readonly Readonly<Node>[], readonly string[]>();
  readonly #seenOnce = new WeakSet<readonly Readonly<Node>[]>();

  /** @throws RangeError when `ipRange` is not a valid CIDR range. */
  constructor(options: FakeLoadBalancerOptions = {}) {
    this.#allocator = new IpRangeAllocator(options.ipRange ?? DEFAULT_LOAD_BALANCER_IP_RANGE);
    this.#ipMode = options.ipMode;
    for (const [key, status] of Object.entries(options.statuses ?? {})) this.setStatus(key, status);
  }

  /**
   * Makes the next ensures of `serviceKey` return `status` (a deep copy) instead of an allocated
   * IP; `undefined` goes back to allocation. Takes effect at the next ensure, not on an existing
   * load balancer's current status.
   */
  setStatus(serviceKey: string, status: LoadBalancerStatus | undefined): void {
    if (status === undefined) this.#statuses.delete(serviceKey);
    else this.#statuses.set(serviceKey, deepFreeze(structuredClone(status)));
  }

  /** The provider's name for the Service's load balancer, as upstream's fake: the default name. */
  name(service: Readonly<Service>): string {
    return defaultLoadBalancerName(service);
  }

  /** Whether the Service has a load balancer, and its status. */
  get(service: Readonly<Service>): LoadBalancerLookup {
    const found = this.#balancers.get(serviceKeyOf(service));
    return found === undefined ? { exists: false } : { exists: true, status: structuredClone(found.status) };
  }

  /**
   * Creates or updates the Service's load balancer to point at `nodes` and returns its status.
   * @throws Error when a new IP is needed and the range is exhausted.
   */
  ensure(clusterName: string, service: Readonly<Service>, nodes: readonly Readonly<Node>[]): LoadBalancerStatus {
    const serviceKey = serviceKeyOf(service);
    const existing = this.#balancers.get(serviceKey);
    const explicit = this.#statuses.get(serviceKey);
    let allocatedIP: string | undefined;
    let status: LoadBalancerStatus;
    if (explicit !== undefined) {
      if (existing?.allocatedIP !== undefined) this.#allocator.release(existing.allocatedIP);
      status = structuredClone(explicit);
    } else {
      allocatedIP = existing?.allocatedIP ?? this.#allocator.allocate();
      status = { ingress: [this.#ipMode === undefined ? { ip: allocatedIP } : { ip: allocatedIP, ipMode: this.#ipMode }] };
    }
    this.#balancers.set(serviceKey, {
      name: this.name(service),
      serviceKey,
      clusterName,
      nodes: this.#names(nodes),
      status: deepFreeze(structuredClone(status)),
      allocatedIP,
    });
    return status;
  }

  /**
   * Replaces the backend set of the Service's load balancer.
   * @throws Error when the Service has no load balancer (the contract only updates existing ones).
   */
  update(service: Readonly<Service>, nodes: readonly Readonly<Node>[]): void {
    const serviceKey = serviceKeyOf(service);
    const found = this.#balancers.get(serviceKey);
    if (found === undefined) throw new Error(`fake cloud provider: updateLoadBalancer: service ${JSON.stringify(serviceKey)} has no load balancer`);
    found.nodes = this.#names(nodes);
  }

  /**
   * The sorted backend names of `nodes`, frozen. The service controller hands one frozen snapshot
   * of the node set to every load balancer in a pass, and sorting thousands of names per call
   * dominated large simulations: the answer for a list that can never change (frozen array of
   * frozen Nodes with frozen metadata) is remembered, and equal answers share one array.
   */
  #names(nodes: readonly Readonly<Node>[]): readonly string[] {
    const known = this.#namesOfFrozen.get(nodes);
    if (known !== undefined) return known;
    // The same names in the same order as the last list: the same sorted answer, without sorting
    // or even copying (each Ensure gets a fresh snapshot while Nodes change, names or not).
    let names: readonly string[];
    if (sameNames(nodes, this.#lastUnsorted)) {
      names = this.#lastNames;
    } else {
      const unsorted = nodes.map((node) => node.metadata?.name ?? '');
      names = Object.freeze(unsorted.slice().sort(compareStrings));
      if (sameStrings(names, this.#lastNames)) names = this.#lastNames;
      else this.#lastNames = names;
      this.#lastUnsorted = unsorted;
    }
    // Only a list met twice is worth remembering (an Ensure's list usually is not met again), and
    // checking that it can never change walks every Node.
    if (this.#seenOnce.has(nodes)) {
      if (isImmutableNodeList(nodes)) this.#namesOfFrozen.set(nodes, names);
    } else {
      this.#seenOnce.add(nodes);
    }
    return names;
  }

  /** Deletes the Service's load balancer; succeeds when there is none (the contract requires idempotence). */
  delete(service: Readonly<Service>): void {
    const serviceKey = serviceKeyOf(service);
    const found = this.#balancers.get(serviceKey);
    if (found === undefined) return;
    if (found.allocatedIP !== undefined) this.#allocator.release(found.allocatedIP);
    this.#balancers.delete(serviceKey);
  }

  /** The load balancer of `serviceKey`, if any. */
  find(serviceKey: string): FakeLoadBalancerState | undefined {
    const found = this.#balancers.get(serviceKey);
    return found === undefined ? undefined : snapshot(found);
  }

  /** Every load balancer, sorted by service key. */
  list(): FakeLoadBalancerState[] {
    return [...this.#balancers.values()].sort((a, b) => (a.serviceKey < b.serviceKey ? -1 : a.serviceKey > b.serviceKey ? 1 : 0)).map(snapshot);
  }
}

function isImmutableNodeList(nodes: readonly Readonly<Node>[]): boolean {
  if (!Object.isFrozen(nodes)) return false;
  for (const node of nodes) {
    if (!Object.isFrozen(node)) return false;
    if (node.metadata !== undefined && !Object.isFrozen(node.metadata)) return false;
  }
  return true;
}

function sameNames(nodes: readonly Readonly<Node>[], names: readonly string[]): boolean {
  if (nodes.length !== names.length) return false;
  for (let i = 0; i < nodes.length; i++) if ((nodes[i]?.metadata?.name ?? '') !== names[i]) return false;
  return true;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function snapshot(record: BalancerRecord): FakeLoadBalancerState {
  // A shallow freeze is a deep one here: `nodes` is always a frozen array of strings (#names)
  // and `status` a deep-frozen copy; deep-freezing walked every node name of every balancer.
  return Object.freeze({
    name: record.name,
    serviceKey: record.serviceKey,
    clusterName: record.clusterName,
    nodes: record.nodes,
    // Already a frozen copy: sharing it is safe.
    status: record.status,
  });
}
