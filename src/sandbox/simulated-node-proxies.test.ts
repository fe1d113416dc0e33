import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { FakeClock } from '../kube/clock.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { httpGet } from '../simulation/local-demo/index.js';
import { probeTcp } from '../../test/helpers/probe-tcp.js';
import { startSimulatedNodeProxies } from './simulated-node-proxies.js';

// Addresses of this file alone: 127.0.174.0/24.
const NODES = [
  { name: 'node-0', address: '127.0.174.1' },
  { name: 'node-1', address: '127.0.174.2' },
];

describe('simulated kube-proxies of the sandbox', { timeout: 30_000 }, () => {
  it('answer /healthz on every node, and follow Services: node ports open with the echo backend and close on delete', async () => {
    const clock = new FakeClock();
    const sim = new SimulatedApiServer({ clock });
    const kube = sim.client();
    const proxies = await startSimulatedNodeProxies({ nodes: NODES, healthzPort: 0, services: kube.services, clock, random: () => 0.5, log: () => {} });
    try {
      for (const n of NODES) assert.equal(await httpGet(`http://${n.address}:${proxies.healthzPort}/healthz`, 5_000), '{"healthy":true}\n');
      const svc = await kube.services.create({
        metadata: { name: 'web', namespace: 'default' },
        spec: { type: 'LoadBalancer', externalTrafficPolicy: 'Local', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }] },
      });
      const tcp = svc.spec?.ports?.[0]?.nodePort ?? 0;
      await proxies.until((ports) => ports.has(tcp));
      const udp = svc.spec?.ports?.[1]?.nodePort ?? 0;
      const health = svc.spec?.healthCheckNodePort ?? 0;
      assert.ok(tcp > 0 && health > 0, JSON.stringify(svc.spec));
      assert.deepEqual([...proxies.nodePorts()], [[tcp, 'default/web']], 'TCP node ports only (the echo backend speaks HTTP)');
      assert.equal(await httpGet(`http://127.0.174.2:${tcp}/`, 5_000), 'hello from node-1 via default/web\n');
      assert.equal(await probeTcp('127.0.174.1', udp), 'ECONNREFUSED');
      // kube-proxy's per-Service health answer for externalTrafficPolicy: Local.
      assert.deepEqual(JSON.parse(await httpGet(`http://127.0.174.1:${health}/healthz`, 5_000)), { service: { namespace: 'default', name: 'web' }, localEndpoints: 1, serviceProxyHealthy: true });

      await kube.services.delete({ namespace: 'default', name: 'web' });
      await proxies.until((ports) => ports.size === 0);
      for (const n of NODES) {
        assert.equal(await probeTcp(n.address, tcp), 'ECONNREFUSED');
        assert.equal(await probeTcp(n.address, health), 'ECONNREFUSED');
      }
    } finally {
      await proxies.close();
    }
    for (const n of NODES) assert.equal(await probeTcp(n.address, proxies.healthzPort), 'ECONNREFUSED');
  });

  it('refuse to start when the health port is taken on a node, leaving nothing open', async () => {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.174.12', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      const clock = new FakeClock();
      const sim = new SimulatedApiServer({ clock });
      await assert.rejects(
        startSimulatedNodeProxies({ nodes: [{ name: 'node-0', address: '127.0.174.11' }, { name: 'node-1', address: '127.0.174.12' }], healthzPort: port, services: sim.client().services, clock, random: () => 0.5, log: () => {} }),
        new RegExp(`cannot listen on 127\\.0\\.174\\.12:${port}: .*EADDRINUSE`),
      );
      assert.equal(await probeTcp('127.0.174.11', port), 'ECONNREFUSED', 'the first node\'s listener was closed again');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
