/**
 * The nftables data plane (`dataPlane: nftables`) on a namespaced network: a client host, the LB
 * host (forwarding on, as a router), two node hosts on one bridge. TCP and UDP from the client
 * reach the nodes through the address by kernel DNAT (status ipMode VIP); source ranges drop other
 * clients; ClientIP affinity pins a client; without masquerading the node sees the client's own
 * address; a host that cannot forward falls back to the user-space proxy with a Warning event; the
 * table goes with the last Service, with stop, and — after a kill -9 — at the next start.
 *
 * Needs root and nft; skipped with the reason otherwise. Only 192.0.2.0/24 inside the lab's
 * namespaces is used; the lab (and with it every table and address) is always removed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LB_HOST, AGENT, startProgram } from './netns/agent-client.js';
import type { LabProgram } from './netns/agent-client.js';
import { NODE_PORT, UDP_NODE_PORT, labNodes, lanService, waitFor } from './netns/fixtures.js';
import { createLab, labUnavailableReason, nftUnavailableReason } from './netns/lab.js';
import type { Lab } from './netns/lab.js';

const skip = labUnavailableReason() ?? nftUnavailableReason();

interface Reply {
  ok: boolean;
  reply: string;
  error?: string;
}

describe('local provider: the nftables data plane, in network namespaces', { skip }, () => {
  let lab: Lab;
  let dir: string;
  let client: LabProgram;
  const programs: LabProgram[] = [];

  before(async () => {
    lab = createLab({ client: 10, lb1: 11, node1: 21, node2: 22 });
    dir = mkdtempSync(join(tmpdir(), 'outrigger-nft-'));
    lab.exec('lb1', 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    client = await startProgram(lab, 'client', AGENT);
    for (const n of ['node1', 'node2']) {
      const agent = await startProgram(lab, n, AGENT);
      await agent.call('serve', { host: lab.host(n).ip, tcpPort: NODE_PORT, udpPort: UDP_NODE_PORT, healthPort: 10256, name: n });
      programs.push(agent);
    }
    // Only node1 has an endpoint of the ETP Local Service: only it answers on its healthCheckNodePort.
    await programs[0]?.call('serve', { host: lab.host('node1').ip, healthPort: 10257 });
  });
  after(() => {
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(lab.remaining(), []);
  });

  const tables = (): string => lab.exec('lb1', 'nft', ['list', 'tables']);
  const onEth0 = (ip: string): boolean => lab.exec('lb1', 'ip', ['-o', 'addr', 'show', 'dev', 'eth0']).includes(`${ip}/32`);
  const lbHost = async (state: string, extra = ''): Promise<LabProgram> => {
    const p = await startProgram(lab, 'lb1', LB_HOST);
    programs.push(p);
    const config = `stateFile: ${join(dir, state)}\ndataPlane: nftables\n${extra}pools:\n- name: lan\n  ranges: [192.0.2.100-192.0.2.109]\n  interface: eth0\n`;
    await p.call('init', { config });
    await p.call('initialize');
    return p;
  };
  const tcp = (port = 80, ip = '192.0.2.100', timeoutMs = 3000): Promise<Reply> => client.call<Reply>('tcp', { host: ip, port, timeoutMs });
  const udp = (port = 80, ip = '192.0.2.100', timeoutMs = 3000): Promise<Reply> => client.call<Reply>('udp', { host: ip, port, timeoutMs });
  const nodes = (): unknown => labNodes(lab, ['node1', 'node2']);

  it('TCP and UDP reach both nodes through the address by DNAT, status ipMode VIP; the table and address go with the Service', async () => {
    const lb = await lbHost('a.json');
    const status = await lb.call<{ ingress: { ip: string; ipMode: string }[] }>('ensure', { service: lanService('web'), nodes: nodes() });
    assert.deepEqual(status.ingress.map((i) => [i.ip, i.ipMode]), [['192.0.2.100', 'VIP']]);
    assert.match(tables(), /table inet outrigger_local/);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await tcp();
      assert.ok(r.ok, JSON.stringify(r));
      // Masqueraded by default: the node sees the LB host's address.
      assert.match(r.reply, /^node[12] 192\.0\.2\.11$/);
      seen.add(r.reply.split(' ')[0] ?? '');
    }
    assert.deepEqual([...seen].sort(), ['node1', 'node2'], 'round-robin (numgen inc) over both nodes');
    const u = await udp();
    assert.ok(u.ok, JSON.stringify(u));
    assert.match(u.reply, /^node[12] 192\.0\.2\.11$/);
    await lb.call('delete', { service: lanService('web') });
    assert.doesNotMatch(tables(), /outrigger_local/, 'the last Service took the table with it');
    assert.ok(!onEth0('192.0.2.100'));
    await lb.call('stop');
    lb.child.kill('SIGKILL');
  });

  it('source ranges drop other clients (TCP and UDP); ClientIP affinity pins a client to one node', async () => {
    const lb = await lbHost('b.json');
    await lb.call('ensure', { service: lanService('web', { loadBalancerSourceRanges: ['192.0.2.99/32'] }), nodes: nodes() });
    const blocked = await tcp(80, '192.0.2.100', 500);
    assert.equal(blocked.ok, false);
    assert.equal(blocked.error, 'timeout', 'dropped, not refused by the LB host');
    assert.equal((await udp(80, '192.0.2.100', 500)).ok, false);
    await lb.call('ensure', { service: lanService('web', { loadBalancerSourceRanges: ['192.0.2.0/28'], sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } } }), nodes: nodes() });
    const replies = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await tcp();
      assert.ok(r.ok, JSON.stringify(r));
      replies.add(r.reply);
    }
    assert.equal(replies.size, 1, `one node for the client: ${[...replies].join(', ')}`);
    assert.match(lab.exec('lb1', 'nft', ['list', 'table', 'inet', 'outrigger_local']), /flags dynamic,timeout\s+timeout 1m/);
    await lb.call('stop');
    assert.doesNotMatch(tables(), /outrigger_local/, 'stop deletes the table');
    assert.ok(!onEth0('192.0.2.100'), 'stop removes the address');
    lb.child.kill('SIGKILL');
  });

  it('masquerade: false keeps the client address when the nodes route replies through the LB host', async () => {
    for (const n of ['node1', 'node2']) lab.exec(n, 'ip', ['route', 'add', '192.0.2.10/32', 'via', '192.0.2.11']);
    try {
      const lb = await lbHost('c.json', 'nftables: { masquerade: false }\n');
      await lb.call('ensure', { service: lanService('web', { externalTrafficPolicy: 'Local', healthCheckNodePort: 10256 }), nodes: nodes() });
      const r = await tcp();
      assert.ok(r.ok, JSON.stringify(r));
      assert.match(r.reply, /^node[12] 192\.0\.2\.10$/, 'the node sees the client');
      const u = await udp();
      assert.ok(u.ok, JSON.stringify(u));
      assert.match(u.reply, /^node[12] 192\.0\.2\.10$/);
      await lb.call('stop');
      lb.child.kill('SIGKILL');
    } finally {
      for (const n of ['node1', 'node2']) lab.tryExec(n, 'ip', ['route', 'del', '192.0.2.10/32']);
    }
  });

  it('externalTrafficPolicy: Local — a node whose health check fails leaves the kernel rotation', async () => {
    const lb = await lbHost('f.json', 'healthCheck: { intervalMs: 100, timeoutMs: 500 }\n');
    await lb.call('ensure', { service: lanService('web', { externalTrafficPolicy: 'Local', healthCheckNodePort: 10257 }), nodes: nodes() });
    const table = (): string => lab.exec('lb1', 'nft', ['list', 'table', 'inet', 'outrigger_local']);
    await waitFor(() => !table().includes('192.0.2.22:30080'), 'node2 (no local endpoint: its health check fails) to leave the table');
    assert.match(table(), /dnat ip to 192\.0\.2\.21:30080/);
    for (let i = 0; i < 4; i++) {
      const r = await tcp();
      assert.ok(r.ok, JSON.stringify(r));
      assert.match(r.reply, /^node1 /);
    }
    await lb.call('stop');
    lb.child.kill('SIGKILL');
  });

  it('a kill -9 leaves the table; the next start removes it', async () => {
    const lb = await lbHost('d.json');
    await lb.call('ensure', { service: lanService('web'), nodes: nodes() });
    lb.child.kill('SIGKILL');
    await lb.exited;
    assert.match(tables(), /outrigger_local/);
    const next = await startProgram(lab, 'lb1', LB_HOST);
    programs.push(next);
    await next.call('init', { config: `stateFile: ${join(dir, 'd.json')}\ndataPlane: nftables\npools:\n- name: lan\n  ranges: [192.0.2.100-192.0.2.109]\n  interface: eth0\n` });
    await waitFor(() => !tables().includes('outrigger_local') && !onEth0('192.0.2.100'), 'the restarted provider to remove the table and the address');
    next.child.kill('SIGKILL');
  });

  it('a host that does not forward: the user-space proxy serves instead, with a DataPlaneFallback Warning event', async () => {
    lab.exec('lb1', 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0']);
    try {
      const lb = await lbHost('e.json');
      const status = await lb.call<{ ingress: { ipMode: string }[] }>('ensure', { service: lanService('web'), nodes: nodes() });
      assert.equal(status.ingress[0]?.ipMode, 'Proxy');
      assert.doesNotMatch(tables(), /outrigger_local/);
      const r = await tcp();
      assert.ok(r.ok, JSON.stringify(r));
      let events: { reason: string; type: string; message: string }[] = [];
      // The event is written in the background: bounded polling of the simulated API.
      for (let i = 0; i < 100 && events.length === 0; i++) {
        events = await lb.call('events');
        if (events.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const event = events.find((e) => e.reason === 'DataPlaneFallback');
      assert.ok(event !== undefined, JSON.stringify(events));
      assert.equal(event.type, 'Warning');
      assert.match(event.message, /ip_forward is 0/);
      await lb.call('stop');
      lb.child.kill('SIGKILL');
    } finally {
      lab.exec('lb1', 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    }
  });
});
