/**
 * Load-balancer address management for the local provider: one address per Service from the
 * first matching pool, requested addresses validated against the pools, sticky allocations,
 * re-adoption of addresses a Service already shows in its status, and — opt-in, with a sharing
 * key — one address shared by Services whose ports do not collide.
 *
 * @module
 */
import type { AddressPool } from './local-config.js';
import type { AddressRange, IpAddress } from './ip-address.js';
import { formatIp, isBuggyIp, parseIp, rangeContains } from './ip-address.js';

/** An address held by a Service. */
export interface Allocation {
  readonly ip: string;
  readonly pool: string;
  /** The sharing key the Service holds the address under; absent = exclusive. */
  readonly sharingKey?: string | undefined;
  /** `PROTOCOL/port` of the Service's ports, kept for sharing checks (absent = none recorded). */
  readonly ports?: readonly string[] | undefined;
}

/** What the allocator needs to know about a Service. */
export interface AllocationRequest {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /** Addresses asked for (`spec.loadBalancerIP`, `outrigger.io/load-balancer-ips`); the first is used. */
  readonly requested?: readonly string[] | undefined;
  /** Addresses in `status.loadBalancer.ingress`, re-adopted when the allocator has none for the key. */
  readonly previous?: readonly string[] | undefined;
  /**
   * Services with the same sharing key (`outrigger.io/allow-shared-ip`) may hold one address when
   * none of their `ports` collide; without one the address is the Service's alone.
   */
  readonly sharingKey?: string | undefined;
  /** `PROTOCOL/port` of every Service port (what sharing must keep disjoint). */
  readonly ports?: readonly string[] | undefined;
  /** Addresses not to hand out fresh (ones this host could not bind for the Service). */
  readonly avoid?: ReadonlySet<string> | undefined;
}

/** Why an address could not be allocated; `code` is stable. */
export class AllocationError extends Error {
  override readonly name = 'AllocationError';
  /** `Conflict`, `OutsidePools`, `PoolMismatch`, `InvalidAddress`, `NoMatchingPool` or `Exhausted`. */
  readonly code: 'Conflict' | 'OutsidePools' | 'PoolMismatch' | 'InvalidAddress' | 'NoMatchingPool' | 'Exhausted';

  constructor(code: AllocationError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

/** Whether `pool` may serve a Service in `namespace` carrying `labels`. */
export function poolMatches(pool: AddressPool, namespace: string, labels: Readonly<Record<string, string>> | undefined): boolean {
  if (pool.namespaces.length > 0 && !pool.namespaces.includes(namespace)) return false;
  return pool.serviceSelector.matches(labels);
}

/**
 * Hands out addresses from pools. Never gives one address to two keys: every path that assigns
 * goes through {@link IpAllocator.allocate} or {@link IpAllocator.restore}, both of which check
 * the owner index first.
 */
export class IpAllocator {
  readonly #pools: readonly AddressPool[];
  readonly #byKey = new Map<string, Allocation>();
  // Every address held, with the keys holding it (more than one only when they share it).
  readonly #byIp = new Map<string, Set<string>>();

  constructor(pools: readonly AddressPool[]) {
    this.#pools = pools;
  }

  /** The allocation of `key`, if any. */
  get(key: string): Allocation | undefined {
    return this.#byKey.get(key);
  }

  /** The key holding `ip` (the first in order when several share it), if any. */
  ownerOf(ip: string): string | undefined {
    return this.holdersOf(ip)[0];
  }

  /** Every key holding `ip`, sorted. */
  holdersOf(ip: string): string[] {
    const parsed = parseIp(ip);
    const holders = parsed === undefined ? undefined : this.#byIp.get(formatIp(parsed.value, parsed.family));
    return [...(holders ?? [])].sort();
  }

  /** Every allocation, sorted by key. */
  entries(): [string, Allocation][] {
    return [...this.#byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /**
   * Per pool: how many addresses it can hand out (without the `.0`/`.255` ones it avoids, unless
   * one is held because a Service asked for it) and how many are allocated (a shared one once).
   */
  usage(): { readonly pool: string; readonly size: number; readonly allocated: number }[] {
    // Addresses, not Services: a shared address counts once. An avoided address can still be
    // held when a Service asked for it by name: then it counts in the size too.
    const allocated = new Map<string, number>();
    const heldAvoided = new Map<string, number>();
    for (const [ip, holders] of this.#byIp) {
      const pool = this.#poolOfHeld(holders);
      if (pool === undefined) continue;
      allocated.set(pool.name, (allocated.get(pool.name) ?? 0) + 1);
      const parsed = parseIp(ip);
      if (pool.avoidBuggyIPs && parsed !== undefined && isBuggyIp(parsed)) heldAvoided.set(pool.name, (heldAvoided.get(pool.name) ?? 0) + 1);
    }
    return this.#pools.map((pool) => ({
      pool: pool.name,
      size: pool.ranges.reduce((sum, r) => sum + Number(r.last - r.first + 1n - (pool.avoidBuggyIPs ? buggyIn(r) : 0n)), 0) + (heldAvoided.get(pool.name) ?? 0),
      allocated: allocated.get(pool.name) ?? 0,
    }));
  }

  /** Number of allocations. */
  get size(): number {
    return this.#byKey.size;
  }

  /** The pool containing `ip`, if any. */
  poolOf(ip: IpAddress): AddressPool | undefined {
    return this.#pools.find((p) => p.ranges.some((r) => rangeContains(r, ip)));
  }

  /**
   * The address for the Service: the requested one (if valid, and free or shareable), else its
   * sticky allocation, else a free (or shareable) address from its status, else — with a sharing
   * key — an address already shared under that key where its ports fit, else the first free
   * address of the first matching pool with room.
   * @throws AllocationError naming the address or pool at fault; nothing changes then.
   */
  allocate(req: AllocationRequest): Allocation {
    const current = this.#byKey.get(req.key);
    const requestedText = req.requested?.[0];
    if (requestedText !== undefined) {
      const requested = parseIp(requestedText.trim());
      if (requested === undefined) throw new AllocationError('InvalidAddress', `requested load-balancer IP ${JSON.stringify(requestedText)} is not an IP address`);
      const ip = formatIp(requested.value, requested.family);
      const pool = this.poolOf(requested);
      if (pool === undefined) throw new AllocationError('OutsidePools', `requested load-balancer IP ${ip} is not in any address pool`);
      if (current?.ip !== ip && !poolMatches(pool, req.namespace, req.labels)) {
        throw new AllocationError('PoolMismatch', `requested load-balancer IP ${ip} is in pool ${JSON.stringify(pool.name)}, which does not serve this Service (namespace or label selector)`);
      }
      const blocker = this.#blocker(ip, req);
      if (blocker !== undefined) throw new AllocationError('Conflict', `requested load-balancer IP ${ip} (pool ${JSON.stringify(pool.name)}) is ${blocker}`);
      return this.#assign(req.key, { ip, pool: pool.name }, req);
    }
    // Sticky: once allocated, an address stays with the Service until it is released — unless it
    // shares it and its ports (or key) no longer fit with the others', which it must resolve.
    if (current !== undefined) {
      const blocker = this.#blocker(current.ip, req);
      if (blocker !== undefined) throw new AllocationError('Conflict', `load-balancer IP ${current.ip} (pool ${JSON.stringify(current.pool)}) is ${blocker}`);
      return this.#assign(req.key, current, req);
    }
    const adopted = this.adopt(req);
    if (adopted !== undefined) return adopted;
    const matching = this.#pools.filter((p) => poolMatches(p, req.namespace, req.labels));
    if (matching.length === 0) throw new AllocationError('NoMatchingPool', `no address pool serves namespace ${JSON.stringify(req.namespace)} with these labels`);
    if (req.sharingKey !== undefined) {
      for (const [ip, holders] of this.#byIp) {
        const pool = this.#poolOfHeld(holders);
        if (pool !== undefined && matching.includes(pool) && this.#blocker(ip, req) === undefined) return this.#assign(req.key, { ip, pool: pool.name }, req);
      }
    }
    for (const pool of matching) {
      const ip = this.#firstFree(pool, req.avoid);
      if (ip !== undefined) return this.#assign(req.key, { ip, pool: pool.name }, req);
    }
    throw new AllocationError('Exhausted', `address pool${matching.length > 1 ? 's' : ''} ${matching.map((p) => JSON.stringify(p.name)).join(', ')} ${matching.length > 1 ? 'are' : 'is'} exhausted`);
  }

  /**
   * Re-adopts the first of `req.previous` (the Service's status addresses) that is in a pool serving
   * it and free (or shareable); returns the allocation, or undefined (nothing changes) when none is.
   * A Service that already holds an address keeps it. A status address held by another Service
   * that may not share it (or outside the pools) is not re-adopted: a fresh one is better than
   * handing one address out twice.
   */
  adopt(req: Pick<AllocationRequest, 'key' | 'namespace' | 'labels' | 'previous' | 'sharingKey' | 'ports'>): Allocation | undefined {
    const current = this.#byKey.get(req.key);
    if (current !== undefined) return current;
    const matching = this.#pools.filter((p) => poolMatches(p, req.namespace, req.labels));
    for (const text of req.previous ?? []) {
      const previous = parseIp(text);
      if (previous === undefined) continue;
      const ip = formatIp(previous.value, previous.family);
      const pool = matching.find((p) => p.ranges.some((r) => rangeContains(r, previous)));
      if (pool !== undefined && this.#blocker(ip, req) === undefined) return this.#assign(req.key, { ip, pool: pool.name }, req);
    }
    return undefined;
  }

  /** Frees the address of `key`; returns whether it held one. */
  release(key: string): boolean {
    const current = this.#byKey.get(key);
    if (current === undefined) return false;
    this.#byKey.delete(key);
    this.#unhold(current.ip, key);
    return true;
  }

  /**
   * Takes back allocations read from the state file. Entries whose address is invalid, outside
   * every pool, or already held are skipped and returned with the reason, so a hand-edited file
   * can never make the allocator hand out an address twice.
   */
  restore(entries: Iterable<readonly [string, { readonly ip: string; readonly sharingKey?: string | undefined; readonly ports?: readonly string[] | undefined }]>): { key: string; reason: string }[] {
    const rejected: { key: string; reason: string }[] = [];
    for (const [key, entry] of entries) {
      const parsed = parseIp(entry.ip);
      if (parsed === undefined) {
        rejected.push({ key, reason: `${JSON.stringify(entry.ip)} is not an IP address` });
        continue;
      }
      const ip = formatIp(parsed.value, parsed.family);
      const pool = this.poolOf(parsed);
      const sharing = { key, sharingKey: entry.sharingKey, ports: entry.ports };
      const blocker = this.#blocker(ip, sharing);
      if (pool === undefined) rejected.push({ key, reason: `${ip} is not in any address pool` });
      else if (blocker !== undefined) rejected.push({ key, reason: `${ip} is ${blocker}` });
      else if (this.#byKey.has(key) && this.#byKey.get(key)?.ip !== ip) rejected.push({ key, reason: `${key} already holds another address` });
      else this.#assign(key, { ip, pool: pool.name }, sharing);
    }
    return rejected;
  }

  /**
   * Why `req.key` may not hold `ip` beside its current holders, or undefined when it may: the
   * address is free (or only its own), or every other holder shares it under the same key and
   * uses none of its ports.
   */
  #blocker(ip: string, req: Pick<AllocationRequest, 'key' | 'sharingKey' | 'ports'>): string | undefined {
    const others = [...(this.#byIp.get(ip) ?? [])].filter((k) => k !== req.key).sort();
    if (others.length === 0) return undefined;
    const ports = new Set(req.ports ?? []);
    const holdsIt = this.#byKey.get(req.key)?.ip === ip;
    for (const other of others) {
      const held = this.#byKey.get(other);
      if (req.sharingKey === undefined || held?.sharingKey !== req.sharingKey) {
        // A sharer whose key went away (or changed) still holds the address with the others: say
        // so, and how to move it, rather than that someone else has its own address.
        if (holdsIt && held?.sharingKey !== undefined) {
          return `shared with Service ${other} under key ${JSON.stringify(held.sharingKey)}, which this Service no longer carries (outrigger.io/allow-shared-ip): put the key back, or request another address (outrigger.io/load-balancer-ips)`;
        }
        return `already allocated to Service ${other}`;
      }
      // Ports not recorded (a hand-edited state file): nothing is known to fit beside it.
      if (held.ports === undefined) return `shared with Service ${other}, whose ports are not known`;
      const collision = held.ports.find((p) => ports.has(p));
      if (collision !== undefined) return `shared with Service ${other}, which uses ${collision} too`;
    }
    return undefined;
  }

  #assign(key: string, at: Pick<Allocation, 'ip' | 'pool'>, sharing: Pick<AllocationRequest, 'sharingKey' | 'ports'>): Allocation {
    const allocation: Allocation = {
      ip: at.ip,
      pool: at.pool,
      ...(sharing.sharingKey !== undefined && { sharingKey: sharing.sharingKey }),
      ...(sharing.sharingKey !== undefined && sharing.ports !== undefined && { ports: [...sharing.ports] }),
    };
    const current = this.#byKey.get(key);
    if (current !== undefined) this.#unhold(current.ip, key);
    this.#byKey.set(key, allocation);
    const holders = this.#byIp.get(allocation.ip) ?? new Set<string>();
    holders.add(key);
    this.#byIp.set(allocation.ip, holders);
    return allocation;
  }

  /** The pool of a held address (every holder of one address holds it from the same pool). */
  #poolOfHeld(holders: ReadonlySet<string>): AddressPool | undefined {
    const [first] = holders;
    const name = first === undefined ? undefined : this.#byKey.get(first)?.pool;
    return this.#pools.find((p) => p.name === name);
  }

  #unhold(ip: string, key: string): void {
    const holders = this.#byIp.get(ip);
    holders?.delete(key);
    if (holders?.size === 0) this.#byIp.delete(ip);
  }

  #firstFree(pool: AddressPool, avoid: ReadonlySet<string> | undefined): string | undefined {
    for (const range of pool.ranges) {
      // Bounded: each step either returns or passes an address that is taken or skipped, and at
      // most #byIp.size + avoid.size addresses are (plus two buggy ones per /24 when avoided).
      for (let v = range.first; v <= range.last; v++) {
        const candidate = { family: range.family, value: v };
        if (pool.avoidBuggyIPs && isBuggyIp(candidate)) continue;
        const ip = formatIp(v, range.family);
        if (!this.#byIp.has(ip) && avoid?.has(ip) !== true) return ip;
      }
    }
    return undefined;
  }
}

/** How many IPv4 addresses of `r` end in `.0` or `.255` (none for IPv6). */
function buggyIn(r: AddressRange): bigint {
  if (r.family !== 4) return 0n;
  // Values ≡ k (mod 256) in [first, last], for k = 0 and 255; values are never negative.
  const count = (k: bigint): bigint => (r.last >= k ? (r.last - k) / 256n + 1n : 0n) - (r.first - 1n >= k ? (r.first - 1n - k) / 256n + 1n : 0n);
  return count(0n) + count(255n);
}
