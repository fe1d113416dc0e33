/**
 * The local provider's metrics, served with the manager's on `/metrics`: address-pool usage, open
 * connections per listener, and which nodes are in each load balancer's rotation. All are gauges
 * read from the live state when scraped, so nothing on the connection path counts anything.
 *
 * @module
 */
import { Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

/** What the metrics read, at each scrape. */
export interface LocalMetricsSource {
  pools(): readonly { readonly pool: string; readonly size: number; readonly allocated: number }[];
  listeners(): readonly { readonly service: string; readonly address: string; readonly protocol: string; readonly port: number; readonly connections: number }[];
  backends(): readonly { readonly service: string; readonly node: string; readonly healthy: boolean }[];
}

/** Metric names, for dashboards and tests. */
export const LOCAL_METRICS = {
  poolAddresses: 'outrigger_local_pool_addresses',
  poolAllocated: 'outrigger_local_pool_allocated_addresses',
  connections: 'outrigger_local_load_balancer_connections',
  backendHealthy: 'outrigger_local_load_balancer_backend_healthy',
} as const;

// One registry may see several providers over a process's life (tests, the simulator): register once.
const registered = new WeakMap<Registry, { source: LocalMetricsSource }>();

/**
 * Registers the local provider's gauges in `registry`, reading `source` when scraped. Registering
 * again in the same registry (a provider initialised anew) points the gauges at the new source.
 */
export function registerLocalMetrics(registry: Registry, source: LocalMetricsSource): void {
  const existing = registered.get(registry);
  if (existing !== undefined) {
    existing.source = source;
    return;
  }
  const current = { source };
  registered.set(registry, current);
  new Gauge({
    name: LOCAL_METRICS.poolAddresses,
    help: 'Addresses an address pool can hand out (without the .0/.255 ones it avoids).',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of current.source.pools()) this.set({ pool: p.pool }, p.size);
    },
  });
  new Gauge({
    name: LOCAL_METRICS.poolAllocated,
    help: 'Addresses of an address pool allocated to Services.',
    labelNames: ['pool'],
    registers: [registry],
    collect() {
      this.reset();
      for (const p of current.source.pools()) this.set({ pool: p.pool }, p.allocated);
    },
  });
  new Gauge({
    name: LOCAL_METRICS.connections,
    help: 'Open TCP connections or UDP sessions of a load-balancer listener (this replica).',
    labelNames: ['service', 'address', 'protocol', 'port'],
    registers: [registry],
    collect() {
      this.reset();
      for (const l of current.source.listeners()) this.set({ service: l.service, address: l.address, protocol: l.protocol, port: String(l.port) }, l.connections);
    },
  });
  new Gauge({
    name: LOCAL_METRICS.backendHealthy,
    help: "1 when a node is in a load balancer's rotation (passing its health check), 0 when not.",
    labelNames: ['service', 'node'],
    registers: [registry],
    collect() {
      this.reset();
      for (const b of current.source.backends()) this.set({ service: b.service, node: b.node }, b.healthy ? 1 : 0);
    },
  });
}
