import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { RetryError } from '../../cloud/errors.js';
import type { ProviderInitContext } from '../../cloud/provider.js';
import type { KubeClient } from '../../kube/client.js';
import { Registry } from 'prom-client';
import { FakeClock } from '../../kube/clock.js';
import { SimulatedApiServer } from '../../kube/memory/simulated-api-server.js';
import { createLogger, MemoryLogSink, noopLogger } from '../../log/logger.js';
import { settle } from '../../testing/settle.js';
import { turnsUntil } from '../../testing/turns-until.js';
import { parseLocalConfig } from './local-config.js';
import { LocalCloudProvider } from './local-provider.js';

// Addresses used only by this file: LB pool 127.0.77.0-127.0.77.255 (a range: its .0 is an address like any other), nodes 127.0.78.x, outsiders 127.0.79.x.
const N1 = '127.0.78.1';
const N2 = '127.0.78.2';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function node(name: string, ip: string): Node {
  return { metadata: { name }, status: { addresses: [{ type: 'InternalIP', address: ip }] } };
}

function listen(server: Server | HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : 0);
    });
  });
}

/** TCP backends on N1 and N2 sharing one port (a node port); each answers every line with its node name. */
async function tcpBackends(): Promise<{ port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const make = (name: string): Server =>
    createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      s.on('data', () => s.write(`${name}\n`));
    });
  const a = make('n1');
  const b = make('n2');
  const port = await listen(a, N1, 0);
  await listen(b, N2, port);
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    a.close();
    b.close();
  });
  return { port, sockets };
}

/** UDP backends on N1 and N2 sharing one port; each answers a datagram with its node name. */
async function udpBackends(): Promise<number> {
  const make = (name: string): UdpSocket => {
    const s = createSocket('udp4');
    s.on('message', (_m, r) => s.send(name, r.port, r.address));
    return s;
  };
  const a = make('n1');
  const b = make('n2');
  await new Promise<void>((r) => a.bind(0, N1, r));
  const port = a.address().port;
  await new Promise<void>((r) => b.bind(port, N2, r));
  cleanups.push(() => {
    a.close();
    b.close();
  });
  return port;
}

/** A client connection that can ask "which node?" repeatedly. */
async function client(host: string, port: number, localAddress?: string): Promise<{ ask(): Promise<string>; socket: Socket }> {
  const socket = connect({ host, port, ...(localAddress !== undefined && { localAddress }) });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => void socket.destroy());
  let buffered = '';
  const waiters: ((line: string) => void)[] = [];
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      waiters.shift()?.(line);
    }
  });
  return {
    socket,
    ask: () =>
      new Promise<string>((resolve, reject) => {
        waiters.push(resolve);
        socket.once('close', () => reject(new Error('connection closed')));
        socket.write('?\n');
      }),
  };
}

async function askOnce(host: string, port: number, localAddress?: string): Promise<string> {
  const c = await client(host, port, localAddress);
  const answer = await c.ask();
  c.socket.destroy();
  return answer;
}

async function udpAsk(host: string, port: number, localAddress = '127.0.0.1'): Promise<{ socket: UdpSocket; ask(): Promise<string> }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, localAddress, r));
  cleanups.push(() => void socket.close());
  return {
    socket,
    ask: () =>
      new Promise<string>((resolve) => {
        socket.once('message', (m) => resolve(m.toString()));
        socket.send('?', port, host);
      }),
  };
}

function service(name: string, ports: { port: number; nodePort: number; protocol?: 'TCP' | 'UDP' }[], spec: Service['spec'] = {}, extra: Partial<Service> = {}): Service {
  return {
    metadata: { namespace: 'default', name, uid: `uid-${name}` },
    spec: { type: 'LoadBalancer', ports: ports.map((p) => ({ ...p, protocol: p.protocol ?? 'TCP' })), ...spec },
    ...extra,
  };
}

/**
 * What the provider lists at initialise: a cluster with no Services, or one whose Service list
 * answers `services` (what a restart needs to keep their allocations).
 */
const ctx = (signal: AbortSignal, services?: readonly Service[]): ProviderInitContext => ({
  signal,
  logger: noopLogger,
  clientBuilder: {
    client: () => {
      const client = new SimulatedApiServer().client();
      if (services === undefined) return client;
      const list: KubeClient['services']['list'] = () => Promise.resolve({ items: structuredClone([...services]), metadata: { resourceVersion: '1' } });
      return { ...client, services: { ...client.services, list } };
    },
  },
});

async function startProvider(
  yaml = '',
  onHealthChange?: (svc: string, node: string, healthy: boolean) => void,
  services?: readonly Service[],
): Promise<{ provider: LocalCloudProvider; clock: FakeClock }> {
  const clock = new FakeClock();
  const config = parseLocalConfig(`pools:\n- name: test\n  ranges: [127.0.77.0-127.0.77.255]\n${yaml}`);
  const provider = new LocalCloudProvider({ config, clock, ...(onHealthChange !== undefined && { onHealthChange }) });
  const controller = new AbortController();
  await provider.initialize(ctx(controller.signal, services));
  cleanups.push(() => provider.shutdown());
  return { provider, clock };
}

const NO_HEALTH = 'healthCheck:\n  enabled: false\n';

/** Why IPv6 loopback cannot be used here, or undefined when `::1` is configured and bindable. */
async function noIpv6Loopback(): Promise<string | undefined> {
  const configured = Object.values(networkInterfaces()).some((addrs) => addrs?.some((a) => a.family === 'IPv6' && a.address === '::1'));
  if (!configured) return 'this machine has no ::1 (IPv6 loopback not configured)';
  const probe = createServer();
  try {
    await listen(probe, '::1', 0);
    return undefined;
  } catch (err) {
    return `cannot bind ::1: ${(err as NodeJS.ErrnoException).code ?? String(err)}`;
  } finally {
    probe.close();
  }
}
const ipv6Skip = await noIpv6Loopback();

describe('LocalLoadBalancer data plane', () => {
  it('TCP and UDP on the same port reach both nodes, and status reports the address with ipMode Proxy', async () => {
    const tcp = await tcpBackends();
    const udpPort = await udpBackends();
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const svc = service('web', [
      { port: 8053, nodePort: tcp.port },
      { port: 8053, nodePort: udpPort, protocol: 'UDP' },
    ]);
    const status = await lb.ensureLoadBalancer('kubernetes', svc, [node('n1', N1), node('n2', N2)]);
    assert.deepEqual(status, { ingress: [{ ip: '127.0.77.0', ipMode: 'Proxy', ports: [{ port: 8053, protocol: 'TCP' }, { port: 8053, protocol: 'UDP' }] }] });
    const tcpAnswers = [await askOnce('127.0.77.0', 8053), await askOnce('127.0.77.0', 8053)];
    assert.deepEqual(tcpAnswers.sort(), ['n1', 'n2'], 'round-robin over both nodes');
    const u1 = await udpAsk('127.0.77.0', 8053);
    const u2 = await udpAsk('127.0.77.0', 8053);
    assert.deepEqual([await u1.ask(), await u2.ask()].sort(), ['n1', 'n2']);
    assert.deepEqual(await lb.getLoadBalancer('kubernetes', svc), { exists: true, status });
  });

  it('an IPv6 pool serves on ::1 and forwards to a node\'s IPv6 InternalIP', { skip: ipv6Skip ?? false }, async () => {
    const backendSocket = createServer((s) => {
      s.on('error', () => undefined);
      s.on('data', () => s.write(`v6 from ${s.remoteAddress ?? '?'}\n`));
    });
    const port = await listen(backendSocket, '::1', 0);
    cleanups.push(() => void backendSocket.close());
    const clock = new FakeClock();
    const provider = new LocalCloudProvider({ clock, config: parseLocalConfig(`pools:\n- name: v6\n  ranges: ['::1/128']\n${NO_HEALTH}`) });
    await provider.initialize(ctx(new AbortController().signal));
    cleanups.push(() => provider.shutdown());
    const status = await provider.loadBalancer().ensureLoadBalancer('kubernetes', service('v6', [{ port: 18_631, nodePort: port }]), [
      { metadata: { name: 'n6' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.6' }, { type: 'InternalIP', address: '::1' }] } },
    ]);
    assert.deepEqual(status.ingress, [{ ip: '::1', ipMode: 'Proxy', ports: [{ port: 18_631, protocol: 'TCP' }] }]);
    assert.equal(await askOnce('::1', 18_631), 'v6 from ::1', 'the IPv6 InternalIP is the backend, not the IPv4 one');
  });

  it('a node leaving the set gets no new connections while an established one continues', async () => {
    const tcp = await tcpBackends();
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const svc = service('web', [{ port: 8080, nodePort: tcp.port }]);
    await lb.ensureLoadBalancer('kubernetes', svc, [node('n1', N1), node('n2', N2)]);
    const first = await client('127.0.77.0', 8080);
    const firstNode = await first.ask();
    const other = firstNode === 'n1' ? node('n2', N2) : node('n1', N1);
    await lb.updateLoadBalancer('kubernetes', svc, [other]);
    for (let i = 0; i < 4; i++) assert.equal(await askOnce('127.0.77.0', 8080), other.metadata?.name);
    assert.equal(await first.ask(), firstNode, 'the established connection still reaches the node that left');
  });

  it('a port change is hitless: the old connection continues, the new port serves, the old port refuses', async () => {
    const tcp = await tcpBackends();
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    await lb.ensureLoadBalancer('kubernetes', service('web', [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]);
    const established = await client('127.0.77.0', 8080);
    assert.equal(await established.ask(), 'n1');
    await lb.ensureLoadBalancer('kubernetes', service('web', [{ port: 8081, nodePort: tcp.port }]), [node('n1', N1)]);
    assert.equal(await askOnce('127.0.77.0', 8081), 'n1');
    assert.equal(await established.ask(), 'n1');
    await assert.rejects(client('127.0.77.0', 8080), /ECONNREFUSED/);
  });

  it('loadBalancerSourceRanges reject TCP and drop UDP from outside the ranges', async () => {
    const tcp = await tcpBackends();
    const udpPort = await udpBackends();
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const svc = service('web', [{ port: 8080, nodePort: tcp.port }, { port: 8080, nodePort: udpPort, protocol: 'UDP' }], { loadBalancerSourceRanges: ['127.0.79.0/24'] });
    await lb.ensureLoadBalancer('kubernetes', svc, [node('n1', N1)]);
    assert.equal(await askOnce('127.0.77.0', 8080, '127.0.79.5'), 'n1');
    await assert.rejects(askOnce('127.0.77.0', 8080, '127.0.0.1'), /ECONNRESET|connection closed/);
    const outsider = await udpAsk('127.0.77.0', 8080, '127.0.0.1');
    let outsiderGotReply = false;
    outsider.socket.on('message', () => (outsiderGotReply = true));
    outsider.socket.send('?', 8080, '127.0.77.0');
    // Datagrams on one socket are handled in order: once the insider's reply is back, the
    // outsider's earlier datagram has been seen and dropped.
    const insider = await udpAsk('127.0.77.0', 8080, '127.0.79.6');
    assert.equal(await insider.ask(), 'n1');
    assert.equal(outsiderGotReply, false);
    assert.equal(provider.localLoadBalancer.dataPlane('default/web')?.connections, 1, 'only the insider has a UDP session');
  });

  it('sessionAffinity ClientIP sticks to one node, then expires on the virtual clock', async () => {
    const tcp = await tcpBackends();
    const { provider, clock } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const svc = service('web', [{ port: 8080, nodePort: tcp.port }], { sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } } });
    await lb.ensureLoadBalancer('kubernetes', svc, [node('n1', N1), node('n2', N2)]);
    const sticky = await askOnce('127.0.77.0', 8080);
    for (let i = 0; i < 3; i++) {
      await clock.advance(9_000);
      assert.equal(await askOnce('127.0.77.0', 8080), sticky, 'each new connection within the timeout refreshes it');
    }
    await clock.advance(10_001);
    assert.notEqual(await askOnce('127.0.77.0', 8080), sticky, 'after the timeout round-robin moves on');
  });

  it('UDP sessions expire after the idle timeout', async () => {
    const udpPort = await udpBackends();
    const { provider, clock } = await startProvider(`${NO_HEALTH}udpIdleTimeoutMs: 30000\n`);
    await provider.loadBalancer().ensureLoadBalancer('kubernetes', service('dns', [{ port: 8053, nodePort: udpPort, protocol: 'UDP' }]), [node('n1', N1)]);
    const c = await udpAsk('127.0.77.0', 8053);
    assert.equal(await c.ask(), 'n1');
    const plane = provider.localLoadBalancer.dataPlane('default/dns');
    await clock.advance(20_000);
    assert.equal(await c.ask(), 'n1');
    await clock.advance(20_000);
    assert.equal(plane?.connections, 1, 'activity 20 s ago keeps the session');
    await clock.advance(10_000);
    assert.equal(plane?.connections, 0, 'idle for 30 s: the session is gone');
  });

  it('a failing health check takes a node out of rotation and recovery brings it back', async () => {
    const tcp = await tcpBackends();
    const healthy = new Map([['n1', true], ['n2', true]]);
    const makeHealth = (name: string): HttpServer => createHttpServer((req, res) => {
      res.statusCode = req.url === '/healthz' && healthy.get(name) === true ? 200 : 503;
      res.end();
    });
    const h1 = makeHealth('n1');
    const h2 = makeHealth('n2');
    const hport = await listen(h1, N1, 0);
    await listen(h2, N2, hport);
    cleanups.push(() => {
      h1.close();
      h2.close();
    });
    const changes: { node: string; healthy: boolean }[] = [];
    let notify: (() => void) | undefined;
    const { provider, clock } = await startProvider(`healthCheck:\n  intervalMs: 1000\n  unhealthyThreshold: 1\n  kubeProxyPort: ${hport}\n`, (_svc, n, h) => {
      changes.push({ node: n, healthy: h });
      notify?.();
    });
    const changed = (): Promise<void> => new Promise((r) => (notify = r));
    const lb = provider.loadBalancer();
    await lb.ensureLoadBalancer('kubernetes', service('web', [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1), node('n2', N2)]);
    healthy.set('n2', false);
    let next = changed();
    await clock.advance(1000);
    // The round is real HTTP: it must finish (and schedule the next) before the clock moves on.
    await provider.localLoadBalancer.dataPlane('default/web')?.health.settled();
    await next;
    assert.deepEqual(changes, [{ node: 'n2', healthy: false }]);
    for (let i = 0; i < 4; i++) assert.equal(await askOnce('127.0.77.0', 8080), 'n1');
    healthy.set('n2', true);
    next = changed();
    await clock.advance(1000);
    // The round is real HTTP: it must finish (and schedule the next) before the clock moves on.
    await provider.localLoadBalancer.dataPlane('default/web')?.health.settled();
    await next;
    const answers = new Set<string>();
    for (let i = 0; i < 4; i++) answers.add(await askOnce('127.0.77.0', 8080));
    assert.deepEqual([...answers].sort(), ['n1', 'n2']);
  });

  it('externalTrafficPolicy Local is health checked on the healthCheckNodePort, not kube-proxy\'s port', async () => {
    const tcp = await tcpBackends();
    // kube-proxy's port says every node is healthy; the Service's own port says n2 has no endpoint.
    const serving = new Map([['n1', true], ['n2', false]]);
    const makeHealth = (answer: (node: string) => number, name: string): HttpServer => createHttpServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? answer(name) : 404;
      res.end();
    });
    const proxy1 = makeHealth(() => 200, 'n1');
    const proxy2 = makeHealth(() => 200, 'n2');
    const proxyPort = await listen(proxy1, N1, 0);
    await listen(proxy2, N2, proxyPort);
    const local1 = makeHealth((n) => (serving.get(n) === true ? 200 : 503), 'n1');
    const local2 = makeHealth((n) => (serving.get(n) === true ? 200 : 503), 'n2');
    const localPort = await listen(local1, N1, 0);
    await listen(local2, N2, localPort);
    cleanups.push(() => {
      for (const h of [proxy1, proxy2, local1, local2]) h.close();
    });
    const changes: string[] = [];
    let notify: (() => void) | undefined;
    const { provider, clock } = await startProvider(`healthCheck:\n  intervalMs: 1000\n  unhealthyThreshold: 1\n  healthyThreshold: 1\n  kubeProxyPort: ${proxyPort}\n`, (_svc, n, h) => {
      changes.push(`${n}=${h ? 'up' : 'down'}`);
      notify?.();
    });
    const changed = (): Promise<void> => new Promise((r) => (notify = r));
    const lb = provider.loadBalancer();
    const local = service('web', [{ port: 8080, nodePort: tcp.port }], { externalTrafficPolicy: 'Local', healthCheckNodePort: localPort });
    await lb.ensureLoadBalancer('kubernetes', local, [node('n1', N1), node('n2', N2)]);
    let next = changed();
    await clock.advance(1000);
    // The round is real HTTP: it must finish (and schedule the next) before the clock moves on.
    await provider.localLoadBalancer.dataPlane('default/web')?.health.settled();
    await next;
    assert.deepEqual(changes, ['n2=down']);
    for (let i = 0; i < 4; i++) assert.equal(await askOnce('127.0.77.0', 8080), 'n1');
    // Back to Cluster: kube-proxy's port decides again, and n2 returns.
    next = changed();
    await lb.ensureLoadBalancer('kubernetes', service('web', [{ port: 8080, nodePort: tcp.port }], { externalTrafficPolicy: 'Cluster' }), [node('n1', N1), node('n2', N2)]);
    await clock.advance(1000);
    // The round is real HTTP: it must finish (and schedule the next) before the clock moves on.
    await provider.localLoadBalancer.dataPlane('default/web')?.health.settled();
    await next;
    assert.deepEqual(changes, ['n2=down', 'n2=up']);
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await askOnce('127.0.77.0', 8080));
    assert.deepEqual([...answers].sort(), ['n1', 'n2']);
  });

  it('deleting a Service refuses new connections at once and drains an established one until the grace ends', async () => {
    const tcp = await tcpBackends();
    const { provider, clock } = await startProvider(`${NO_HEALTH}drainTimeoutMs: 5000\n`);
    const lb = provider.loadBalancer();
    const svc = service('web', [{ port: 8080, nodePort: tcp.port }]);
    await lb.ensureLoadBalancer('kubernetes', svc, [node('n1', N1)]);
    const established = await client('127.0.77.0', 8080);
    assert.equal(await established.ask(), 'n1');
    await lb.ensureLoadBalancerDeleted('kubernetes', svc);
    assert.equal(provider.localLoadBalancer.allocator.size, 0, 'the address is free at once');
    await assert.rejects(client('127.0.77.0', 8080), /ECONNREFUSED/);
    await clock.advance(4000);
    assert.equal(await established.ask(), 'n1', 'within the grace the connection still works');
    const closed = new Promise<void>((r) => established.socket.once('close', () => r()));
    await clock.advance(1000);
    await closed;
    // The node side closes in its own event, once the reset has crossed loopback.
    await turnsUntil(() => tcp.sockets.size === 0, 'the node side is closed too');
  });

  it('a requested address (annotation or spec.loadBalancerIP) is honoured; one outside the pools or taken is refused by name', async () => {
    const tcp = await tcpBackends();
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const ports = [{ port: 8080, nodePort: tcp.port }];
    const byAnnotation = service('a', ports, {}, { metadata: { namespace: 'default', name: 'a', annotations: { 'outrigger.io/load-balancer-ips': '127.0.77.40' } } });
    assert.equal((await lb.ensureLoadBalancer('kubernetes', byAnnotation, [node('n1', N1)])).ingress[0]?.ip, '127.0.77.40');
    assert.equal(await askOnce('127.0.77.40', 8080), 'n1');
    const bySpec = service('b', ports, { loadBalancerIP: '127.0.77.41' });
    assert.equal((await lb.ensureLoadBalancer('kubernetes', bySpec, [node('n1', N1)])).ingress[0]?.ip, '127.0.77.41');
    await assert.rejects(lb.ensureLoadBalancer('kubernetes', service('c', ports, { loadBalancerIP: '127.0.90.1' }), [node('n1', N1)]), /requested load-balancer IP 127\.0\.90\.1 is not in any address pool/);
    await assert.rejects(lb.ensureLoadBalancer('kubernetes', service('d', ports, { loadBalancerIP: '127.0.77.40' }), [node('n1', N1)]), /127\.0\.77\.40 \(pool "test"\) is already allocated to Service default\/a/);
    assert.deepEqual(provider.localLoadBalancer.allocator.entries().map(([key]) => key), ['default/a', 'default/b'], 'a refused request allocates nothing');
    assert.deepEqual(provider.localLoadBalancer.listeners().map((l) => l.service).sort(), ['default/a', 'default/b']);
  });

  it('the proxy-protocol annotation sends nodes a PROXY header on TCP; a bad value is refused by name before anything is allocated', async () => {
    const lines: string[] = [];
    let got: (() => void) | undefined;
    const backendServer = createServer((s) => {
      s.setEncoding('utf8');
      let text = '';
      s.on('data', (d: string) => {
        text += d;
        if (!text.includes('?')) return;
        lines.push(text);
        s.end('ok\n');
        got?.();
      });
      s.on('error', () => undefined);
    });
    const port = await listen(backendServer, N1, 0);
    cleanups.push(() => void backendServer.close());
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const annotated = (value: string): Service =>
      service('pp', [{ port: 8080, nodePort: port }], {}, { metadata: { namespace: 'default', name: 'pp', annotations: { 'outrigger.io/proxy-protocol': value } } });
    await assert.rejects(lb.ensureLoadBalancer('kubernetes', annotated('yes'), [node('n1', N1)]), /annotation outrigger\.io\/proxy-protocol: "yes" is not a PROXY protocol version \(v1 or v2\)/);
    assert.equal(provider.localLoadBalancer.allocator.size, 0);
    await lb.ensureLoadBalancer('kubernetes', annotated('v1'), [node('n1', N1)]);
    const c = await client('127.0.77.0', 8080, '127.0.79.7');
    const from = c.socket.localPort;
    const seen = new Promise<void>((r) => (got = r));
    assert.equal(await c.ask(), 'ok');
    await seen;
    assert.deepEqual(lines, [`PROXY TCP4 127.0.79.7 127.0.77.0 ${from} 8080\r\n?\n`]);
  });

  it('serves pool usage, open connections and rotation on the manager\'s metrics registry', async () => {
    const tcp = await tcpBackends();
    const udpPort = await udpBackends();
    const registry = new Registry();
    const config = parseLocalConfig(`pools:\n- name: test\n  ranges: [127.0.77.0-127.0.77.255]\n  avoidBuggyIPs: true\n${NO_HEALTH}`);
    const provider = new LocalCloudProvider({ config, clock: new FakeClock() });
    await provider.initialize({ ...ctx(new AbortController().signal), metrics: registry });
    cleanups.push(() => provider.shutdown());
    const lb = provider.loadBalancer();
    await lb.ensureLoadBalancer('kubernetes', service('web', [{ port: 8080, nodePort: tcp.port }, { port: 8080, nodePort: udpPort, protocol: 'UDP' }]), [node('n1', N1), node('n2', N2)]);
    await lb.ensureLoadBalancer('kubernetes', service('api', [{ port: 9090, nodePort: tcp.port }]), [node('n1', N1)]);
    const open = await client('127.0.77.1', 8080);
    assert.match(await open.ask(), /^n[12]$/);
    const text = await registry.metrics();
    const lines = text.split('\n').filter((l) => l.startsWith('outrigger_local_'));
    assert.deepEqual(lines.sort(), [
      'outrigger_local_load_balancer_backend_healthy{service="default/api",node="n1"} 1',
      'outrigger_local_load_balancer_backend_healthy{service="default/web",node="n1"} 1',
      'outrigger_local_load_balancer_backend_healthy{service="default/web",node="n2"} 1',
      'outrigger_local_load_balancer_connections{service="default/api",address="127.0.77.2",protocol="TCP",port="9090"} 0',
      'outrigger_local_load_balancer_connections{service="default/web",address="127.0.77.1",protocol="TCP",port="8080"} 1',
      'outrigger_local_load_balancer_connections{service="default/web",address="127.0.77.1",protocol="UDP",port="8080"} 0',
      'outrigger_local_pool_addresses{pool="test"} 254',
      'outrigger_local_pool_allocated_addresses{pool="test"} 2',
    ]);
    // A deleted Service leaves the per-listener series; its address returns to the pool.
    await lb.ensureLoadBalancerDeleted('kubernetes', service('api', []));
    const after = await registry.metrics();
    assert.doesNotMatch(after, /service="default\/api"/);
    assert.match(after, /outrigger_local_pool_allocated_addresses\{pool="test"\} 1/);
  });

  it('Services with one allow-shared-ip key share an address, each serving its own ports, and keep it across a restart', async () => {
    const tcp = await tcpBackends();
    const udpPort = await udpBackends();
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-local-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const stateFile = join(dir, 'state.json');
    const shared = (name: string, ports: { port: number; nodePort: number; protocol?: 'TCP' | 'UDP' }[], key = 'front'): Service =>
      service(name, ports, {}, { metadata: { namespace: 'default', name, annotations: { 'outrigger.io/allow-shared-ip': key } } });
    const web = shared('web', [{ port: 8080, nodePort: tcp.port }]);
    const dns = shared('dns', [{ port: 8080, nodePort: udpPort, protocol: 'UDP' }, { port: 9090, nodePort: tcp.port }]);
    const clash = shared('clash', [{ port: 9090, nodePort: tcp.port }]);
    const first = await startProvider(`${NO_HEALTH}stateFile: ${stateFile}\n`);
    const lb = first.provider.loadBalancer();
    const ip = (await lb.ensureLoadBalancer('kubernetes', web, [node('n1', N1)])).ingress[0]?.ip ?? '';
    assert.equal((await lb.ensureLoadBalancer('kubernetes', dns, [node('n1', N1)])).ingress[0]?.ip, ip);
    assert.notEqual((await lb.ensureLoadBalancer('kubernetes', clash, [node('n1', N1)])).ingress[0]?.ip, ip, 'TCP/9090 is taken on the shared address');
    assert.equal(await askOnce(ip, 8080), 'n1');
    assert.equal(await askOnce(ip, 9090), 'n1');
    assert.equal(await (await udpAsk(ip, 8080)).ask(), 'n1');
    await first.provider.shutdown();

    // Restarted: both sharers get the address back from the state file, whatever the order.
    const second = await startProvider(`${NO_HEALTH}stateFile: ${stateFile}\n`, undefined, [web, dns, clash]);
    assert.deepEqual(second.provider.localLoadBalancer.allocator.holdersOf(ip), ['default/dns', 'default/web'], 'restored from the state file before any ensure');
    // A Service without the key ensured first does not get the shared address.
    assert.notEqual((await second.provider.loadBalancer().ensureLoadBalancer('kubernetes', service('plain', [{ port: 7070, nodePort: tcp.port }]), [node('n1', N1)])).ingress[0]?.ip, ip);
    assert.equal((await second.provider.loadBalancer().ensureLoadBalancer('kubernetes', dns, [node('n1', N1)])).ingress[0]?.ip, ip);
    assert.equal((await second.provider.loadBalancer().ensureLoadBalancer('kubernetes', web, [node('n1', N1)])).ingress[0]?.ip, ip);
    assert.equal(await askOnce(ip, 8080), 'n1');
    // Deleting one sharer leaves the other serving on the address.
    await second.provider.loadBalancer().ensureLoadBalancerDeleted('kubernetes', dns);
    assert.equal(await askOnce(ip, 8080), 'n1');
    assert.deepEqual(second.provider.localLoadBalancer.allocator.holdersOf(ip), ['default/web']);
  });

  it('a port bound by another process is an error naming it, and other Services keep working', async () => {
    const tcp = await tcpBackends();
    const squatter = createServer();
    await listen(squatter, '127.0.77.1', 8080);
    cleanups.push(() => void squatter.close());
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    await lb.ensureLoadBalancer('kubernetes', service('a', [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]);
    const b = service('b', [{ port: 8080, nodePort: tcp.port }]);
    const err = await lb.ensureLoadBalancer('kubernetes', b, [node('n1', N1)]).then(() => undefined, (e: unknown) => e);
    // A fresh address that cannot be bound is handed back and the retry tries the next one.
    assert.ok(err instanceof RetryError, String(err));
    assert.match(err.message, /^cannot listen on 127\.0\.77\.1:8080\/TCP: EADDRINUSE; the address is left free and another one is tried next$/);
    assert.deepEqual(provider.localLoadBalancer.allocator.holdersOf('127.0.77.1'), []);
    const retried = await lb.ensureLoadBalancer('kubernetes', b, [node('n1', N1)]);
    assert.equal(retried.ingress[0]?.ip, '127.0.77.2');
    assert.equal(await askOnce('127.0.77.0', 8080), 'n1');
    assert.equal(await askOnce('127.0.77.2', 8080), 'n1');
  });

  it('an address the Service asked for that cannot be bound stays its own and the error says why', async () => {
    const tcp = await tcpBackends();
    const squatter = createServer();
    await listen(squatter, '127.0.77.5', 8080);
    cleanups.push(() => void squatter.close());
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const asked = service('asked', [{ port: 8080, nodePort: tcp.port }], { loadBalancerIP: '127.0.77.5' });
    await assert.rejects(lb.ensureLoadBalancer('kubernetes', asked, [node('n1', N1)]), (e: unknown) => !(e instanceof RetryError) && /cannot listen on 127\.0\.77\.5:8080\/TCP: EADDRINUSE$/.test((e as Error).message));
    assert.deepEqual(provider.localLoadBalancer.allocator.holdersOf('127.0.77.5'), ['default/asked']);
  });

  it('pool exhaustion is a RetryError and recovers when an address frees up', async () => {
    const tcp = await tcpBackends();
    const clock = new FakeClock();
    const provider = new LocalCloudProvider({ clock, config: parseLocalConfig(`pools:\n- name: tiny\n  ranges: [127.0.77.10/32]\n${NO_HEALTH}`) });
    await provider.initialize(ctx(new AbortController().signal));
    cleanups.push(() => provider.shutdown());
    const lb = provider.loadBalancer();
    const a = service('a', [{ port: 8080, nodePort: tcp.port }]);
    await lb.ensureLoadBalancer('kubernetes', a, [node('n1', N1)]);
    const err = await lb.ensureLoadBalancer('kubernetes', service('b', [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof RetryError);
    assert.match(err.message, /address pool "tiny" is exhausted/);
    await lb.ensureLoadBalancerDeleted('kubernetes', a);
    const status = await lb.ensureLoadBalancer('kubernetes', service('b', [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]);
    assert.equal(status.ingress[0]?.ip, '127.0.77.10');
  });

  it('a restart keeps every address, from the state file and from status re-adoption', async () => {
    const tcp = await tcpBackends();
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-local-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const stateFile = join(dir, 'state.json');
    const names = ['a', 'b', 'c', 'd'];
    const first = await startProvider(`${NO_HEALTH}stateFile: ${stateFile}\n`);
    const ips = new Map<string, string>();
    for (const n of names) {
      const s = await first.provider.loadBalancer().ensureLoadBalancer('kubernetes', service(n, [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]);
      ips.set(n, s.ingress[0]?.ip ?? '');
    }
    await first.provider.loadBalancer().ensureLoadBalancerDeleted('kubernetes', service('b', []));
    ips.delete('b');
    await first.provider.shutdown();
    const stored = JSON.parse(await readFile(stateFile, 'utf8')) as { allocations: Record<string, { ip: string }> };
    assert.deepEqual(Object.keys(stored.allocations).sort(), ['default/a', 'default/c', 'default/d']);

    // A new leader with the state file: Services come back in another order, plus a new one.
    const second = await startProvider(`${NO_HEALTH}stateFile: ${stateFile}\n`, undefined, names.filter((n) => n !== 'b').map((n) => service(n, [{ port: 8080, nodePort: tcp.port }])));
    const newcomer = await second.provider.loadBalancer().ensureLoadBalancer('kubernetes', service('e', [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]);
    for (const n of ['d', 'c', 'a']) {
      const s = await second.provider.loadBalancer().ensureLoadBalancer('kubernetes', service(n, [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]);
      assert.equal(s.ingress[0]?.ip, ips.get(n), `Service ${n} keeps its address`);
    }
    assert.ok(![...ips.values()].includes(newcomer.ingress[0]?.ip ?? ''), 'a new Service never gets a kept address');
    assert.equal(await askOnce(ips.get('a') ?? '', 8080), 'n1');
    await second.provider.shutdown();

    // No state file at all: the addresses in the Services' status are re-adopted.
    const third = await startProvider(NO_HEALTH);
    for (const n of ['d', 'c', 'a']) {
      const withStatus = service(n, [{ port: 8080, nodePort: tcp.port }], {}, { status: { loadBalancer: { ingress: [{ ip: ips.get(n) ?? '' }] } } });
      const s = await third.provider.loadBalancer().ensureLoadBalancer('kubernetes', withStatus, [node('n1', N1)]);
      assert.equal(s.ingress[0]?.ip, ips.get(n));
    }
  });

  it('a restart without a state file claims every status address before the first Service is ensured', async () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const admin = server.client();
    // nodePort 0: the API allocates a distinct one per Service, as kube-apiserver does.
    const withStatus = async (name: string, ip: string, spec: Service['spec'] = {}): Promise<void> => {
      await admin.services.create(service(name, [{ port: 8080, nodePort: 0 }], spec));
      await admin.services.patchStatus({ namespace: 'default', name }, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip }] } } } });
      await clock.advance(1000);
    };
    await withStatus('a', '127.0.77.0');
    await withStatus('c', '127.0.77.1');
    // Two Services showing one address (e.g. a status edited by hand): the older keeps it.
    await withStatus('older', '127.0.77.2');
    await withStatus('younger', '127.0.77.2');
    // Another implementation's Service (loadBalancerClass) and a ClusterIP one are not ours to adopt.
    await withStatus('other-class', '127.0.77.3', { loadBalancerClass: 'example.com/other' });
    await withStatus('cluster-ip', '127.0.77.4', { type: 'ClusterIP' });
    // Two sharers of one address (disjoint ports) both keep it.
    for (const [name, port] of [['share-a', 80], ['share-b', 81]] as const) {
      await admin.services.create(service(name, [{ port, nodePort: 0 }], {}, { metadata: { namespace: 'default', name, annotations: { 'outrigger.io/allow-shared-ip': 'k' } } }));
      await admin.services.patchStatus({ namespace: 'default', name }, { type: 'merge', body: { status: { loadBalancer: { ingress: [{ ip: '127.0.77.5' }] } } } });
    }
    await admin.services.create(service('newcomer', [{ port: 8080, nodePort: 0 }]));

    const config = parseLocalConfig(`pools:\n- name: test\n  ranges: [127.0.77.0-127.0.77.255]\n${NO_HEALTH}`);
    const provider = new LocalCloudProvider({ config, clock });
    await provider.initialize({ signal: new AbortController().signal, logger: noopLogger, clientBuilder: { client: (name) => server.client({ userAgent: name }) } });
    cleanups.push(() => provider.shutdown());
    assert.deepEqual(
      provider.localLoadBalancer.allocator.entries().map(([key, a]) => [key, a.ip]),
      [['default/a', '127.0.77.0'], ['default/c', '127.0.77.1'], ['default/older', '127.0.77.2'], ['default/share-a', '127.0.77.5'], ['default/share-b', '127.0.77.5']],
    );
    const lb = provider.loadBalancer();
    // The newest Service is ensured first, as the controller's queue may well order it.
    const newcomer = await lb.ensureLoadBalancer('kubernetes', await admin.services.get({ namespace: 'default', name: 'newcomer' }), [node('n1', N1)]);
    assert.equal(newcomer.ingress[0]?.ip, '127.0.77.3', 'the first address no Service of ours shows');
    const live = await admin.services.list();
    for (const name of ['c', 'a', 'older']) {
      const svc = live.items.find((s) => s.metadata?.name === name);
      assert.ok(svc !== undefined);
      const status = await lb.ensureLoadBalancer('kubernetes', svc, [node('n1', N1)]);
      assert.equal(status.ingress[0]?.ip, svc.status?.loadBalancer?.ingress?.[0]?.ip, `Service ${name} keeps its address`);
    }
    const younger = live.items.find((s) => s.metadata?.name === 'younger');
    assert.ok(younger !== undefined);
    const moved = await lb.ensureLoadBalancer('kubernetes', younger, [node('n1', N1)]);
    assert.notEqual(moved.ingress[0]?.ip, '127.0.77.2', 'an address is never handed out twice');
  });

  it('a failed Service list at initialise is logged and leaves adoption to each ensure', async () => {
    const logs = new MemoryLogSink();
    const logger = createLogger(logs.sink);
    const config = parseLocalConfig(`pools:\n- name: test\n  ranges: [127.0.77.0-127.0.77.255]\n${NO_HEALTH}`);
    const provider = new LocalCloudProvider({ config, clock: new FakeClock(), logger });
    const refusing = (): never => {
      throw new Error('connection refused');
    };
    await provider.initialize({ signal: new AbortController().signal, logger, clientBuilder: { client: refusing } });
    cleanups.push(() => provider.shutdown());
    assert.deepEqual(logs.records.filter((r) => r.level === 'error').map((r) => r.msg), ['Could not list Services to reconcile load-balancer addresses; each is re-adopted when it is ensured']);
    const tcp = await tcpBackends();
    const status = await provider.loadBalancer().ensureLoadBalancer('kubernetes', service('a', [{ port: 8080, nodePort: tcp.port }], {}, { status: { loadBalancer: { ingress: [{ ip: '127.0.77.9' }] } } }), [node('n1', N1)]);
    assert.equal(status.ingress[0]?.ip, '127.0.77.9');
  });

  it('1,000 create/delete cycles leave the listener registry and open handles where they started', async () => {
    const count = (): Record<string, number> => {
      const out: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) if (r === 'TCPServerWrap' || r === 'UDPWrap' || r === 'TCPSocketWrap') out[r] = (out[r] ?? 0) + 1;
      return out;
    };
    // Sockets of earlier tests are reaped once their resets have crossed loopback (real I/O, which
    // settle() on a virtual clock does not see): this file's process opens no others.
    await turnsUntil(() => Object.keys(count()).length === 0, 'the sockets earlier tests closed are reaped');
    const tcp = await tcpBackends();
    const udpPort = await udpBackends();
    const { provider } = await startProvider(NO_HEALTH);
    const lb = provider.loadBalancer();
    const before = count();
    for (let i = 0; i < 1000; i++) {
      const svc = service(`s${i % 7}`, [{ port: 9000, nodePort: tcp.port }, { port: 9000, nodePort: udpPort, protocol: 'UDP' }]);
      await lb.ensureLoadBalancer('kubernetes', svc, [node('n1', N1), node('n2', N2)]);
      if (i % 100 === 0) assert.equal(await askOnce('127.0.77.0', 9000), 'n1', 'every new load balancer serves');
      await lb.ensureLoadBalancerDeleted('kubernetes', svc);
    }
    assert.deepEqual(provider.localLoadBalancer.listeners(), []);
    assert.equal(provider.localLoadBalancer.allocator.size, 0);
    // A leak keeps the count above where it started, and this fails naming it.
    await turnsUntil(() => JSON.stringify(count()) === JSON.stringify(before), `the handles this test opened are closed (before ${JSON.stringify(before)})`);
  });

  it('aborting the initialise signal closes every listener', async () => {
    const tcp = await tcpBackends();
    const clock = new FakeClock();
    const provider = new LocalCloudProvider({ clock, config: parseLocalConfig(`pools:\n- name: t\n  ranges: [127.0.77.0-127.0.77.255]\n${NO_HEALTH}`) });
    const controller = new AbortController();
    await provider.initialize(ctx(controller.signal));
    await provider.loadBalancer().ensureLoadBalancer('kubernetes', service('a', [{ port: 8080, nodePort: tcp.port }]), [node('n1', N1)]);
    assert.equal(provider.localLoadBalancer.listeners().length, 1);
    controller.abort();
    await settle(clock);
    assert.deepEqual(provider.localLoadBalancer.listeners(), []);
    await assert.rejects(client('127.0.77.0', 8080), /ECONNREFUSED/);
    await assert.rejects(provider.loadBalancer().ensureLoadBalancer('kubernetes', service('a', [{ port: 8080, nodePort: tcp.port }]), []), /only by the leading manager/);
  });
});
