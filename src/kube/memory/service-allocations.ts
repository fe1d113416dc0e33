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

/** The simulated `--service-cluster-ip-range`: 10.96.0.0/16 (the e2e cluster's), .0 and .1 kept back. */
const CLUSTER_IP_BASE = (10 << 24) | (96 << 16);
const CLUSTER_IP_FIRST = 10;
const CLUSTER_IP_COUNT = 1 << 16;
/** The default `--service-node-port-range`. */
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

function ipString(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

interface Held {
  clusterIP?: string;
  nodePorts: Set<number>;
}

/** A Service's identity in the allocator. */
type ServiceKey = string;

/** The allocations of every Service of one simulated API server. */
export class ServiceAllocations {
  readonly #ips = new Map<string, ServiceKey>();
  readonly #ports = new Map<number, ServiceKey>();
  readonly #held = new Map<ServiceKey, Held>();
  #nextIp = CLUSTER_IP_FIRST;
  #nextPort = NODE_PORT_MIN;

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
      else if (typeof ip === 'string' && ip !== 'None' && (this.#ips.get(ip) ?? key) !== key) {
        causes.push(fieldErrors.invalid('spec.clusterIP', ip, 'failed to allocate IP: provided IP is already allocated'));
      }
      if (typeof spec['clusterIP'] === 'string') spec['clusterIPs'] = [spec['clusterIP']];
    }

    const wantsNodePorts = type === 'NodePort' || (type === 'LoadBalancer' && spec['allocateLoadBalancerNodePorts'] !== false);
    const taken = new Set<number>();
    const claim = (path: string, port: number): void => {
      if ((this.#ports.get(port) ?? key) !== key || taken.has(port)) causes.push(fieldErrors.invalid(path, port, 'provided port is already allocated'));
      taken.add(port);
    };
    const ports = Array.isArray(spec['ports']) ? spec['ports'] : [];
    const oldPorts: unknown[] = Array.isArray(oldSpec?.['ports']) ? oldSpec['ports'] : [];
    ports.forEach((port, i) => {
      if (!isJsonObject(port)) return;
      const path = `spec.ports[${i}].nodePort`;
      if (typeof port['nodePort'] === 'number' && port['nodePort'] !== 0) {
        claim(path, port['nodePort']);
        return;
      }
      if (!wantsNodePorts) return;
      // As patchAllocatedValues: the same port and protocol keep their node port.
      const same = oldPorts.find((o) => isJsonObject(o) && o['port'] === port['port'] && (o['protocol'] ?? 'TCP') === (port['protocol'] ?? 'TCP'));
      const kept = isJsonObject(same) && typeof same['nodePort'] === 'number' ? same['nodePort'] : undefined;
      const nodePort = kept ?? this.#freePort(taken);
      if (nodePort === 0) throw apiErrors.internal('failed to allocate a nodePort: range is full');
      port['nodePort'] = nodePort;
      claim(path, nodePort);
    });

    if (type === 'LoadBalancer' && spec['externalTrafficPolicy'] === 'Local') {
      const given = spec['healthCheckNodePort'];
      if (typeof given === 'number' && given !== 0) claim('spec.healthCheckNodePort', given);
      else {
        const kept = oldSpec?.['healthCheckNodePort'];
        const healthPort = typeof kept === 'number' && kept !== 0 ? kept : this.#freePort(taken);
        if (healthPort === 0) throw apiErrors.internal('failed to allocate a nodePort: range is full');
        spec['healthCheckNodePort'] = healthPort;
        claim('spec.healthCheckNodePort', healthPort);
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
    const held: Held = { nodePorts: new Set() };
    if (typeof spec['clusterIP'] === 'string' && spec['clusterIP'] !== 'None' && spec['clusterIP'] !== '') {
      held.clusterIP = spec['clusterIP'];
      this.#ips.set(spec['clusterIP'], key);
    }
    const ports = Array.isArray(spec['ports']) ? spec['ports'] : [];
    for (const port of ports) if (isJsonObject(port) && typeof port['nodePort'] === 'number') held.nodePorts.add(port['nodePort']);
    if (typeof spec['healthCheckNodePort'] === 'number') held.nodePorts.add(spec['healthCheckNodePort']);
    for (const p of held.nodePorts) this.#ports.set(p, key);
    this.#held.set(key, held);
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
    for (let i = 0; i < CLUSTER_IP_COUNT; i++) {
      const candidate = ipString(CLUSTER_IP_BASE + this.#nextIp);
      this.#nextIp = this.#nextIp + 1 >= CLUSTER_IP_COUNT - 1 ? CLUSTER_IP_FIRST : this.#nextIp + 1;
      if (!this.#ips.has(candidate)) return candidate;
    }
    return '';
  }

  #freePort(taken: ReadonlySet<number>): number {
    for (let i = 0; i <= NODE_PORT_MAX - NODE_PORT_MIN; i++) {
      const candidate = this.#nextPort;
      this.#nextPort = candidate >= NODE_PORT_MAX ? NODE_PORT_MIN : candidate + 1;
      if (!this.#ports.has(candidate) && !taken.has(candidate)) return candidate;
    }
    return 0;
  }
}
