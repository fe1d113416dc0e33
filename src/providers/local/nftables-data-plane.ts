/**
 * The kernel data plane of the local provider (`dataPlane: nftables`): DNAT from each Service's
 * `address:port` to `node:nodePort`, in one nftables table this provider owns and rewrites whole
 * in one transaction (`nft -f -` with "declare, delete, define": the kernel swaps it atomically, so
 * no packet ever sees half a ruleset).
 *
 * Per Service port: a firewall rule dropping sources outside `loadBalancerSourceRanges` (a set
 * lookup), a dispatch rule to the port's chain, ClientIP affinity as one dynamic set with timeout
 * per node (a source in a node's set goes to that node again; each new connection refreshes it), and
 * balancing over the healthy nodes with `numgen` (`round-robin`: `numgen inc`; `least-connections`
 * has no kernel equivalent and uses `numgen random`). Nodes leave the set while their health check
 * fails (the user-space path's checker: `healthCheckNodePort` for ETP Local). Replies to other
 * hosts' clients go back through this host by masquerading (SNAT to its address) unless
 * `nftables.masquerade: false`, which keeps the client's address on the wire and needs the nodes to
 * route replies via this host. This host's own connections are never masqueraded.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseCidr } from '../../net/cidr.js';
import { parseIp } from '../../net/ip.js';
import type { CommandRunner } from './host-commands.js';
import { HostCommandError } from './host-commands.js';
import type { BalancingAlgorithm } from './local-config.js';

/** The table's family and default name. */
export const NFT_TABLE = 'inet outrigger_local';
const NFT_FAMILY = 'inet';

/** One Service port as the kernel path serves it. */
export interface KernelPort {
  readonly protocol: 'TCP' | 'UDP';
  readonly port: number;
  readonly nodePort: number;
}

/** Everything the kernel path needs of one Service. */
export interface KernelService {
  /** `namespace/name`, for comments. */
  readonly key: string;
  readonly address: string;
  readonly family: 4 | 6;
  readonly ports: readonly KernelPort[];
  /** Node addresses in rotation (already filtered by health), in a stable order. */
  readonly nodes: readonly string[];
  /** Canonical CIDRs; empty = everyone. */
  readonly sourceRanges: readonly string[];
  /** ClientIP affinity timeout in seconds, or undefined for none. */
  readonly affinitySeconds: number | undefined;
}

/** Rendering options. */
export interface RenderOptions {
  readonly balancing: BalancingAlgorithm;
  readonly masquerade: boolean;
  /** Table name (family inet); default `outrigger_local`. */
  readonly table?: string;
}

function tableOf(name: string | undefined): string {
  return name === undefined ? NFT_TABLE : `${NFT_FAMILY} ${name}`;
}

function l4(protocol: 'TCP' | 'UDP'): string {
  return protocol === 'TCP' ? 'tcp' : 'udp';
}

function hostPort(address: string, family: 4 | 6, port: number): string {
  return family === 4 ? `${address}:${port}` : `[${address}]:${port}`;
}

const SERVICE_KEY = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function isPort(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65_535;
}

/**
 * Refuses anything that is not what its field says before it is written into nft syntax: a value
 * from a Service (its name, an address, a range) must never be able to add a rule of its own.
 * @throws RangeError naming the Service and the field.
 */
function checkService(svc: KernelService): void {
  const bad = (what: string): never => {
    throw new RangeError(`nftables: Service ${JSON.stringify(svc.key)}: ${what}`);
  };
  if (!SERVICE_KEY.test(svc.key)) bad('not a namespace/name');
  if (parseIp(svc.address)?.family !== svc.family) bad(`address ${JSON.stringify(svc.address)} is not an IPv${svc.family} address`);
  for (const node of svc.nodes) if (parseIp(node)?.family !== svc.family) bad(`node address ${JSON.stringify(node)} is not an IPv${svc.family} address`);
  for (const range of svc.sourceRanges) if (!parseCidr(range).ok) bad(`source range ${JSON.stringify(range)} is not a CIDR`);
  for (const p of svc.ports) if (!isPort(p.port) || !isPort(p.nodePort) || (p.protocol !== 'TCP' && p.protocol !== 'UDP')) bad(`port ${JSON.stringify(p)} is not a TCP or UDP port with a nodePort`);
  if (svc.affinitySeconds !== undefined && !(Number.isInteger(svc.affinitySeconds) && svc.affinitySeconds > 0)) bad(`affinity timeout ${svc.affinitySeconds} is not a whole number of seconds`);
}

/**
 * The whole table as an `nft -f` script: declared (so the delete cannot fail on a first run),
 * deleted, and defined again, in one transaction.
 * @throws RangeError when a Service's field is not what it should be (see checkService).
 */
export function renderNftTable(services: readonly KernelService[], options: RenderOptions): string {
  services.forEach(checkService);
  const table = tableOf(options.table);
  const out: string[] = [`table ${table}`, `delete table ${table}`, `table ${table} {`];
  const vips = { 4: new Set<string>(), 6: new Set<string>() };
  const firewall: string[] = [];
  const dispatch: string[] = [];
  const chains: string[] = [];
  const sets: string[] = [];
  services.forEach((svc, i) => {
    const ipk = svc.family === 4 ? 'ip' : 'ip6';
    const addrType = svc.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
    vips[svc.family].add(svc.address);
    // Only the ranges of the address's family can match (a set holds one family; an IPv6 range in
    // an IPv4 set fails the whole load). Ranges of the other family only: no client of this family
    // is allowed, as on the user-space path.
    const ranges = svc.sourceRanges.filter((r) => (r.includes(':') ? 6 : 4) === svc.family);
    if (ranges.length > 0) {
      sets.push(`  set src_${i} { type ${addrType}; flags interval; auto-merge; elements = { ${ranges.join(', ')} } }`);
    }
    svc.ports.forEach((port, j) => {
      const id = `${i}_${j}`;
      const match = `${ipk} daddr ${svc.address} meta l4proto ${l4(port.protocol)} th dport ${port.port}`;
      if (ranges.length > 0) firewall.push(`    ${match} ${ipk} saddr != @src_${i} drop comment "${svc.key} source ranges"`);
      else if (svc.sourceRanges.length > 0) firewall.push(`    ${match} drop comment "${svc.key} source ranges (none of this family)"`);
      if (svc.nodes.length === 0) {
        // No node: refuse rather than let the packet reach this host's own sockets.
        firewall.push(`    ${match} drop comment "${svc.key} has no nodes"`);
        return;
      }
      dispatch.push(`    ${match} goto svc_${id} comment "${svc.key}"`);
      const rules: string[] = [];
      svc.nodes.forEach((node, n) => {
        const nodeChain = `svc_${id}_n${n}`;
        const body: string[] = [];
        if (svc.affinitySeconds !== undefined) {
          sets.push(`  set aff_${id}_n${n} { type ${addrType}; flags dynamic,timeout; timeout ${svc.affinitySeconds}s; }`);
          rules.push(`    ${ipk} saddr @aff_${id}_n${n} goto ${nodeChain}`);
          body.push(`    update @aff_${id}_n${n} { ${ipk} saddr }`);
        }
        body.push(`    meta l4proto ${l4(port.protocol)} dnat ${ipk} to ${hostPort(node, svc.family, port.nodePort)}`);
        chains.push(`  chain ${nodeChain} {`, ...body, '  }');
      });
      const gen = options.balancing === 'round-robin' ? 'inc' : 'random';
      const targets = svc.nodes.map((_, n) => `${n} : goto svc_${id}_n${n}`).join(', ');
      rules.push(`    numgen ${gen} mod ${svc.nodes.length} vmap { ${targets} }`);
      chains.push(`  chain svc_${id} {`, ...rules, '  }');
    });
  });
  for (const family of [4, 6] as const) {
    if (vips[family].size === 0) continue;
    out.push(`  set vips${family} { type ${family === 4 ? 'ipv4_addr' : 'ipv6_addr'}; elements = { ${[...vips[family]].join(', ')} } }`);
  }
  out.push(...sets);
  out.push('  chain firewall_prerouting {', '    type filter hook prerouting priority dstnat - 10; policy accept;', '    jump firewall', '  }');
  out.push('  chain firewall_output {', '    type filter hook output priority -110; policy accept;', '    jump firewall', '  }');
  out.push('  chain firewall {', ...firewall, '  }');
  out.push('  chain nat_prerouting {', '    type nat hook prerouting priority dstnat; policy accept;', '    jump services', '  }');
  out.push('  chain nat_output {', '    type nat hook output priority -100; policy accept;', '    jump services', '  }');
  out.push('  chain services {', ...dispatch, '  }');
  const masq: string[] = [];
  if (options.masquerade) {
    for (const family of [4, 6] as const) {
      // Only traffic from other hosts: a connection this host opened (a local client) has a local
      // source address the replies come back to anyway, and masquerading it costs new-connection rate.
      if (vips[family].size > 0) masq.push(`    ct status dnat ct original ${family === 4 ? 'ip' : 'ip6'} daddr @vips${family} fib saddr type != local masquerade`);
    }
  }
  out.push('  chain nat_postrouting {', '    type nat hook postrouting priority srcnat; policy accept;', ...masq, '  }');
  out.push(...chains, '}', '');
  return out.join('\n');
}

/** Why the kernel path cannot be used on this host, or undefined when it can. */
export async function nftablesUnavailableReason(runner: CommandRunner, families: ReadonlySet<4 | 6>, forwardingNeeded: boolean, table?: string): Promise<string | undefined> {
  let version;
  try {
    version = await runner.run('nft', ['--version']);
  } catch (err) {
    return `the nft command cannot be run (${(err as Error).message}); install nftables`;
  }
  if (version.code !== 0) return `nft --version failed: ${new HostCommandError('nft', ['--version'], version).message}`;
  // A check-only transaction of an empty table of ours: the kernel's nf_tables and our permission
  // (CAP_NET_ADMIN) are both exercised, nothing is committed.
  const probe = await runner.run('nft', ['-c', '-f', '-'], { input: renderNftTable([], { balancing: 'round-robin', masquerade: true, ...(table !== undefined && { table }) }) });
  if (probe.code !== 0) return `nftables cannot be programmed here: ${new HostCommandError('nft', ['-c', '-f', '-'], probe).message}`;
  if (forwardingNeeded) {
    for (const family of families) {
      const path = family === 4 ? '/proc/sys/net/ipv4/ip_forward' : '/proc/sys/net/ipv6/conf/all/forwarding';
      const value = (await readFile(path, 'utf8').catch(() => '0')).trim();
      if (value !== '1') return `${path} is ${value}: this host does not forward packets, so DNAT to the nodes cannot work (enable it with sysctl)`;
    }
  }
  return undefined;
}

/** Loads a rendered table; a failure names the command and nft's message. */
export async function loadNftTable(runner: CommandRunner, script: string): Promise<void> {
  const result = await runner.run('nft', ['-f', '-'], { input: script });
  if (result.code !== 0) throw new HostCommandError('nft', ['-f', '-'], result);
}

/** Deletes the table (absent is fine); a failure names the command and nft's message. */
export async function deleteNftTable(runner: CommandRunner, table?: string): Promise<void> {
  const t = tableOf(table);
  const result = await runner.run('nft', ['-f', '-'], { input: `table ${t}\ndelete table ${t}\n` });
  // Reported, not ignored: a table that failed to go keeps DNATing the addresses.
  if (result.code !== 0) throw new HostCommandError('nft', ['-f', '-'], result);
}

/** {@link deleteNftTable}, blocking (the process `exit` hook). */
export function deleteNftTableSync(runner: CommandRunner, table?: string): void {
  runner.runSync('nft', ['delete', 'table', ...tableOf(table).split(' ')]);
}
