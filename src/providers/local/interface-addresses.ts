/**
 * Load-balancer addresses on a real network interface: checks that a pool's interface exists and
 * routes the pool's addresses, probes for another host already using a fresh address, adds it as
 * a /32 (/128), announces it, and removes it again.
 *
 * Tools, not raw sockets: `ip` (iproute2) for addresses and routes, and iputils `arping` for IPv4
 * duplicate detection (`-D`, RFC 5227's probe) and gratuitous ARP (`-U`). Node has no raw packet
 * sockets without a native addon, and no maintained npm package sends ARP; these two Debian tools
 * are small, maintained with the kernel's networking stack and present on every host that runs
 * kube-proxy. IPv6 needs no tool: the kernel runs duplicate address detection on every address it
 * adds (the address stays `tentative` and ends `dadfailed` when another host has it) and sends the
 * unsolicited neighbour advertisement itself once detection passed, where `ndisc_notify` is on.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { oneLine } from '../../input/one-line.js';
import type { Clock } from '../../kube/clock.js';
import type { Logger } from '../../log/logger.js';
import { cidrContains, parseCidr } from '../../net/cidr.js';
import type { IpAddress } from '../../net/ip.js';
import type { CommandRunner } from './host-commands.js';
import { HostCommandError, runChecked } from './host-commands.js';
import { formatIp, parseIp } from './ip-address.js';
import type { AddressPool } from './local-config.js';
import { AUTO_INTERFACE } from './local-config.js';

/** A pool's interface cannot carry one of its addresses; names the pool, address and interface. */
export class InterfaceAddressError extends Error {
  override readonly name = 'InterfaceAddressError';
  readonly pool: string;
  readonly address: string | undefined;
  readonly interface: string | undefined;
  /** `Duplicate`: another host answered for the address (a fresh one is skipped). */
  readonly code: 'NoInterface' | 'NoRoute' | 'NoPermission' | 'Duplicate' | 'Failed';

  constructor(code: InterfaceAddressError['code'], pool: string, address: string | undefined, iface: string | undefined, detail: string, options?: ErrorOptions) {
    super(oneLine(`pool ${JSON.stringify(pool)}${address === undefined ? '' : `, address ${address}`}${iface === undefined ? '' : `, interface ${JSON.stringify(iface)}`}: ${detail}`), options);
    this.code = code;
    this.pool = pool;
    this.address = address;
    this.interface = iface;
  }
}

/** CAP_NET_ADMIN's bit in the capability sets (linux/capability.h). */
const CAP_NET_ADMIN = 12n;

/** Whether this process holds CAP_NET_ADMIN in its effective set (`/proc/self/status`). */
export async function hasNetAdmin(): Promise<boolean> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
    return hex !== undefined && ((BigInt(`0x${hex}`) >> CAP_NET_ADMIN) & 1n) === 1n;
  } catch {
    return false;
  }
}

/** Options of {@link InterfaceAddresses}. */
export interface InterfaceAddressesOptions {
  readonly runner: CommandRunner;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Default {@link hasNetAdmin}. */
  readonly hasNetAdmin?: () => Promise<boolean>;
  /** How long an ARP probe waits for another host's answer, whole seconds (default 1). */
  readonly probeSeconds?: number;
  /** Bound on IPv6 duplicate address detection (default 5 s). */
  readonly ipv6DadTimeoutMs?: number;
}

interface Route {
  readonly dst: string;
  readonly dev?: string;
  readonly type?: string;
}

/** What {@link InterfaceAddresses.add} did. */
export interface AddResult {
  /** False when the address was already on the interface (then it is not ours to remove). */
  readonly added: boolean;
}

/** Adds, announces and removes load-balancer addresses on interfaces. */
export class InterfaceAddresses {
  readonly #runner: CommandRunner;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #hasNetAdmin: () => Promise<boolean>;
  readonly #probeSeconds: number;
  readonly #dadTimeoutMs: number;
  readonly #announcers = new Map<string, { stop(): void }>();

  constructor(options: InterfaceAddressesOptions) {
    this.#runner = options.runner;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#hasNetAdmin = options.hasNetAdmin ?? hasNetAdmin;
    this.#probeSeconds = options.probeSeconds ?? 1;
    this.#dadTimeoutMs = options.ipv6DadTimeoutMs ?? 5_000;
  }

  /**
   * The interface `pool` puts `address` on: the configured one, which must exist and be the
   * interface of the host's (main table) route to the address, or with `auto` that route's.
   * @throws InterfaceAddressError (`NoPermission`, `NoInterface`, `NoRoute`).
   */
  async resolve(pool: AddressPool, address: string): Promise<string> {
    const configured = pool.interface === undefined || pool.interface === AUTO_INTERFACE ? undefined : pool.interface;
    if (!(await this.#hasNetAdmin())) {
      throw new InterfaceAddressError('NoPermission', pool.name, address, configured, 'this process lacks CAP_NET_ADMIN, which adding an address to an interface needs (run as root or grant the capability)');
    }
    if (configured !== undefined) {
      const link = await this.#runner.run('ip', ['-j', 'link', 'show', 'dev', configured]);
      if (link.code !== 0) throw new InterfaceAddressError('NoInterface', pool.name, address, configured, 'no such network interface on this host');
    }
    const ip = parseIp(address);
    if (ip === undefined) throw new InterfaceAddressError('Failed', pool.name, address, configured, 'not an IP address');
    const routes = JSON.parse((await runChecked(this.#runner, 'ip', ['-j', `-${ip.family}`, 'route', 'show', 'table', 'main'])) || '[]') as Route[];
    const dev = bestRoute(routes, ip)?.dev;
    if (dev === undefined) {
      throw new InterfaceAddressError('NoRoute', pool.name, address, configured, 'this host has no route to the address, so no interface it could be announced on (give the interface an address in the pool\'s subnet)');
    }
    if (configured !== undefined && dev !== configured) {
      throw new InterfaceAddressError('NoRoute', pool.name, address, configured, `the interface does not route the address (this host routes it through ${JSON.stringify(dev)}); clients on that network could not reach it`);
    }
    return dev;
  }

  /**
   * The /32 and /128 addresses now on `iface` (empty when it does not exist).
   * @throws HostCommandError when `ip` fails otherwise (timed out, killed, …): "no addresses" would
   * be a guess, and a stale address a guess skips stays on the interface for good.
   */
  async list(iface: string): Promise<Set<string>> {
    const args = ['-j', 'addr', 'show', 'dev', iface];
    const result = await this.#runner.run('ip', args);
    // What iproute2 answers for an interface that is not there: nothing is on it.
    if (result.code === 1 && /does not exist/.test(result.stderr)) return new Set();
    if (result.code !== 0) throw new HostCommandError('ip', args, result);
    const links = JSON.parse(result.stdout || '[]') as { addr_info?: { local?: string; prefixlen?: number }[] }[];
    const out = new Set<string>();
    for (const link of links) {
      for (const a of link.addr_info ?? []) {
        const ip = a.local === undefined ? undefined : parseIp(a.local);
        if (ip !== undefined && a.prefixlen === (ip.family === 4 ? 32 : 128)) out.add(formatIp(ip.value, ip.family));
      }
    }
    return out;
  }

  /**
   * Puts `address` on `iface` as a host address and announces it. With `probe` (an address fresh
   * from the pool) another host answering for it first is an error, and nothing is added; an
   * address a Service already shows in its status is taken over without a probe — the host that
   * answers may be the crashed leader's, whose address this replica now takes over.
   * @throws InterfaceAddressError (`Duplicate`, `NoPermission`, `Failed`).
   */
  async add(pool: string, address: string, iface: string, options: { readonly probe: boolean }): Promise<AddResult> {
    const ip = parseIp(address);
    if (ip === undefined) throw new InterfaceAddressError('Failed', pool, address, iface, 'not an IP address');
    let present: Set<string>;
    try {
      present = await this.list(iface);
    } catch (err) {
      throw new InterfaceAddressError('Failed', pool, address, iface, `cannot read the interface's addresses: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (present.has(address)) {
      this.#announce(ip, iface);
      return { added: false };
    }
    if (options.probe && ip.family === 4) await this.#probe(pool, address, iface);
    const prefix = ip.family === 4 ? 32 : 128;
    // IPv6: the kernel's own duplicate address detection runs for a fresh address; a takeover
    // skips it (nodad) as the ARP probe is skipped for IPv4.
    // IPv6: added deprecated (preferred_lft 0), which it still serves, so that source address
    // selection never picks it for this host's own connections (the proxy's to the nodes).
    const v6 = ip.family === 6 ? ['preferred_lft', '0', ...(options.probe ? [] : ['nodad'])] : [];
    const args = ['addr', 'add', `${address}/${prefix}`, 'dev', iface, ...v6];
    const result = await this.#runner.run('ip', args);
    if (result.code !== 0) {
      const why = new HostCommandError('ip', args, result);
      const code = /not permitted/i.test(result.stderr) ? 'NoPermission' : 'Failed';
      throw new InterfaceAddressError(code, pool, address, iface, `could not add the address: ${why.message}`, { cause: why });
    }
    if (ip.family === 6 && options.probe) await this.#waitForIpv6Dad(pool, address, iface);
    this.#announce(ip, iface);
    return { added: true };
  }

  /** Removes `address` from `iface`; an address already gone is no error. */
  async remove(address: string, iface: string): Promise<void> {
    this.#announcers.get(address)?.stop();
    this.#announcers.delete(address);
    const ip = parseIp(address);
    if (ip === undefined) return;
    const args = ['addr', 'del', `${address}/${ip.family === 4 ? 32 : 128}`, 'dev', iface];
    const result = await this.#runner.run('ip', args);
    if (result.code !== 0 && !isGone(result.stderr)) throw new HostCommandError('ip', args, result);
  }

  /** {@link remove}, blocking (the process `exit` hook); never throws, returns whether it is gone. */
  removeSync(address: string, iface: string): boolean {
    this.#announcers.get(address)?.stop();
    this.#announcers.delete(address);
    const ip = parseIp(address);
    if (ip === undefined) return true;
    const result = this.#runner.runSync('ip', ['addr', 'del', `${address}/${ip.family === 4 ? 32 : 128}`, 'dev', iface]);
    return result.code === 0 || isGone(result.stderr);
  }

  /** Stops every announcement still being repeated. */
  stopAnnouncing(): void {
    for (const a of this.#announcers.values()) a.stop();
    this.#announcers.clear();
  }

  async #probe(pool: string, address: string, iface: string): Promise<void> {
    const args = ['-D', '-q', '-c', '1', '-w', String(this.#probeSeconds), '-I', iface, address];
    let result;
    try {
      result = await this.#runner.run('arping', args, { timeoutMs: (this.#probeSeconds + 5) * 1000 });
    } catch (err) {
      throw new InterfaceAddressError('Failed', pool, address, iface, `cannot probe for another host using the address: ${(err as Error).message} (install iputils-arping)`, { cause: err });
    }
    // iputils arping -D: 0 = nobody answered, 1 = an answer came (the address is in use).
    if (result.code === 1) throw new InterfaceAddressError('Duplicate', pool, address, iface, 'another host on the network already answers ARP for this address (duplicate address); it is not used');
    if (result.code !== 0) throw new InterfaceAddressError('Failed', pool, address, iface, `the duplicate address probe failed: ${new HostCommandError('arping', args, result).message}`);
  }

  async #waitForIpv6Dad(pool: string, address: string, iface: string): Promise<void> {
    const deadline = this.#clock.now() + this.#dadTimeoutMs;
    for (let i = 0; i < 100; i++) {
      const out = await runChecked(this.#runner, 'ip', ['-j', '-6', 'addr', 'show', 'dev', iface]);
      const links = JSON.parse(out || '[]') as { addr_info?: { local?: string; tentative?: boolean; dadfailed?: boolean }[] }[];
      const info = links.flatMap((l) => l.addr_info ?? []).find((a) => a.local !== undefined && parseIp(a.local)?.value === parseIp(address)?.value);
      if (info?.dadfailed === true) {
        await this.remove(address, iface).catch(() => undefined);
        throw new InterfaceAddressError('Duplicate', pool, address, iface, 'duplicate address detection failed: another host on the network already uses this address; it is not used');
      }
      if (info !== undefined && info.tentative !== true) return;
      if (this.#clock.now() >= deadline) break;
      await new Promise<void>((resolve) => this.#clock.setTimer(100, resolve));
    }
    await this.remove(address, iface).catch(() => undefined);
    throw new InterfaceAddressError('Failed', pool, address, iface, `duplicate address detection did not finish within ${this.#dadTimeoutMs} ms`);
  }

  /** Gratuitous ARP now and once more a second later (a switch or client may miss the first). */
  #announce(ip: IpAddress, iface: string): void {
    if (ip.family !== 4) return;
    const address = formatIp(ip.value, ip.family);
    this.#announcers.get(address)?.stop();
    this.#announcers.set(address, this.#runner.background('arping', ['-U', '-q', '-c', '2', '-I', iface, address]));
    this.#logger.v(2).info('Announced a load-balancer address', { address, interface: iface });
  }
}

function isGone(stderr: string): boolean {
  return /Cannot assign requested address|Address not found|Cannot find device/i.test(stderr);
}

/** The longest-prefix unicast route containing `ip` (policy routing is not looked at). */
function bestRoute(routes: readonly Route[], ip: IpAddress): Route | undefined {
  let best: Route | undefined;
  let bestLength = -1;
  for (const route of routes) {
    if (route.type !== undefined && route.type !== 'unicast') continue;
    let length: number;
    if (route.dst === 'default') length = 0;
    else {
      const text = route.dst.includes('/') ? route.dst : `${route.dst}/${ip.family === 4 ? 32 : 128}`;
      const parsed = parseCidr(text);
      if (!parsed.ok || parsed.cidr.family !== ip.family || !cidrContains(parsed.cidr, ip)) continue;
      length = parsed.cidr.prefixLength;
    }
    if (length > bestLength) {
      best = route;
      bestLength = length;
    }
  }
  return best;
}
