/**
 * The kind recipe of docs/local-provider.md, end to end in network namespaces: the "Docker host"
 * owns the bridge (as Docker owns kind's), the api host serves the cluster's API, two node hosts
 * and a client container sit on the bridge. The real `outrigger run` on the Docker host, with the
 * recipe's YAML as written (only the range and the state file substituted), finds the bridge from
 * the route (`interface: auto`), adds the address to it and programs nftables DNAT; the host itself
 * and the client container reach the nodes over TCP and UDP; SIGTERM leaves no address and no
 * table. (The bare-metal recipe runs in test/e2e/local-failover.test.ts.)
 *
 * Needs root and nft; skipped with the reason otherwise. Only 192.0.2.0/24 inside the lab is used.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Service } from 'kubernetes-types/core/v1.js';
import { AGENT, startProgram } from '../netns/agent-client.js';
import type { LabProgram } from '../netns/agent-client.js';
import { NODE_PORT, UDP_NODE_PORT, labNodes, lanService, waitFor } from '../netns/fixtures.js';
import { createLab, labUnavailableReason, nftUnavailableReason } from '../netns/lab.js';
import type { Lab } from '../netns/lab.js';
import { startManager } from '../netns/manager.js';
import type { LabManager } from '../netns/manager.js';
import { recipeConfig } from '../netns/recipes.js';

const skip = labUnavailableReason() ?? nftUnavailableReason();
const API_HOST = fileURLToPath(new URL('../netns/api-host.ts', import.meta.url));

interface Reply {
  ok: boolean;
  reply: string;
}

describe('docs/local-provider.md: the kind recipe, in network namespaces', { skip }, () => {
  let lab: Lab;
  let dir: string;
  let api: LabProgram;
  let manager: LabManager | undefined;

  before(async () => {
    lab = createLab({ api: 5, client: 10, node1: 21, node2: 22 }, { bridgeAddress: 1 });
    dir = mkdtempSync(join(tmpdir(), 'outrigger-kind-'));
    // Docker turns forwarding on for its bridges.
    lab.exec('bridge', 'sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1']);
    api = await startProgram(lab, 'api', API_HOST, [lab.host('api').ip, join(dir, 'kubeconfig')]);
    for (const n of ['node1', 'node2']) {
      const agent = await startProgram(lab, n, AGENT);
      await agent.call('serve', { host: lab.host(n).ip, tcpPort: NODE_PORT, udpPort: UDP_NODE_PORT, healthPort: 10256, name: n });
      const [node] = labNodes(lab, [n]);
      await api.call('createNode', { node: { ...node, status: { ...node?.status, conditions: [{ type: 'Ready', status: 'True' }] } } });
    }
  });
  after(() => {
    manager?.child.kill('SIGKILL');
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(lab.remaining(), []);
  });

  it('the Docker host serves the Service on the kind bridge by nftables; the host and a container reach it; SIGTERM leaves nothing', async () => {
    const config = join(dir, 'kind.yaml');
    writeFileSync(
      config,
      recipeConfig('kind', [
        ['172.18.255.200-172.18.255.250', '192.0.2.200-192.0.2.209'],
        ['/var/lib/outrigger/kind-lb.json', join(dir, 'kind-lb.json')],
      ]),
    );
    manager = startManager(lab, 'bridge', config, join(dir, 'kubeconfig'));
    const m = manager;
    await api.call('createService', { service: lanService('web') });
    let ingress: { ip?: string; ipMode?: string } | undefined;
    await waitFor(() => ingress?.ip !== undefined, `the Service's address: ${m.stderr().slice(-2000)}`, 60_000, async () => {
      ingress = (await api.call<Service>('getService', { name: 'web' })).status?.loadBalancer?.ingress?.[0];
    });
    assert.deepEqual(ingress, { ip: '192.0.2.200', ipMode: 'VIP', ports: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }] });
    assert.match(lab.exec('bridge', 'ip', ['-o', 'addr', 'show', 'dev', 'br0']), /inet 192\.0\.2\.200\/32 /, 'interface: auto found the bridge');
    assert.match(lab.exec('bridge', 'nft', ['list', 'tables']), /table inet outrigger_local/);

    const container = await startProgram(lab, 'client', AGENT);
    const host = await startProgram(lab, 'bridge', AGENT);
    for (const [who, agent] of [['a container', container], ['the Docker host', host]] as const) {
      const tcp = await agent.call<Reply>('tcp', { host: '192.0.2.200', port: 80 });
      assert.ok(tcp.ok, `${who}: ${JSON.stringify(tcp)}`);
      assert.match(tcp.reply, /^node[12] /);
      const udp = await agent.call<Reply>('udp', { host: '192.0.2.200', port: 80 });
      assert.ok(udp.ok, `${who}: ${JSON.stringify(udp)}`);
      assert.match(udp.reply, /^node[12] /);
    }

    m.child.kill('SIGTERM');
    assert.equal(await m.exited, 0, m.stderr().slice(-2000));
    assert.doesNotMatch(lab.exec('bridge', 'ip', ['-o', 'addr', 'show', 'dev', 'br0']), /192\.0\.2\.200/);
    assert.doesNotMatch(lab.exec('bridge', 'nft', ['list', 'tables']), /outrigger_local/);
  });
});
