/**
 * The local provider on a real (namespaced) network: a client host, a load-balancer host and two
 * node hosts on one bridge (test/netns/lab.ts). Addresses of a pool with an interface are added to
 * the LB host's eth0, announced (gratuitous ARP), reachable from the client over TCP and UDP, and
 * removed on delete, stop, process exit and — after a kill -9 — at the next start. Bad input
 * (missing interface, an interface that does not route the pool, a duplicate address, no
 * CAP_NET_ADMIN) is a clear error naming pool, address and interface, with nothing left behind.
 *
 * Needs root (network namespaces); skipped with the reason otherwise. Only 192.0.2.0/24
 * (TEST-NET-1) inside the lab's own namespaces is ever used, and the lab is removed even when a
 * test fails or the run is interrupted.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT, LB_HOST, startProgram } from './netns/agent-client.js';
import type { LabProgram } from './netns/agent-client.js';
import { createLab, labUnavailableReason, sweepStaleLabs } from './netns/lab.js';
import { NODE_PORT, UDP_NODE_PORT, labNodes, lanService, waitFor } from './netns/fixtures.js';
import type { Lab } from './netns/lab.js';

const skip = labUnavailableReason();

function stateOf(file: string): { interfaceAddresses?: unknown } {
  return JSON.parse(readFileSync(file, 'utf8')) as { interfaceAddresses?: unknown };
}

function hostAddresses(lab: Lab, host: string): string {
  return lab.exec(host, 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']);
}

describe('local provider: addresses on an interface, in network namespaces', { skip }, () => {
  let lab: Lab;
  let dir: string;
  const programs: LabProgram[] = [];
  let client: LabProgram;

  before(async () => {
    lab = createLab({ client: 10, lb1: 11, node1: 21, node2: 22 });
    dir = mkdtempSync(join(tmpdir(), 'outrigger-netns-'));
    client = await startProgram(lab, 'client', AGENT);
    for (const n of ['node1', 'node2']) {
      const agent = await startProgram(lab, n, AGENT);
      await agent.call('serve', { host: lab.host(n).ip, tcpPort: NODE_PORT, udpPort: UDP_NODE_PORT, name: n });
      await agent.call('serve', { host: lab.host(n).ip6, tcpPort: NODE_PORT, udpPort: UDP_NODE_PORT, name: n });
      programs.push(agent);
    }
  });
  after(() => {
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(lab.remaining(), [], 'no namespace of the lab is left');
  });

  const lbHost = async (config: string, wrap: readonly string[] = []): Promise<LabProgram> => {
    const p = wrap.length === 0 ? await startProgram(lab, 'lb1', LB_HOST) : await startWrapped(lab, 'lb1', wrap);
    await p.call('init', { config });
    programs.push(p);
    return p;
  };
  const config = (state: string, pools: string): string => `stateFile: ${join(dir, state)}\nhealthCheck: { enabled: false }\npools:\n${pools}`;
  const LAN = '- name: lan\n  ranges: [192.0.2.100-192.0.2.109]\n  interface: eth0\n';

  it('the lab sweep removes the namespaces of a run that died (a test process killed -9)', () => {
    // pid_max's upper bound: no process has this pid.
    const stale = `ortl${(4194303).toString(36)}-stale`;
    execFileSync('ip', ['netns', 'add', stale]);
    try {
      assert.ok(sweepStaleLabs().includes(stale));
      assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(stale));
    } finally {
      // Already gone when the sweep worked; removed here when it did not.
      spawnSync('ip', ['netns', 'del', stale], { stdio: 'ignore' });
    }
  });

  it('adds the address to eth0, announces it, serves TCP and UDP to the client, and removes it on delete', async () => {
    const lb = await lbHost(config('a.json', LAN));
    await lb.call('initialize');
    // A stale neighbour entry on the client: only lb1's gratuitous ARP corrects it.
    lab.exec('client', 'ip', ['neigh', 'replace', '192.0.2.100', 'lladdr', '02:00:00:00:00:99', 'dev', 'eth0', 'nud', 'stale']);
    const status = await lb.call<{ ingress: { ip: string }[] }>('ensure', { service: lanService('web'), nodes: labNodes(lab, ['node1', 'node2']) });
    assert.equal(status.ingress[0]?.ip, '192.0.2.100');
    assert.match(hostAddresses(lab, 'lb1'), /inet 192\.0\.2\.100\/32 /);
    const lbMac = lab.exec('lb1', 'cat', ['/sys/class/net/eth0/address']).trim();
    await waitFor(() => lab.exec('client', 'ip', ['neigh', 'show', '192.0.2.100']).includes(lbMac), `the client's neighbour entry to show lb1's MAC ${lbMac}`);
    const tcp = await client.call<{ ok: boolean; reply: string }>('tcp', { host: '192.0.2.100', port: 80 });
    assert.ok(tcp.ok, JSON.stringify(tcp));
    // User-space proxy: the node sees the LB host's address.
    assert.match(tcp.reply, /^node[12] 192\.0\.2\.11$/);
    const udp = await client.call<{ ok: boolean; reply: string }>('udp', { host: '192.0.2.100', port: 80 });
    assert.ok(udp.ok, JSON.stringify(udp));
    assert.match(udp.reply, /^node[12] 192\.0\.2\.11$/);
    // The state file records the address this host added.
    assert.deepEqual(stateOf(join(dir, 'a.json')).interfaceAddresses, [{ address: '192.0.2.100', interface: 'eth0' }]);
    await lb.call('delete', { service: lanService('web') });
    assert.doesNotMatch(hostAddresses(lab, 'lb1'), /192\.0\.2\.100/);
    assert.equal(stateOf(join(dir, 'a.json')).interfaceAddresses, undefined);
    await lb.call('stop');
    lb.child.kill('SIGKILL');
  });

  it('interface: auto finds eth0 from the route; stop and process exit remove the addresses; a restart removes what a kill -9 left', async () => {
    const pools = '- name: lan\n  ranges: [192.0.2.110-192.0.2.119]\n  interface: auto\n';
    const lb = await lbHost(config('b.json', pools));
    await lb.call('initialize');
    await lb.call('ensure', { service: lanService('a'), nodes: labNodes(lab, ['node1']) });
    assert.match(hostAddresses(lab, 'lb1'), /inet 192\.0\.2\.110\/32 /);
    await lb.call('stop');
    assert.doesNotMatch(hostAddresses(lab, 'lb1'), /192\.0\.2\.110/, 'stop removes the address');

    // process.exit with an address on the interface: the exit hook removes it.
    const lb2 = await lbHost(config('b.json', pools));
    await lb2.call('initialize');
    await lb2.call('ensure', { service: lanService('a'), nodes: labNodes(lab, ['node1']) });
    assert.match(hostAddresses(lab, 'lb1'), /inet 192\.0\.2\.110\/32 /);
    await lb2.call('exit', { code: 0 });
    await lb2.exited;
    assert.doesNotMatch(hostAddresses(lab, 'lb1'), /192\.0\.2\.110/, 'the exit hook removes the address');

    // kill -9: the address stays; the next process removes it at start, before it leads.
    const lb3 = await lbHost(config('b.json', pools));
    await lb3.call('initialize');
    await lb3.call('ensure', { service: lanService('a'), nodes: labNodes(lab, ['node1']) });
    lb3.child.kill('SIGKILL');
    await lb3.exited;
    assert.match(hostAddresses(lab, 'lb1'), /inet 192\.0\.2\.110\/32 /, 'kill -9 leaves the address');
    const lb4 = await lbHost(config('b.json', pools));
    await waitFor(() => !hostAddresses(lab, 'lb1').includes('192.0.2.110'), 'the restarted (not leading) provider to remove the address a kill -9 left');
    await lb4.call('stop');
    lb4.child.kill('SIGKILL');
  });

  it('bad input: a missing interface, one that does not route the pool, a duplicate address: errors name pool, address and interface; other Services keep working; nothing is left', async () => {
    const pools = [
      LAN,
      '- name: ghost\n  ranges: [192.0.2.120-192.0.2.121]\n  interface: nope0\n',
      '- name: unrouted\n  ranges: [198.51.100.1-198.51.100.2]\n  interface: eth0\n',
    ].join('');
    // node2 already uses 192.0.2.100: the probe must find it.
    lab.exec('node2', 'ip', ['addr', 'add', '192.0.2.100/32', 'dev', 'eth0']);
    try {
      const lb = await lbHost(config('c.json', pools));
      await lb.call('initialize');
      const nodes = labNodes(lab, ['node1']);
      await assert.rejects(lb.call('ensure', { service: lanService('dup'), nodes }), /pool "lan", address 192\.0\.2\.100, interface "eth0": another host on the network already answers ARP for this address/);
      const next = await lb.call<{ ingress: { ip: string }[] }>('ensure', { service: lanService('dup'), nodes });
      assert.equal(next.ingress[0]?.ip, '192.0.2.101', 'the retry takes the next address');
      await assert.rejects(lb.call('ensure', { service: lanService('ghost', { loadBalancerIP: '192.0.2.120' }), nodes }), /pool "ghost", address 192\.0\.2\.120, interface "nope0": no such network interface on this host/);
      await assert.rejects(
        lb.call('ensure', { service: lanService('unrouted', { loadBalancerIP: '198.51.100.1' }), nodes }),
        /pool "unrouted", address 198\.51\.100\.1, interface "eth0": this host has no route to the address/,
      );
      const addrs = hostAddresses(lab, 'lb1');
      assert.match(addrs, /192\.0\.2\.101\/32/);
      for (const ip of ['192.0.2.100', '192.0.2.120', '198.51.100.1']) assert.ok(!addrs.includes(`${ip}/`), `${ip} is not on lb1`);
      // The Service that got an address still serves.
      const tcp = await client.call<{ ok: boolean }>('tcp', { host: '192.0.2.101', port: 80 });
      assert.ok(tcp.ok, JSON.stringify(tcp));
      await lb.call('stop');
      assert.doesNotMatch(hostAddresses(lab, 'lb1'), /192\.0\.2\.1\d\d\//);
      lb.child.kill('SIGKILL');
    } finally {
      lab.exec('node2', 'ip', ['addr', 'del', '192.0.2.100/32', 'dev', 'eth0']);
    }
  });

  it('IPv6: a duplicate fails the kernel\'s duplicate address detection and the next address is used, added as a /128 that serves TCP and UDP', async () => {
    lab.exec('node2', 'ip', ['addr', 'add', '2001:db8::100/128', 'dev', 'eth0', 'nodad']);
    try {
      const lb = await lbHost(config('v6.json', '- name: lan6\n  ranges: [2001:db8::100-2001:db8::109]\n  interface: eth0\n'));
      await lb.call('initialize');
      const nodes = labNodes(lab, ['node1', 'node2']);
      await assert.rejects(lb.call('ensure', { service: lanService('v6'), nodes }), /pool "lan6", address 2001:db8::100, interface "eth0": duplicate address detection failed/);
      assert.doesNotMatch(hostAddresses(lab, 'lb1'), /2001:db8::100\//, 'the duplicate is not left on lb1');
      const status = await lb.call<{ ingress: { ip: string }[] }>('ensure', { service: lanService('v6'), nodes });
      assert.equal(status.ingress[0]?.ip, '2001:db8::101');
      const line = hostAddresses(lab, 'lb1').split('\n').find((l) => l.includes('2001:db8::101/128'));
      assert.ok(line !== undefined && !line.includes('tentative'), `2001:db8::101/128 on lb1, past detection: ${line ?? ''}`);
      const tcp = await client.call<{ ok: boolean; reply: string }>('tcp', { host: '2001:db8::101', port: 80 });
      assert.ok(tcp.ok, JSON.stringify(tcp));
      assert.match(tcp.reply, /^node[12] 2001:db8::11$/);
      const udp = await client.call<{ ok: boolean; reply: string }>('udp', { host: '2001:db8::101', port: 80 });
      assert.ok(udp.ok, JSON.stringify(udp));
      await lb.call('stop');
      assert.doesNotMatch(hostAddresses(lab, 'lb1'), /2001:db8::1\d\d\//);
      lb.child.kill('SIGKILL');
    } finally {
      lab.exec('node2', 'ip', ['addr', 'del', '2001:db8::100/128', 'dev', 'eth0']);
    }
  });

  it('without CAP_NET_ADMIN: the error names pool, address and interface, and nothing is added', async () => {
    const lb = await lbHost(config('d.json', LAN), ['setpriv', '--bounding-set=-net_admin', '--inh-caps=-net_admin', '--']);
    await lb.call('initialize');
    await assert.rejects(
      lb.call('ensure', { service: lanService('nocap'), nodes: labNodes(lab, ['node1']) }),
      /pool "lan", address 192\.0\.2\.100, interface "eth0": this process lacks CAP_NET_ADMIN/,
    );
    assert.doesNotMatch(hostAddresses(lab, 'lb1'), /192\.0\.2\.100/);
    lb.child.kill('SIGKILL');
  });
});

/** {@link startProgram} of lb-host.ts under a wrapper command (`setpriv … --`). */
async function startWrapped(lab: Lab, host: string, wrap: readonly string[]): Promise<LabProgram> {
  const [cmd, ...rest] = wrap;
  return startProgram(lab, host, LB_HOST, [], 30_000, cmd === undefined ? undefined : { command: cmd, args: rest });
}
