/**
 * ClusterIPs and node ports of the simulated API server's Services, allocated as kube-apiserver
 * allocates them on write: a ClusterIP for every Service but ExternalName and headless ones; a
 * nodePort per port of NodePort and LoadBalancer Services (unless
 * `allocateLoadBalancerNodePorts: false`); a `healthCheckNodePort` for LoadBalancer Services with
 * `externalTrafficPolicy: Local`. An update that omits them keeps the stored ones (upstream's
 * `patchAllocatedValues`); a value another Service holds is 422 "provided port is already
 * allocated". Deterministic (lowest free first) where the apiserver picks at random — a
 * documented difference (docs/deviations.md).
 *
 * @module
 */
import { apiErrors } from '../errors.js';
import { fieldErrors } from './validation.js';
import type { StatusCause } from '../errors.js';
import { isJsonObject } from '../json-value.js';
import type { JsonObject } from '../json-value.js';

/** The default `--service-cluster-ip-range`: the e2e cluster's. */
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16';
/** The default `--service-node-port-range`. */
export const DEFAULT_SERVICE_NODE_PORT_RANGE = '30000-32767';

/** The ranges Services are allocated from (kube-apiserver's flags of the same names). */
export interface ServiceRanges {
  /** `--service-cluster-ip-range`: an IPv4 CIDR, /8 to /28 (default 10.96.0.0/16). */
  readonly serviceClusterIPRange?: string;
  /**
   * `--service-node-port-range`: `min-max` inclusive (default 30000-32767). When given, a
   * requested nodePort outside it is refused as kube-apiserver refuses it; when not, any port is
   * accepted (in-process tests give the real ephemeral ports their node processes listen on) and
   * allocation still draws from the default range.
   */
  readonly serviceNodePortRange?: string;
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Parses a cluster IP range; throws a RangeError naming the flag. */
function parseCidr(text: string): { base: number; size: number } {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  const ip = m === null ? undefined : parseIpv4(m[1] as string);
  const bits = m === null ? NaN : Number(m[2]);
  if (ip === undefined || !(bits >= 8 && bits <= 28)) {
    throw new RangeError(`service-cluster-ip-range: ${JSON.stringify(text)} is not an IPv4 CIDR from /8 to /28 (e.g. 10.96.0.0/16)`);
  }
  const size = 2 ** (32 - bits);
  return { base: ip - (ip % size), size };
}

/** Parses a node port range; throws a RangeError naming the flag. */
function parsePortRange(text: string): { min: number; max: number } {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const min = m === null ? NaN : Number(m[1]);
  const max = m === null ? NaN : Number(m[2]);
  if (!(min >= 1 && max <= 65535 && min <= max)) {
    throw new RangeError(`service-node-port-range: ${JSON.stringify(text)} is not a port range min-max within 1-65535 (e.g. 30000-32767)`);
  }
  return { min, max };
}

function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

interface Held {
  readonly clusterIP: string | undefined;
  /** Usually one or two ports: a list costs a tenth of a Set, and 10,000 Services hold one each. */
  readonly nodePorts: readonly number[];
}

/** A Service's identity in the allocator. */
type ServiceKey = string;

/** The allocations of every Service of one simulated API server. */
export class ServiceAllocations {
  readonly #ips = new Map<string, ServiceKey>();
  readonly #ports = new Map<number, ServiceKey>();
  readonly #held = new Map<ServiceKey, Held>();
  readonly #ipBase: number;
  readonly #ipCount: number;
  /** The first offset handed out: .0 (network) and .1 (the `kubernetes` Service) are kept back, and a few more. */
  readonly #ipFirst: number;
  readonly #portMin: number;
  readonly #portMax: number;
  readonly #ipRangeText: string;
  readonly #enforcePortRange: boolean;
  #nextIp: number;
  #nextPort: number;

  constructor(ranges: ServiceRanges = {}) {
    this.#ipRangeText = ranges.serviceClusterIPRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE;
    const cidr = parseCidr(this.#ipRangeText);
    this.#ipBase = cidr.base;
    this.#ipCount = cidr.size;
    this.#ipFirst = cidr.size > 64 ? 10 : 2;
    const ports = parsePortRange(ranges.serviceNodePortRange ?? DEFAULT_SERVICE_NODE_PORT_RANGE);
    this.#portMin = ports.min;
    this.#portMax = ports.max;
    this.#enforcePortRange = ranges.serviceNodePortRange !== undefined;
    this.#nextIp = this.#ipFirst;
    this.#nextPort = ports.min;
  }

  #inIpRange(ip: string): boolean {
    const n = parseIpv4(ip);
    return n !== undefined && n > this.#ipBase && n < this.#ipBase + this.#ipCount - 1;
  }

  /**
   * Fills in `next`'s ClusterIP and node ports (keeping `stored`'s where `next` omits them) and
   * checks that none is another Service's. Returns field causes on a clash; allocates nothing
   * until {@link commit}.
   */
  assign(key: ServiceKey, next: JsonObject, stored: JsonObject | undefined): StatusCause[] {
    const spec = next['spec'];
    if (!isJsonObject(spec)) return [];
    const oldSpec = stored !== undefined && isJsonObject(stored['spec']) ? stored['spec'] : undefined;
    const causes: StatusCause[] = [];
    const type = spec['type'];

    if (type !== 'ExternalName') {
      if ((spec['clusterIP'] === undefined || spec['clusterIP'] === '') && typeof oldSpec?.['clusterIP'] === 'string') spec['clusterIP'] = oldSpec['clusterIP'];
      const ip = spec['clusterIP'];
      if (ip === undefined || ip === '') {
        const free = this.#freeIp();
        // As kube-apiserver's allocator: not a field error (the field is fine), an internal one.
        if (free === '') throw apiErrors.internal('failed to allocate a serviceIP: range is full');
        spec['clusterIP'] = free;
      }
      else if (typeof ip === 'string' && ip !== 'None' && this.#ips.get(ip) === undefined && oldSpec?.['clusterIP'] !== ip && !this.#inIpRange(ip)) {
        causes.push(
          fieldErrors.invalid(
            'spec.clusterIPs[0]',
            ip,
            `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${this.#ipRangeText}`,
          ),
        );
      } else if (typeof ip === 'string' && ip !== 'None' && (this.#ips.get(ip) ?? key) !== key) {
        causes.push(fieldErrors.invalid('spec.clusterIP', ip, 'failed to allocate IP: provided IP is already allocated'));
      }
      if (typeof spec['clusterIP'] === 'string') spec['clusterIPs'] = [spec['clusterIP']];
    }

    const wantsNodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] !== false);
    // Node ports this Service claims in this request, with the protocols using each: one port
    // number over TCP and UDP (DNS) shares its node port, as kube-apiserver allows.
    const taken = new Map<number, Set<string>>();
    const held = this.#held.get(key)?.nodePorts;
    const HEALTH = 'healthCheckNodePort';
    const claim = (path: string, port: number, protocol: string): void => {
      const users = taken.get(port);
      const clash = users !== undefined && (users.has(protocol) || users.has(HEALTH) || protocol === HEALTH);
      if (this.#enforcePortRange && held?.includes(port) !== true && (port < this.#portMin || port > this.#portMax)) {
        causes.push(fieldErrors.invalid(path, port, `provided port is not in the valid range. The range of valid ports is ${this.#portMin}-${this.#portMax}`));
      } else if ((this.#ports.get(port) ?? key) !== key || clash) causes.push(fieldErrors.invalid(path, port, 'provided port is already allocated'));
      taken.set(port, (users ?? new Set<string>()).add(protocol));
    };
    const ports = Array.isArray(spec['ports']) ? spec['ports'] : [];
    const oldPorts: unknown[] = Array.isArray(oldSpec?.['ports']) ? oldSpec['ports'] : [];
    const protocolOf = (port: JsonObject): string => (typeof port['protocol'] === 'string' ? port['protocol'] : 'TCP');
    /** A node port given (or already assigned) to another entry with the same port number (initNodePorts' svcPortToNodePort). */
    const shared = (port: JsonObject): number | undefined => {
      for (const o of ports as unknown[]) {
        if (isJsonObject(o) && o !== port && o['port'] === port['port'] && typeof o['nodePort'] === 'number' && o['nodePort'] !== 0) return o['nodePort'];
      }
      return undefined;
    };
    ports.forEach((port, i) => {
      if (!isJsonObject(port)) return;
      const path = `spec.ports[${i}].nodePort`;
      if (typeof port['nodePort'] === 'number' && port['nodePort'] !== 0) {
        claim(path, port['nodePort'], protocolOf(port));
        return;
      }
      if (!wantsNodePorts) return;
      // As patchAllocatedValues: the same port and protocol keep their node port.
      const same = oldPorts.find((o) => isJsonObject(o) && o['port'] === port['port'] && (o['protocol'] ?? 'TCP') === (port['protocol'] ?? 'TCP'));
      const kept = isJsonObject(same) && typeof same['nodePort'] === 'number' ? same['nodePort'] : undefined;
      const nodePort = kept ?? shared(port) ?? this.#freePort(taken);
      if (nodePort === 0) throw apiErrors.internal('failed to allocate a nodePort: range is full');
      port['nodePort'] = nodePort;
      claim(path, nodePort, protocolOf(port));
    });

    if (type === 'LoadBalancer' && spec['externalTrafficPolicy'] === 'Local') {
      const given = spec['healthCheckNodePort'];
      if (typeof given === 'number' && given !== 0) claim('spec.healthCheckNodePort', given, HEALTH);
      else {
        const kept = oldSpec?.['healthCheckNodePort'];
        const healthPort = typeof kept === 'number' && kept !== 0 ? kept : this.#freePort(taken);
        if (healthPort === 0) throw apiErrors.internal('failed to allocate a nodePort: range is full');
        spec['healthCheckNodePort'] = healthPort;
        claim('spec.healthCheckNodePort', healthPort, HEALTH);
      }
    } else if (spec['healthCheckNodePort'] === 0) {
      delete spec['healthCheckNodePort'];
    }
    return causes;
  }

  /** Records what `obj` holds (after a successful write), releasing what it held before. */
  commit(key: ServiceKey, obj: JsonObject): void {
    this.release(key);
    const spec = obj['spec'];
    if (!isJsonObject(spec)) return;
    const ip = spec['clusterIP'];
    const clusterIP = typeof ip === 'string' && ip !== 'None' && ip !== '' ? ip : undefined;
    if (clusterIP !== undefined) this.#ips.set(clusterIP, key);
    const nodePorts: number[] = [];
    const hold = (port: unknown): void => {
      if (typeof port === 'number' && !nodePorts.includes(port)) nodePorts.push(port);
    };
    const ports = Array.isArray(spec['ports']) ? spec['ports'] : [];
    for (const port of ports) if (isJsonObject(port)) hold(port['nodePort']);
    hold(spec['healthCheckNodePort']);
    for (const p of nodePorts) this.#ports.set(p, key);
    this.#held.set(key, { clusterIP, nodePorts });
  }

  /** Frees everything `key` holds (its Service is gone). */
  release(key: ServiceKey): void {
    const held = this.#held.get(key);
    if (held === undefined) return;
    if (held.clusterIP !== undefined && this.#ips.get(held.clusterIP) === key) this.#ips.delete(held.clusterIP);
    for (const p of held.nodePorts) if (this.#ports.get(p) === key) this.#ports.delete(p);
    this.#held.delete(key);
  }

  #freeIp(): string {
    // Bounded: one pass over the range.
    for (let i = 0; i < this.#ipCount; i++) {
      const candidate = ipString(this.#ipBase + this.#nextIp);
      this.#nextIp = this.#nextIp + 1 >= this.#ipCount - 1 ? this.#ipFirst : this.#nextIp + 1;
      if (!this.#ips.has(candidate)) return candidate;
    }
    return '';
  }

  #freePort(taken: ReadonlyMap<number, unknown>): number {
    for (let i = 0; i <= this.#portMax - this.#portMin; i++) {
      const candidate = this.#nextPort;
      this.#nextPort = candidate >= this.#portMax ? this.#portMin : candidate + 1;
      if (!this.#ports.has(candidate) && !taken.has(candidate)) return candidate;
    }
    return 0;
  }
}
