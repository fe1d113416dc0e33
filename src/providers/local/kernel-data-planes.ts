/**
 * The Services served by the nftables data plane: each with its node set and health checker, all
 * rendered into the provider's one table and loaded in one transaction whenever anything changes
 * (a Service, its nodes, a node's health). Loads are serialised and coalesced: a burst of changes
 * costs one `nft -f` after the one in flight.
 *
 * @module
 */
import type { Clock } from '../../kube/clock.js';
import type { WriteFence } from '../../kube/write-fence.js';
import type { Logger } from '../../log/logger.js';
import type { CommandRunner } from './host-commands.js';
import { HealthChecker } from './health-checker.js';
import type { LocalConfig } from './local-config.js';
import type { KernelPort, KernelService } from './nftables-data-plane.js';
import { deleteNftTable, deleteNftTableSync, loadNftTable, nftablesUnavailableReason, renderNftTable } from './nftables-data-plane.js';
import type { DataPlaneNode } from './service-data-plane.js';

/** What {@link KernelDataPlanes.apply} needs of a Service. */
export interface KernelServiceSpec {
  readonly address: string;
  readonly family: 4 | 6;
  readonly ports: readonly KernelPort[];
  readonly nodes: readonly DataPlaneNode[];
  readonly sourceRanges: readonly string[];
  readonly affinitySeconds: number | undefined;
  readonly healthCheckPort: number;
}

interface Entry {
  spec: KernelServiceSpec;
  readonly health: HealthChecker;
}

/** Options of {@link KernelDataPlanes}. */
export interface KernelDataPlanesOptions {
  readonly config: LocalConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly runner: CommandRunner;
  /** Asked before every load: a replica that no longer leads programs nothing. */
  readonly fence: Pick<WriteFence, 'check'>;
  readonly onHealthChange?: ((service: string, node: string, healthy: boolean) => void) | undefined;
}

/** The nftables-served Services of one provider. */
export class KernelDataPlanes {
  readonly #o: KernelDataPlanesOptions;
  readonly #services = new Map<string, Entry>();
  #loading: Promise<void> = Promise.resolve();
  #dirty = false;
  /** Whether the table may exist (something was loaded since the last delete). */
  #tableLoaded = false;
  /** The last load failed: the kernel still has an older table than this state (retried by the next call). */
  #behind = false;
  #exitHook: (() => void) | undefined;

  constructor(options: KernelDataPlanesOptions) {
    this.#o = options;
  }

  get #table(): string {
    return this.#o.config.nftables.table;
  }

  /** Why nftables cannot serve this provider's pools here, or undefined when it can. */
  unavailableReason(): Promise<string | undefined> {
    const families = new Set(this.#o.config.pools.flatMap((p) => p.ranges.map((r) => r.family)));
    // Traffic from other hosts is forwarded; a loopback-only setup (local clients) needs no forwarding.
    const forwarding = this.#o.config.pools.some((p) => p.interface !== undefined);
    return nftablesUnavailableReason(this.#o.runner, families, forwarding, this.#table);
  }

  /** The address of a Service served here. */
  address(key: string): string | undefined {
    return this.#services.get(key)?.spec.address;
  }

  has(key: string): boolean {
    return this.#services.has(key);
  }

  /** Node names in rotation for `key` (tests, metrics). */
  healthStates(key: string): { node: string; healthy: boolean }[] {
    return this.#services.get(key)?.health.states() ?? [];
  }

  /** The keys served. */
  keys(): string[] {
    return [...this.#services.keys()];
  }

  /** Serves `key` as `spec` (new or changed) and loads the table. */
  async apply(key: string, spec: KernelServiceSpec): Promise<void> {
    let entry = this.#services.get(key);
    if (entry === undefined) {
      const onHealthChange = this.#o.onHealthChange;
      const health = new HealthChecker({
        clock: this.#o.clock,
        settings: this.#o.config.healthCheck,
        onChange: (node, healthy) => {
          onHealthChange?.(key, node, healthy);
          // A node entering or leaving rotation rewrites the table.
          this.#load().catch((err: unknown) => this.#o.logger.error(err, 'Failed to update the nftables table after a health change', { service: key }));
        },
      });
      entry = { spec, health };
      this.#services.set(key, entry);
    }
    const previous = entry.spec === spec ? undefined : entry.spec;
    entry.spec = spec;
    entry.health.setTargets(spec.nodes.map((n) => ({ node: n.name, host: n.host, port: spec.healthCheckPort })));
    entry.health.start();
    try {
      await this.#load();
    } catch (err) {
      // The failed transaction changed nothing in the kernel: neither does it here.
      if (previous === undefined) {
        entry.health.stop();
        this.#services.delete(key);
      } else entry.spec = previous;
      throw err;
    }
  }

  /** Replaces the node set of `key` (node sync). */
  async setNodes(key: string, nodes: readonly DataPlaneNode[], healthCheckPort: number): Promise<void> {
    const entry = this.#services.get(key);
    if (entry === undefined) return;
    await this.apply(key, { ...entry.spec, nodes, healthCheckPort });
  }

  /** Stops serving `key`; the table is rewritten without it (deleted when it was the last). */
  async remove(key: string): Promise<void> {
    const entry = this.#services.get(key);
    if (entry === undefined) {
      // A removal whose load failed is still in the kernel: the retry (the controller's) loads again.
      if (this.#behind) await this.#load();
      return;
    }
    entry.health.stop();
    this.#services.delete(key);
    await this.#load();
  }

  /** Stops every health check and deletes the table (leadership ended). Never fenced: removal only. */
  async stop(): Promise<void> {
    for (const entry of this.#services.values()) entry.health.stop();
    this.#services.clear();
    await this.#loading.catch(() => undefined);
    await deleteNftTable(this.#o.runner, this.#table).catch((err: unknown) => this.#o.logger.error(err, 'Failed to delete the nftables table'));
    this.#tableLoaded = false;
    this.#disarm();
  }

  /**
   * Deletes a table a previous run left (a crash); at process start, leader or not. A failure is
   * logged, never thrown: where nft cannot run (not installed, no permission) there is nothing to
   * remove and the provider must still start, serving in user space (see {@link unavailableReason}).
   */
  async removeStale(): Promise<void> {
    if (this.#services.size > 0) return;
    await deleteNftTable(this.#o.runner, this.#table).catch((err: unknown) => this.#o.logger.error(err, 'Could not delete the nftables table a previous run may have left', { table: this.#table }));
  }

  #load(): Promise<void> {
    this.#dirty = true;
    const next = this.#loading.catch(() => undefined).then(async () => {
      // A change coalesced into a load that failed is not in the kernel yet: load it now.
      if (!this.#dirty && !this.#behind) return;
      this.#dirty = false;
      try {
        if (this.#services.size === 0) {
          if (this.#tableLoaded) await deleteNftTable(this.#o.runner, this.#table);
          this.#tableLoaded = false;
          this.#disarm();
        } else {
          this.#o.fence.check('load the nftables table');
          const script = renderNftTable(this.#render(), { balancing: this.#o.config.balancing, masquerade: this.#o.config.nftables.masquerade, table: this.#table });
          this.#arm();
          this.#tableLoaded = true;
          await loadNftTable(this.#o.runner, script);
        }
        this.#behind = false;
      } catch (err) {
        this.#behind = true;
        throw err;
      }
    });
    this.#loading = next;
    return next;
  }

  #render(): KernelService[] {
    return [...this.#services].map(([key, { spec, health }]) => {
      const healthy = spec.nodes.filter((n) => health.isHealthy(n.name));
      // No healthy node: every node is tried, as the user-space path does.
      const nodes = (healthy.length > 0 ? healthy : spec.nodes).map((n) => n.host);
      return { key, address: spec.address, family: spec.family, ports: spec.ports, nodes, sourceRanges: spec.sourceRanges, affinitySeconds: spec.affinitySeconds };
    });
  }

  #arm(): void {
    if (this.#exitHook !== undefined) return;
    this.#exitHook = () => deleteNftTableSync(this.#o.runner, this.#table);
    process.on('exit', this.#exitHook);
  }

  #disarm(): void {
    if (this.#exitHook !== undefined) process.off('exit', this.#exitHook);
    this.#exitHook = undefined;
  }
}
