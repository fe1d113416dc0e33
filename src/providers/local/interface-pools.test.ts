// The local provider with a pool on an interface, without root: `ip` and `arping` are a fake that
// keeps the interface's addresses in memory, the listeners bind real loopback addresses (the pool
// is 127.0.150.0/29 "on lo"). What the namespace tests (test/local-network.test.ts) show on a real
// network, here on any machine: the order of probe, add, record and announce; removal on delete and
// stop; takeover of status addresses at initialize; removal of a crashed run's addresses at start.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { RetryError } from '../../cloud/errors.js';
import { FakeClock } from '../../kube/clock.js';
import { SimulatedApiServer } from '../../kube/memory/simulated-api-server.js';
import { noopLogger } from '../../log/logger.js';
import type { CommandResult, CommandRunner } from './host-commands.js';
import { parseLocalConfig } from './local-config.js';
import { LocalCloudProvider } from './local-provider.js';

// Addresses used only by this file: the pool 127.0.150.1-6.
const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** `ip`/`arping` on a host whose `lo` routes 127.0.150.0/29; `duplicates` answer ARP probes. */
class FakeHost implements CommandRunner {
  readonly addresses = new Set<string>();
  readonly calls: string[] = [];
  readonly duplicates = new Set<string>();
  /** When set, `ip addr show` fails this way (a hung or refused `ip`). */
  listFailure: CommandResult | undefined;

  run(command: string, args: readonly string[]): Promise<CommandResult> {
    return Promise.resolve(this.runSync(command, args));
  }

  runSync(command: string, args: readonly string[]): CommandResult {
    const line = [command, ...args].join(' ');
    this.calls.push(line);
    const ok = (stdout = ''): CommandResult => ({ code: 0, stdout, stderr: '' });
    if (line === 'ip -j -4 route show table main') return ok(JSON.stringify([{ dst: '127.0.150.0/29', dev: 'lo' }]));
    if (line === 'ip -j link show dev lo') return ok('[]');
    if (line === 'ip -j addr show dev lo' && this.listFailure !== undefined) return this.listFailure;
    if (line === 'ip -j addr show dev lo') return ok(JSON.stringify([{ addr_info: [...this.addresses].map((a) => ({ local: a, prefixlen: 32 })) }]));
    const add = /^ip addr add (\S+)\/32 dev lo$/.exec(line);
    if (add?.[1] !== undefined) {
      this.addresses.add(add[1]);
      return ok();
    }
    const del = /^ip addr del (\S+)\/32 dev lo$/.exec(line);
    if (del?.[1] !== undefined) {
      return this.addresses.delete(del[1]) ? ok() : { code: 2, stdout: '', stderr: 'Error: ipv4: Address not found.' };
    }
    const probe = /^arping -D .* (\S+)$/.exec(line);
    if (probe?.[1] !== undefined) return { code: this.duplicates.has(probe[1]) ? 1 : 0, stdout: '', stderr: '' };
    return { code: 1, stdout: '', stderr: `unexpected: ${line}` };
  }

  background(command: string, args: readonly string[]): { stop(): void } {
    this.calls.push(`bg ${[command, ...args].join(' ')}`);
    return { stop: () => undefined };
  }
}

/** A provider on `host` whose state file records 127.0.150.4 on lo, as a crashed run leaves it. */
async function providerAfterCrash(host: FakeHost): Promise<LocalCloudProvider> {
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-iface-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'state.json');
  await writeFile(file, JSON.stringify({ version: 1, allocations: {}, interfaceAddresses: [{ address: '127.0.150.4', interface: 'lo' }] }));
  const config = parseLocalConfig(`stateFile: ${file}\npools:\n- name: lan\n  ranges: [127.0.150.1-127.0.150.6]\n  interface: lo\n`);
  return new LocalCloudProvider({ config, clock: new FakeClock(), logger: noopLogger, runner: host, interfaceOptions: { hasNetAdmin: () => Promise.resolve(true) } });
}

const NODES: Node[] = [{ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: '127.0.151.1' }] } }];

function svc(name: string, ip?: string): Service {
  return {
    metadata: { namespace: 'default', name, uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { type: 'LoadBalancer', ports: [{ protocol: 'TCP', port: 18_150, nodePort: 30080 }] },
    ...(ip !== undefined && { status: { loadBalancer: { ingress: [{ ip }] } } }),
  };
}

async function setup(host: FakeHost, services: Service[] = [], stateFile?: string): Promise<{ provider: LocalCloudProvider; stop: AbortController; stateFile: string }> {
  let file = stateFile;
  if (file === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-iface-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    file = join(dir, 'state.json');
  }
  const config = parseLocalConfig(`stateFile: ${file}\nhealthCheck: { enabled: false }\npools:\n- name: lan\n  ranges: [127.0.150.1-127.0.150.6]\n  interface: lo\n`);
  const provider = new LocalCloudProvider({ config, clock: new FakeClock(), logger: noopLogger, runner: host, interfaceOptions: { hasNetAdmin: () => Promise.resolve(true) } });
  const api = new SimulatedApiServer();
  for (const s of services) {
    const created = await api.client().services.create({ apiVersion: 'v1', kind: 'Service', ...s });
    // Status goes through its subresource, as the service controller writes it.
    if (s.status !== undefined) await api.client().services.updateStatus({ ...created, status: s.status });
  }
  const stop = new AbortController();
  await provider.initialize({ signal: stop.signal, logger: noopLogger, clientBuilder: { client: () => api.client() } });
  cleanups.push(async () => {
    stop.abort();
    await provider.shutdown();
  });
  return { provider, stop, stateFile: file };
}

async function recorded(file: string): Promise<unknown> {
  return (JSON.parse(await readFile(file, 'utf8')) as { interfaceAddresses?: unknown }).interfaceAddresses;
}

describe('LocalCloudProvider: a pool on an interface (fake ip and arping)', () => {
  it('a fresh address is probed, recorded, added and announced; delete removes it and its record', async () => {
    const host = new FakeHost();
    const { provider, stateFile } = await setup(host);
    const status = await provider.localLoadBalancer.ensureLoadBalancer('k', svc('a'), NODES);
    assert.equal(status.ingress[0]?.ip, '127.0.150.1');
    const order = host.calls.filter((c) => /arping|ip addr (add|del)/.test(c));
    assert.deepEqual(order, ['arping -D -q -c 1 -w 1 -I lo 127.0.150.1', 'ip addr add 127.0.150.1/32 dev lo', 'bg arping -U -q -c 2 -I lo 127.0.150.1']);
    assert.deepEqual(await recorded(stateFile), [{ address: '127.0.150.1', interface: 'lo' }]);
    await provider.localLoadBalancer.ensureLoadBalancerDeleted('k', svc('a'));
    assert.deepEqual([...host.addresses], []);
    assert.equal(await recorded(stateFile), undefined);
  });

  it('a duplicate is handed back and skipped: the retry takes the next address; nothing is added for it', async () => {
    const host = new FakeHost();
    host.duplicates.add('127.0.150.1');
    const { provider } = await setup(host);
    await assert.rejects(provider.localLoadBalancer.ensureLoadBalancer('k', svc('a'), NODES), (err: unknown) => err instanceof RetryError && /address 127\.0\.150\.1, interface "lo": another host/.test(err.message));
    assert.deepEqual([...host.addresses], []);
    const status = await provider.localLoadBalancer.ensureLoadBalancer('k', svc('a'), NODES);
    assert.equal(status.ingress[0]?.ip, '127.0.150.2');
  });

  it('initialize takes over the status addresses (no probe) before any ensure; stop removes them', async () => {
    const host = new FakeHost();
    const { provider, stop } = await setup(host, [svc('a', '127.0.150.3')]);
    assert.deepEqual([...host.addresses], ['127.0.150.3']);
    assert.ok(!host.calls.some((c) => c.startsWith('arping -D')), 'a takeover is not probed');
    assert.deepEqual(Object.fromEntries(provider.localLoadBalancer.interfaceAddresses()), { '127.0.150.3': 'lo' });
    stop.abort();
    await provider.shutdown();
    assert.deepEqual([...host.addresses], []);
  });

  it('at construction, before leading, the addresses a crashed run recorded are removed; others on the interface stay', async () => {
    const host = new FakeHost();
    host.addresses.add('127.0.150.4');
    host.addresses.add('127.0.150.5');
    const provider = await providerAfterCrash(host);
    // The constructor started the pass; a second one (what initialize runs) ends after it either way.
    await provider.localLoadBalancer.removeStaleAddresses();
    assert.deepEqual([...host.addresses], ['127.0.150.5'], "the recorded address is gone, the operator's stays");
    assert.ok(!host.calls.includes('ip addr del 127.0.150.5/32 dev lo'));
  });

  it('a failure to read the interface is an error, not "no address there": the stale address is not silently left behind', async () => {
    const host = new FakeHost();
    host.addresses.add('127.0.150.4');
    host.listFailure = { code: null, stdout: '', stderr: '' };
    const provider = await providerAfterCrash(host);
    await assert.rejects(provider.localLoadBalancer.removeStaleAddresses(), /ip -j addr show dev lo timed out/);
    assert.deepEqual([...host.addresses], ['127.0.150.4'], 'still there, and reported');
    host.listFailure = undefined;
    await provider.localLoadBalancer.removeStaleAddresses();
    assert.deepEqual([...host.addresses], [], 'the next pass (initialize runs one) removes it');
  });
});
