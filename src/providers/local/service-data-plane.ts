/**
 * The data plane of one Service: a listener per (protocol, port) on its address, sharing one
 * health checker, updated in place so established connections survive node-set and port changes.
 *
 * @module
 */
import type { Clock } from '../../kube/clock.js';
import type { WriteFence } from '../../kube/write-fence.js';
import type { Backend } from './backend-picker.js';
import { BackendPicker } from './backend-picker.js';
import { HealthChecker } from './health-checker.js';
import type { LocalConfig } from './local-config.js';
import type { ProxyProtocolVersion } from './proxy-protocol.js';
import type { SourceFilter } from './source-ranges.js';
import { TcpListener } from './tcp-listener.js';
import { UdpListener } from './udp-listener.js';

/** One Service port as the data plane serves it. */
export interface DataPlanePort {
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
  readonly nodePort: number;
}

/** A node in the backend set. */
export interface DataPlaneNode {
  readonly name: string;
  readonly host: string;
}

/** Everything a data plane serves. */
export interface DataPlaneSpec {
  readonly ports: readonly DataPlanePort[];
  readonly nodes: readonly DataPlaneNode[];
  readonly filter: SourceFilter;
  /** ClientIP affinity timeout, or undefined for none. */
  readonly affinityTimeoutMs: number | undefined;
  /** Port probed on each node for `/healthz`. */
  readonly healthCheckPort: number;
  /** PROXY protocol header sent to nodes on TCP ports; undefined for none. */
  readonly proxyProtocol?: ProxyProtocolVersion | undefined;
  /** Asked before each bind; a refusal (`NotLeaderError`) ends {@link ServiceDataPlane.apply} at once. */
  readonly fence?: Pick<WriteFence, 'check'> | undefined;
}

interface Entry {
  readonly listener: TcpListener | UdpListener;
  readonly picker: BackendPicker;
  nodePort: number;
}

/** Options of {@link ServiceDataPlane}. */
export interface ServiceDataPlaneOptions {
  readonly key: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly clock: Clock;
  readonly config: LocalConfig;
  readonly onHealthChange?: ((service: string, node: string, healthy: boolean) => void) | undefined;
}

/** The listeners of one Service. */
export class ServiceDataPlane {
  readonly key: string;
  readonly address: string;
  readonly #family: 4 | 6;
  readonly #clock: Clock;
  readonly #config: LocalConfig;
  readonly #health: HealthChecker;
  readonly #listeners = new Map<string, Entry>();
  readonly #draining = new Set<Promise<void>>();

  constructor(options: ServiceDataPlaneOptions) {
    this.key = options.key;
    this.address = options.address;
    this.#family = options.family;
    this.#clock = options.clock;
    this.#config = options.config;
    const onHealthChange = options.onHealthChange;
    this.#health = new HealthChecker({
      clock: options.clock,
      settings: options.config.healthCheck,
      ...(onHealthChange !== undefined && { onChange: (node: string, healthy: boolean) => onHealthChange(options.key, node, healthy) }),
    });
  }

  /** The health checker (tests probe through it). */
  get health(): HealthChecker {
    return this.#health;
  }

  /** `PROTOCOL/port` of every open listener. */
  get listeners(): string[] {
    return [...this.#listeners.keys()];
  }

  /** Established TCP connections plus UDP sessions. */
  get connections(): number {
    let n = 0;
    for (const { listener } of this.#listeners.values()) n += listener.connections;
    return n;
  }

  /** Per open listener: its protocol, port and open connections (TCP) or sessions (UDP). */
  listenerStats(): { readonly protocol: 'TCP' | 'UDP'; readonly port: number; readonly connections: number }[] {
    return [...this.#listeners.values()].map(({ listener }) => ({
      protocol: listener instanceof TcpListener ? 'TCP' : 'UDP',
      port: listener.port,
      connections: listener.connections,
    }));
  }

  /** Listeners being drained after removal. */
  get draining(): number {
    return this.#draining.size;
  }

  /**
   * Brings the listeners to `spec`: binds new ports, updates kept ones in place (backends,
   * source ranges, affinity — new connections only), drains removed ones in the background.
   * @throws AggregateError-like Error naming every `address:port/PROTOCOL` that could not be bound;
   * the other ports are still served. The fence's refusal, before the next bind.
   */
  async apply(spec: DataPlaneSpec): Promise<void> {
    this.#health.setTargets(spec.nodes.map((n) => ({ node: n.name, host: n.host, port: spec.healthCheckPort })));
    this.#health.start();
    const wanted = new Map(spec.ports.map((p) => [`${p.protocol}/${p.port}`, p]));
    for (const [id, entry] of this.#listeners) {
      if (!wanted.has(id)) {
        this.#listeners.delete(id);
        this.#track(entry.listener.drain(this.#config.drainTimeoutMs));
      }
    }
    const failures: Error[] = [];
    for (const [id, port] of wanted) {
      let entry = this.#listeners.get(id);
      if (entry === undefined) {
        spec.fence?.check(`listen on ${this.address}:${port.port}/${port.protocol}`);
        const picker = new BackendPicker({ clock: this.#clock, algorithm: this.#config.balancing, isHealthy: (node) => this.#health.isHealthy(node) });
        const common = { address: this.address, port: port.port, picker, clock: this.#clock, filter: spec.filter };
        const listener =
          port.protocol === 'TCP'
            ? new TcpListener({ ...common, connectTimeoutMs: this.#config.connectTimeoutMs, proxyProtocol: spec.proxyProtocol })
            : new UdpListener({ ...common, family: this.#family, idleTimeoutMs: this.#config.udpIdleTimeoutMs });
        try {
          await listener.listen();
        } catch (err) {
          listener.destroyAll();
          failures.push(err as Error);
          continue;
        }
        entry = { listener, picker, nodePort: port.nodePort };
        this.#listeners.set(id, entry);
      }
      entry.nodePort = port.nodePort;
      entry.listener.setFilter(spec.filter);
      if (entry.listener instanceof TcpListener) entry.listener.setProxyProtocol(spec.proxyProtocol);
      entry.picker.setAffinity(spec.affinityTimeoutMs);
      entry.picker.setBackends(spec.nodes.map((n): Backend => ({ node: n.name, host: n.host, port: port.nodePort })));
    }
    // Every port's failure, with each system error kept as a cause (callers look for EADDRINUSE).
    if (failures.length === 1) throw failures[0] as Error;
    if (failures.length > 1) throw new AggregateError(failures, failures.map((f) => f.message).join('; '));
  }

  /** Replaces only the node set (the service controller's node-sync path). */
  setNodes(nodes: readonly DataPlaneNode[], healthCheckPort: number): void {
    this.#health.setTargets(nodes.map((n) => ({ node: n.name, host: n.host, port: healthCheckPort })));
    for (const entry of this.#listeners.values()) {
      entry.picker.setBackends(nodes.map((n): Backend => ({ node: n.name, host: n.host, port: entry.nodePort })));
    }
  }

  /** Stops accepting everywhere and lets connections finish within `graceMs` (0 = reset now). */
  async close(graceMs: number): Promise<void> {
    this.#health.stop();
    const listeners = [...this.#listeners.values()];
    this.#listeners.clear();
    for (const { listener } of listeners) this.#track(listener.drain(graceMs));
    await Promise.all([...this.#draining]);
  }

  #track(drain: Promise<void>): void {
    const tracked = drain.finally(() => this.#draining.delete(tracked));
    this.#draining.add(tracked);
  }
}
