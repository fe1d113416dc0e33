/**
 * The local provider's cloud config (`--cloud-config`, YAML): address pools, the allocation state
 * file, data-plane and health-check settings, and the instance inventory. Validated strictly; every
 * error names the file, the line and the field path.
 *
 * @module
 */
import { z } from 'zod';
import { oneLine } from '../../input/one-line.js';
import { formatFieldPath, parseYamlConfig } from '../../input/yaml-config.js';
import { labelSelectorFromMatch } from '../../kube/selectors/index.js';
import type { LabelSelector } from '../../kube/selectors/index.js';
import type { AddressRange } from './ip-address.js';
import { canonicalIp, parsePoolRange, rangesOverlap } from './ip-address.js';

/** The cloud config is invalid; the message reads `<file>:<line>: <path>: <problem>`. */
export class LocalConfigError extends Error {
  override readonly name = 'LocalConfigError';
  /** A configuration mistake: the manager exits 2 with the message alone. */
  readonly isInputError = true;
  /** The config file, when known. */
  readonly file: string | undefined;
  /** 1-based line of the offending field, when known. */
  readonly line: number | undefined;
  /** Dotted path of the offending field (`pools[1].ranges[0]`), `''` for the document. */
  readonly field: string;

  constructor(file: string | undefined, line: number | undefined, field: string, detail: string) {
    const where = `${file ?? '<cloud-config>'}${line === undefined ? '' : `:${line}`}`;
    super(oneLine(`invalid local cloud config ${where}: ${field === '' ? '' : `${field}: `}${detail}`));
    this.file = file;
    this.line = line;
    this.field = field;
  }
}

/** An address pool after validation. */
export interface AddressPool {
  readonly name: string;
  readonly ranges: readonly AddressRange[];
  /** Skip IPv4 addresses ending in `.0` and `.255` (MetalLB's `avoidBuggyIPs`). */
  readonly avoidBuggyIPs: boolean;
  /** Namespaces whose Services may use the pool; empty = all. */
  readonly namespaces: readonly string[];
  /** Labels a Service must carry to use the pool; matches everything when not configured. */
  readonly serviceSelector: LabelSelector;
  /**
   * The network interface the leader adds each allocated address to (as a /32 or /128) and
   * announces it on; `auto` = the interface of the host's route to the pool's addresses. Absent =
   * the addresses must already be bindable on this host (loopback pools).
   */
  readonly interface?: string | undefined;
}

/** How a Service's traffic is moved to the nodes. */
export type DataPlaneMode = 'userspace' | 'nftables';

/** One inventory entry: what InstancesV2 answers for a node. */
export interface InventoryInstance {
  readonly nodeName: string;
  readonly providerID: string;
  readonly addresses: readonly { readonly type: string; readonly address: string }[];
  readonly zone?: string | undefined;
  readonly region?: string | undefined;
  readonly instanceType?: string | undefined;
  /** Whether the instance is shut down (the Node gets the shutdown taint). */
  readonly shutdown: boolean;
}

/** Backend health-check settings. */
export interface HealthCheckSettings {
  readonly enabled: boolean;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failures before a node leaves rotation. */
  readonly unhealthyThreshold: number;
  /** Consecutive successes before it returns. */
  readonly healthyThreshold: number;
  /** kube-proxy's health port probed for `externalTrafficPolicy: Cluster` (kube-proxy default 10256). */
  readonly kubeProxyPort: number;
}

/** How a listener picks a backend for a new connection or UDP session. */
export type BalancingAlgorithm = 'round-robin' | 'least-connections';

/** The validated config. */
export interface LocalConfig {
  readonly pools: readonly AddressPool[];
  /** Where allocations are persisted; undefined = memory only (re-adoption from status still works). */
  readonly stateFile?: string | undefined;
  readonly healthCheck: HealthCheckSettings;
  readonly balancing: BalancingAlgorithm;
  /** How long a deleted or removed listener lets established connections finish. */
  readonly drainTimeoutMs: number;
  /** Idle time after which a UDP session (client ↔ backend mapping) is dropped. */
  readonly udpIdleTimeoutMs: number;
  /** Bound on connecting to a backend. */
  readonly connectTimeoutMs: number;
  /** Retry delay returned with a RetryError when a pool is exhausted. */
  readonly exhaustedRetryMs: number;
  /**
   * How often the leader lists the Services and releases the allocations none of them holds any
   * more (it also does so when it starts).
   */
  readonly reconcileIntervalMs: number;
  /** Undefined = no inventory: instances are derived from the Node objects. */
  readonly inventory?: readonly InventoryInstance[] | undefined;
  /**
   * `userspace` (default): TCP/UDP proxies in this process. `nftables`: kernel DNAT in a table the
   * provider owns, falling back to `userspace` (with a warning) when nftables cannot be used.
   */
  readonly dataPlane: DataPlaneMode;
  /** Settings of the nftables data plane. */
  readonly nftables: NftablesSettings;
}

/** Settings of the nftables data plane. */
export interface NftablesSettings {
  /**
   * SNAT (masquerade) DNATed traffic to this host's address, so replies come back through it
   * (default true). False keeps the client's address on the wire; the nodes must then route their
   * replies to clients through this host.
   */
  readonly masquerade: boolean;
  /** Name of the provider's table (family `inet`), default `outrigger_local`; one per provider on a host. */
  readonly table: string;
}

/** Defaults of every optional setting. */
export const LOCAL_CONFIG_DEFAULTS = {
  healthCheck: { enabled: true, intervalMs: 5_000, timeoutMs: 1_000, unhealthyThreshold: 2, healthyThreshold: 1, kubeProxyPort: 10256 },
  balancing: 'round-robin',
  drainTimeoutMs: 10_000,
  udpIdleTimeoutMs: 60_000,
  connectTimeoutMs: 5_000,
  exhaustedRetryMs: 10_000,
  reconcileIntervalMs: 60_000,
  dataPlane: 'userspace',
  nftables: { masquerade: true, table: 'outrigger_local' },
} as const satisfies Omit<LocalConfig, 'pools' | 'stateFile' | 'inventory'>;

/** The `interface` value that finds the interface from the route to the pool's addresses. */
export const AUTO_INTERFACE = 'auto';

// Linux interface names: 1–15 bytes, no '/', ':' or whitespace (dev_valid_name); `:` excluded too,
// as it would name an IPv4 alias label rather than an interface.
const interfaceName = z.string().regex(/^[^\s/:]{1,15}$/, 'must be a network interface name (1-15 characters, no "/", ":" or spaces) or "auto"');

const positiveMs = z.number().int().positive().max(2 ** 31 - 1);
const port = z.number().int().min(1).max(65535);
const labelSelectorSchema = z.strictObject({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(z.strictObject({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()).optional() }))
    .optional(),
});

const schema = z.strictObject({
  pools: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label (lower case letters, digits, "-")'),
        ranges: z.array(z.string()).min(1),
        avoidBuggyIPs: z.boolean().optional(),
        namespaces: z.array(z.string().min(1)).optional(),
        serviceSelector: labelSelectorSchema.optional(),
        interface: interfaceName.optional(),
      }),
    )
    .optional(),
  stateFile: z.string().min(1).optional(),
  healthCheck: z
    .strictObject({
      enabled: z.boolean().optional(),
      intervalMs: positiveMs.optional(),
      timeoutMs: positiveMs.optional(),
      unhealthyThreshold: z.number().int().min(1).max(100).optional(),
      healthyThreshold: z.number().int().min(1).max(100).optional(),
      kubeProxyPort: port.optional(),
    })
    .optional(),
  balancing: z.enum(['round-robin', 'least-connections']).optional(),
  drainTimeoutMs: z.number().int().min(0).max(2 ** 31 - 1).optional(),
  udpIdleTimeoutMs: positiveMs.optional(),
  connectTimeoutMs: positiveMs.optional(),
  exhaustedRetryMs: positiveMs.optional(),
  reconcileIntervalMs: positiveMs.optional(),
  dataPlane: z.enum(['userspace', 'nftables']).optional(),
  nftables: z
    .strictObject({
      masquerade: z.boolean().optional(),
      table: z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,31}$/, 'must be a letter followed by up to 31 letters, digits or "_"').optional(),
    })
    .optional(),
  inventory: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        providerID: z.string().min(1).optional(),
        addresses: z
          .array(z.strictObject({ type: z.enum(['Hostname', 'InternalIP', 'ExternalIP', 'InternalDNS', 'ExternalDNS']), address: z.string().min(1) }))
          .optional(),
        zone: z.string().min(1).optional(),
        region: z.string().min(1).optional(),
        instanceType: z.string().min(1).optional(),
        shutdown: z.boolean().optional(),
      }),
    )
    .optional(),
});

/** The default pool when the config names none: a loopback range that binds on any Linux host. */
export const DEFAULT_POOL_RANGE = '127.0.100.0/24';

/**
 * Parses and validates the local provider's YAML config; blank or absent text means all defaults
 * with one pool `default` over {@link DEFAULT_POOL_RANGE}.
 *
 * @example
 * ```yaml
 * pools:
 *   - name: default
 *     ranges: [127.0.10.0/24, 127.0.11.10-127.0.11.20]
 *     avoidBuggyIPs: true
 * stateFile: /var/lib/outrigger/local-lb.json
 * ```
 * @throws LocalConfigError naming the file, line and field at fault (overlapping pools, bad
 * ranges or ones a load balancer must not listen on, unknown fields, wrong types, duplicate names).
 */
export function parseLocalConfig(contents: string | undefined, file?: string): LocalConfig {
  // Bounded parse (size, alias expansion, nesting), every problem at its file:line and field.
  const doc = parseYamlConfig(contents ?? '', {
    file,
    error: (p) => new LocalConfigError(p.file, p.position?.line, formatFieldPath(p.path), p.detail),
  });
  // An empty document (or a bare `~`) means every default.
  const cfg = doc.value === null ? schema.parse({}) : doc.validate(schema);

  const pools: AddressPool[] = [];
  const seen = new Map<string, number>();
  const claimed: { pool: string; range: AddressRange }[] = [];
  (cfg.pools ?? [{ name: 'default', ranges: [DEFAULT_POOL_RANGE] }]).forEach((pool, i) => {
    const previous = seen.get(pool.name);
    if (previous !== undefined) doc.fail(['pools', i, 'name'], `pool name ${JSON.stringify(pool.name)} is also used by pools[${previous}]`);
    seen.set(pool.name, i);
    const ranges = pool.ranges.map((text, j) => {
      let range: AddressRange;
      try {
        range = parsePoolRange(text);
      } catch (err) {
        return doc.fail(['pools', i, 'ranges', j], `pool ${JSON.stringify(pool.name)}: ${(err as Error).message}`);
      }
      for (const other of claimed) {
        if (rangesOverlap(other.range, range)) {
          doc.fail(['pools', i, 'ranges', j], `pool ${JSON.stringify(pool.name)}: range ${range.text} overlaps range ${other.range.text} of pool ${JSON.stringify(other.pool)}`);
        }
      }
      claimed.push({ pool: pool.name, range });
      return range;
    });
    let serviceSelector: LabelSelector;
    try {
      // No selector = every Service (an empty metav1.LabelSelector selects everything).
      serviceSelector = labelSelectorFromMatch(pool.serviceSelector ?? {});
    } catch (err) {
      return doc.fail(['pools', i, 'serviceSelector'], `pool ${JSON.stringify(pool.name)}: ${(err as Error).message}`);
    }
    if (pool.interface !== undefined && cfg.stateFile === undefined) {
      // The state file is the record of the addresses this host added: without it a crashed
      // manager's addresses could not be told from the operator's and would stay on the interface.
      doc.fail(['pools', i, 'interface'], `pool ${JSON.stringify(pool.name)}: an interface needs a stateFile (where the addresses this host adds are recorded, so that a restart removes those a crash left)`);
    }
    pools.push({
      name: pool.name,
      ranges,
      avoidBuggyIPs: pool.avoidBuggyIPs ?? false,
      namespaces: pool.namespaces ?? [],
      serviceSelector,
      ...(pool.interface !== undefined && { interface: pool.interface }),
    });
  });

  let inventory: InventoryInstance[] | undefined;
  if (cfg.inventory !== undefined) {
    const names = new Map<string, number>();
    inventory = cfg.inventory.map((entry, i) => {
      const previous = names.get(entry.name);
      if (previous !== undefined) doc.fail(['inventory', i, 'name'], `node ${JSON.stringify(entry.name)} is also listed at inventory[${previous}]`);
      names.set(entry.name, i);
      const addresses = (entry.addresses ?? []).map((a, j) => {
        if (a.type === 'InternalIP' || a.type === 'ExternalIP') {
          const ip = canonicalIp(a.address);
          if (ip === undefined) return doc.fail(['inventory', i, 'addresses', j, 'address'], `${JSON.stringify(a.address)} is not an IP address`);
          return { type: a.type, address: ip };
        }
        return { type: a.type, address: a.address };
      });
      return {
        nodeName: entry.name,
        providerID: entry.providerID ?? `local://${entry.name}`,
        addresses,
        zone: entry.zone,
        region: entry.region,
        instanceType: entry.instanceType,
        shutdown: entry.shutdown ?? false,
      };
    });
  }

  const d = LOCAL_CONFIG_DEFAULTS;
  const hc = cfg.healthCheck ?? {};
  return {
    pools,
    stateFile: cfg.stateFile,
    healthCheck: {
      enabled: hc.enabled ?? d.healthCheck.enabled,
      intervalMs: hc.intervalMs ?? d.healthCheck.intervalMs,
      timeoutMs: hc.timeoutMs ?? d.healthCheck.timeoutMs,
      unhealthyThreshold: hc.unhealthyThreshold ?? d.healthCheck.unhealthyThreshold,
      healthyThreshold: hc.healthyThreshold ?? d.healthCheck.healthyThreshold,
      kubeProxyPort: hc.kubeProxyPort ?? d.healthCheck.kubeProxyPort,
    },
    balancing: cfg.balancing ?? d.balancing,
    drainTimeoutMs: cfg.drainTimeoutMs ?? d.drainTimeoutMs,
    udpIdleTimeoutMs: cfg.udpIdleTimeoutMs ?? d.udpIdleTimeoutMs,
    connectTimeoutMs: cfg.connectTimeoutMs ?? d.connectTimeoutMs,
    exhaustedRetryMs: cfg.exhaustedRetryMs ?? d.exhaustedRetryMs,
    reconcileIntervalMs: cfg.reconcileIntervalMs ?? d.reconcileIntervalMs,
    dataPlane: cfg.dataPlane ?? d.dataPlane,
    nftables: { masquerade: cfg.nftables?.masquerade ?? d.nftables.masquerade, table: cfg.nftables?.table ?? d.nftables.table },
    inventory,
  };
}
