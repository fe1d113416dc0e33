import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { noopLogger } from '../../log/logger.js';
import type { CommandResult, CommandRunner } from './host-commands.js';
import { InterfaceAddressError, InterfaceAddresses } from './interface-addresses.js';
import { readFileSync } from 'node:fs';
import { parseLocalConfig } from './local-config.js';

/** A runner answering from a table keyed by the command line; records every call. */
function fakeRunner(answers: Record<string, Partial<CommandResult>>): CommandRunner & { calls: string[]; background: CommandRunner['background'] } {
  const calls: string[] = [];
  const answer = (command: string, args: readonly string[]): CommandResult => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    const a = answers[line] ?? {};
    return { code: 'code' in a ? (a.code ?? null) : 0, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
  };
  return {
    calls,
    run: (command, args) => Promise.resolve(answer(command, args)),
    runSync: answer,
    background: (command, args) => {
      calls.push(`bg ${[command, ...args].join(' ')}`);
      return { stop: () => undefined };
    },
  };
}

const ROUTES = JSON.stringify([
  { dst: 'default', dev: 'eth0', gateway: '192.0.2.1' },
  { dst: '192.0.2.0/24', dev: 'eth0' },
  { dst: '198.51.100.0/24', dev: 'eth1' },
]);
const pool = (iface: string | undefined) => {
  const cfg = parseLocalConfig(`stateFile: /tmp/x.json\npools:\n- name: lan\n  ranges: [198.51.100.10-198.51.100.20]\n${iface === undefined ? '' : `  interface: ${iface}\n`}`);
  const p = cfg.pools[0];
  if (p === undefined) throw new Error('no pool');
  return p;
};
const manager = (runner: CommandRunner, cap = true) => new InterfaceAddresses({ runner, clock: new FakeClock(), logger: noopLogger, hasNetAdmin: () => Promise.resolve(cap) });

describe('InterfaceAddresses', () => {
  it('auto takes the interface of the longest-prefix route; a configured one must be that interface', async () => {
    const runner = fakeRunner({ 'ip -j -4 route show table main': { stdout: ROUTES } });
    assert.equal(await manager(runner).resolve(pool('auto'), '198.51.100.10'), 'eth1');
    await assert.rejects(
      manager(runner).resolve(pool('eth0'), '198.51.100.10'),
      (err: unknown) => err instanceof InterfaceAddressError && err.code === 'NoRoute' && /pool "lan", address 198\.51\.100\.10, interface "eth0": the interface does not route the address \(this host routes it through "eth1"\)/.test(err.message),
    );
  });

  it('a missing interface and a missing capability are errors naming pool, address and interface', async () => {
    const runner = fakeRunner({ 'ip -j link show dev nope0': { code: 1, stderr: 'Device "nope0" does not exist.' } });
    await assert.rejects(manager(runner).resolve(pool('nope0'), '198.51.100.10'), /pool "lan", address 198\.51\.100\.10, interface "nope0": no such network interface on this host/);
    await assert.rejects(manager(runner, false).resolve(pool('eth1'), '198.51.100.10'), /pool "lan", address 198\.51\.100\.10, interface "eth1": this process lacks CAP_NET_ADMIN/);
  });

  it('probes a fresh IPv4 address before adding it, and refuses it when another host answers', async () => {
    const dup = fakeRunner({ 'arping -D -q -c 1 -w 1 -I eth1 198.51.100.10': { code: 1 } });
    await assert.rejects(manager(dup).add('lan', '198.51.100.10', 'eth1', { probe: true }), (err: unknown) => err instanceof InterfaceAddressError && err.code === 'Duplicate');
    assert.ok(!dup.calls.some((c) => c.startsWith('ip addr add')), 'nothing was added');
    const ok = fakeRunner({});
    assert.deepEqual(await manager(ok).add('lan', '198.51.100.10', 'eth1', { probe: true }), { added: true });
    assert.deepEqual(ok.calls.slice(1), ['arping -D -q -c 1 -w 1 -I eth1 198.51.100.10', 'ip addr add 198.51.100.10/32 dev eth1', 'bg arping -U -q -c 2 -I eth1 198.51.100.10']);
  });

  it('a takeover (no probe) adds and announces at once; an address already there is not ours to remove', async () => {
    const runner = fakeRunner({ 'ip -j addr show dev eth1': { stdout: JSON.stringify([{ addr_info: [{ local: '198.51.100.11', prefixlen: 32 }] }]) } });
    assert.deepEqual(await manager(runner).add('lan', '198.51.100.10', 'eth1', { probe: false }), { added: true });
    assert.ok(!runner.calls.some((c) => c.startsWith('arping -D')));
    assert.deepEqual(await manager(runner).add('lan', '198.51.100.11', 'eth1', { probe: true }), { added: false });
  });

  it('lists nothing on an interface that does not exist, and fails (naming the command) when ip fails otherwise', async () => {
    const missing = fakeRunner({ 'ip -j addr show dev gone0': { code: 1, stderr: 'Device "gone0" does not exist.' } });
    assert.deepEqual(await manager(missing).list('gone0'), new Set());
    const timedOut = fakeRunner({ 'ip -j addr show dev eth1': { code: null, stderr: '' } });
    await assert.rejects(manager(timedOut).list('eth1'), /ip -j addr show dev eth1 timed out/);
    const broken = fakeRunner({ 'ip -j addr show dev eth1': { code: 255, stderr: 'Cannot send dump request: Operation not permitted' } });
    await assert.rejects(
      manager(broken).add('lan', '198.51.100.10', 'eth1', { probe: false }),
      (err: unknown) => err instanceof InterfaceAddressError && err.code === 'Failed' && /interface "eth1": cannot read the interface's addresses: .*exited 255: Cannot send dump request/.test(err.message),
    );
    assert.ok(!broken.calls.some((c) => c.startsWith('ip addr add')), 'nothing added on a guess');
  });

  it('removing an address that is already gone is no error; other failures are', async () => {
    const gone = fakeRunner({ 'ip addr del 198.51.100.10/32 dev eth1': { code: 2, stderr: 'Error: ipv4: Address not found.' } });
    await manager(gone).remove('198.51.100.10', 'eth1');
    const denied = fakeRunner({ 'ip addr del 198.51.100.10/32 dev eth1': { code: 2, stderr: 'RTNETLINK answers: Operation not permitted' } });
    await assert.rejects(manager(denied).remove('198.51.100.10', 'eth1'), /Operation not permitted/);
  });
});

describe('local config: interface and dataPlane', () => {
  it('the config reference and both recipes of docs/local-provider.md parse', () => {
    const doc = readFileSync(new URL('../../../docs/local-provider.md', import.meta.url), 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)\n```/g)].map((m) => m[1] ?? '');
    assert.ok(blocks.length >= 3, `${blocks.length} yaml blocks`);
    for (const block of blocks.filter((b) => /^(pools|stateFile):/m.test(b))) parseLocalConfig(block, 'docs/local-provider.md');
  });

  it('an interface needs a stateFile; names are checked; dataPlane and nftables settings parse', () => {
    assert.throws(() => parseLocalConfig('pools:\n- name: lan\n  ranges: [192.0.2.0/28]\n  interface: eth0\n', 'l.yaml'), /l\.yaml:4: pools\[0\]\.interface: pool "lan": an interface needs a stateFile/);
    assert.throws(() => parseLocalConfig('stateFile: /tmp/s.json\npools:\n- name: lan\n  ranges: [192.0.2.0/28]\n  interface: "eth0:1"\n', 'l.yaml'), /pools\[0\]\.interface: must be a network interface name/);
    const cfg = parseLocalConfig('stateFile: /tmp/s.json\ndataPlane: nftables\nnftables: { masquerade: false }\npools:\n- name: lan\n  ranges: [192.0.2.0/28]\n  interface: auto\n');
    assert.equal(cfg.dataPlane, 'nftables');
    assert.equal(cfg.nftables.masquerade, false);
    assert.equal(cfg.pools[0]?.interface, 'auto');
    assert.equal(parseLocalConfig('').dataPlane, 'userspace');
    assert.throws(() => parseLocalConfig('dataPlane: ebpf\n', 'l.yaml'), /l\.yaml:1: dataPlane: /);
  });
});
