/**
 * A network lab of namespaces on one machine: a bridge in a "switch" namespace and one namespace
 * per host, each with `eth0` (a veth whose peer is on the bridge) and an address in 192.0.2.0/24
 * (TEST-NET-1) and in 2001:db8::/64 (documentation only, both). Nothing is configured outside the namespaces; every name
 * starts with `ortl<pid in base 36>-`, so a run's leftovers are recognisable.
 *
 * Removal is guaranteed three ways: {@link Lab.destroy} (call it in `after`), a process `exit`
 * hook (also after SIGINT/SIGTERM, which it turns into an exit), and a sweep at the start of every
 * lab of the namespaces whose owning process is gone. Processes started in a host are killed
 * before its namespace goes (a namespace with a live process in it would outlive `ip netns del`).
 *
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/** The lab subnet (TEST-NET-1, RFC 5737): never routed anywhere. */
export const LAB_SUBNET = '192.0.2.0/24';
const NAME_PREFIX = 'ortl';

/** Why namespace tests cannot run here, or undefined when they can. */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return 'network namespace tests need Linux';
  let status: string;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return 'cannot read /proc/self/status to check capabilities';
  }
  const caps = BigInt(`0x${/^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? '0'}`);
  // CAP_NET_ADMIN (12) for links and addresses, CAP_SYS_ADMIN (21) for `ip netns add`.
  if (((caps >> 12n) & 1n) === 0n || ((caps >> 21n) & 1n) === 0n) return 'network namespace tests need root (CAP_NET_ADMIN and CAP_SYS_ADMIN)';
  for (const tool of ['ip', 'arping']) {
    if (!['/usr/sbin', '/usr/bin', '/sbin', '/bin'].some((d) => existsSync(`${d}/${tool}`))) return `${tool} is not installed (apt-get install iproute2 iputils-arping)`;
  }
  return undefined;
}

/** Whether `nft` is installed (the nftables data plane's tests need it). */
export function nftUnavailableReason(): string | undefined {
  return ['/usr/sbin', '/usr/bin', '/sbin'].some((d) => existsSync(`${d}/nft`)) ? undefined : 'nft is not installed (apt-get install nftables)';
}

function sh(cmd: string, args: readonly string[]): string {
  return execFileSync(cmd, [...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
}

function shQuiet(cmd: string, args: readonly string[]): boolean {
  try {
    sh(cmd, args);
    return true;
  } catch {
    return false;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namespaces(): string[] {
  try {
    return sh('ip', ['netns', 'list'])
      .split('\n')
      .map((l) => l.split(' ')[0] ?? '')
      .filter((n) => n !== '');
  } catch {
    return [];
  }
}

/** Kills every process in `ns`, then deletes it; never throws. */
function removeNamespace(ns: string): void {
  try {
    for (const pid of sh('ip', ['netns', 'pids', ns]).split('\n').filter((p) => p !== '')) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  } catch {
    // no such namespace
  }
  shQuiet('ip', ['netns', 'del', ns]);
}

/** Removes the namespaces of lab runs whose process is gone (a run that was itself killed -9). */
export function sweepStaleLabs(): string[] {
  const removed: string[] = [];
  for (const ns of namespaces()) {
    const m = new RegExp(`^${NAME_PREFIX}([0-9a-z]+)-`).exec(ns);
    if (m?.[1] === undefined) continue;
    if (alive(Number.parseInt(m[1], 36))) continue;
    removeNamespace(ns);
    removed.push(ns);
  }
  return removed;
}

/** One host of the lab. */
export interface LabHost {
  readonly name: string;
  /** The network namespace. */
  readonly ns: string;
  /** Its address on the lab network. */
  readonly ip: string;
  /** Its IPv6 address on the lab network (2001:db8::/64, the documentation prefix). */
  readonly ip6: string;
}

/** A lab; see the module comment. */
export interface Lab {
  readonly hosts: ReadonlyMap<string, LabHost>;
  host(name: string): LabHost;
  /** Runs a command in a host and returns stdout (throws with stderr on failure). */
  exec(host: string, cmd: string, args: readonly string[]): string;
  /** Runs a command in a host; never throws, returns the exit status and output. */
  tryExec(host: string, cmd: string, args: readonly string[]): { code: number; out: string };
  /** Starts a process in a host (killed with the lab). */
  spawn(host: string, cmd: string, args: readonly string[], options?: SpawnOptions): ChildProcess;
  /** Every network namespace of this lab that still exists. */
  remaining(): string[];
  /** Kills the lab's processes and deletes its namespaces (idempotent). */
  destroy(): void;
}

const live = new Set<Lab>();
let hooked = false;

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const lab of live) lab.destroy();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const lab of live) lab.destroy();
      process.exit(130);
    });
  }
}

/**
 * Creates the switch and `hosts` (name → last octet of the address in {@link LAB_SUBNET}); with
 * `bridgeAddress` the switch's bridge gets that address and is host `bridge`.
 * Stale labs are swept first. On any failure what was made is removed before the error propagates.
 */
export function createLab(hosts: Readonly<Record<string, number>>, options: { readonly bridgeAddress?: number } = {}): Lab {
  sweepStaleLabs();
  hookExit();
  const run = `${NAME_PREFIX}${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 5)}`;
  const sw = `${run}-sw`;
  const made: string[] = [];
  const children = new Set<ChildProcess>();
  const table = new Map<string, LabHost>();
  let destroyed = false;
  const lab: Lab = {
    hosts: table,
    host(name) {
      const h = table.get(name);
      if (h === undefined) throw new Error(`no lab host ${name}`);
      return h;
    },
    exec(host, cmd, args) {
      return sh('ip', ['netns', 'exec', lab.host(host).ns, cmd, ...args]);
    },
    tryExec(host, cmd, args) {
      try {
        return { code: 0, out: lab.exec(host, cmd, args) };
      } catch (err) {
        const e = err as { status?: number; stdout?: string; stderr?: string };
        return { code: e.status ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    },
    spawn(host, cmd, args, options = {}) {
      if (destroyed) throw new Error('the lab was destroyed');
      const child = spawn('ip', ['netns', 'exec', lab.host(host).ns, cmd, ...args], options);
      children.add(child);
      child.on('exit', () => children.delete(child));
      return child;
    },
    remaining() {
      const all = new Set(namespaces());
      return made.filter((ns) => all.has(ns));
    },
    destroy() {
      if (destroyed && made.length === 0) return;
      destroyed = true;
      for (const child of children) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
      // Hosts first, the switch last (its veth ends go with the hosts' namespaces).
      for (const ns of [...made].reverse()) removeNamespace(ns);
      made.length = 0;
      live.delete(lab);
    },
  };
  live.add(lab);
  try {
    sh('ip', ['netns', 'add', sw]);
    made.push(sw);
    sh('ip', ['-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', sw, 'link', 'set', 'br0', 'up']);
    if (options.bridgeAddress !== undefined) {
      // The switch as a host too (a Docker host owning the kind bridge): host "bridge", on br0.
      const ip = `192.0.2.${options.bridgeAddress}`;
      const ip6 = `2001:db8::${options.bridgeAddress}`;
      sh('ip', ['-n', sw, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', sw, 'addr', 'add', `${ip}/24`, 'dev', 'br0']);
      sh('ip', ['-n', sw, 'addr', 'add', `${ip6}/64`, 'dev', 'br0', 'nodad']);
      table.set('bridge', { name: 'bridge', ns: sw, ip, ip6 });
    }
    let i = 0;
    for (const [name, octet] of Object.entries(hosts)) {
      const ns = `${run}-${name}`;
      sh('ip', ['netns', 'add', ns]);
      made.push(ns);
      const port = `p${i++}`;
      sh('ip', ['link', 'add', 'eth0', 'netns', ns, 'type', 'veth', 'peer', 'name', port, 'netns', sw]);
      sh('ip', ['-n', sw, 'link', 'set', port, 'master', 'br0', 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      const ip = `192.0.2.${octet}`;
      const ip6 = `2001:db8::${octet}`;
      sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
      // nodad: the hosts' own addresses are usable at once (the provider's are not: see the IPv6 test).
      sh('ip', ['-n', ns, 'addr', 'add', `${ip6}/64`, 'dev', 'eth0', 'nodad']);
      table.set(name, { name, ns, ip, ip6 });
    }
  } catch (err) {
    lab.destroy();
    throw err;
  }
  return lab;
}
