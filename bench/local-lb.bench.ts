/**
 * The local provider's data plane against a direct connection (and HAProxy when `haproxy` is on
 * PATH): bulk TCP throughput, request/response latency, new connections per second, UDP round
 * trips per second, and the time from ensureLoadBalancer to the first successful connection.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Service } from 'kubernetes-types/core/v1.js';
import { RealClock } from '../src/kube/clock.js';
import { noopLogger } from '../src/log/logger.js';
import { LocalCloudProvider, parseLocalConfig } from '../src/providers/local/index.js';
import type { Benchmark, Figure } from './harness.js';

const BACKEND = '127.0.76.1';
const LB_POOL = '127.0.75.0/24';

interface Target {
  readonly host: string;
  readonly tcpPort: number;
  readonly udpPort: number | undefined;
}

function listen(server: Server, host: string): Promise<number> {
  return new Promise((resolve) => server.listen(0, host, () => resolve((server.address() as { port: number }).port)));
}

function connected(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, noDelay: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

async function throughput(t: Target, sink: { bytes: number }): Promise<number> {
  const total = 256 * 1024 * 1024;
  const chunk = Buffer.alloc(256 * 1024);
  const s = await connected(t.host, t.tcpPort);
  const done = sink.bytes + total;
  const start = performance.now();
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  }
  await new Promise<void>((r) => s.end(r));
  while (sink.bytes < done) await new Promise((r) => setImmediate(r));
  const seconds = (performance.now() - start) / 1000;
  s.destroy();
  return total / 1024 / 1024 / seconds;
}

async function latency(t: Target): Promise<[number, number]> {
  const s = await connected(t.host, t.tcpPort);
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const start = performance.now();
    await new Promise<void>((r) => {
      s.once('data', () => r());
      s.write('p');
    });
    samples.push((performance.now() - start) * 1000);
  }
  s.destroy();
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(samples.length * 0.5)] ?? 0, samples[Math.floor(samples.length * 0.99)] ?? 0];
}

async function connectionsPerSecond(t: Target): Promise<number> {
  const n = 1500;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const s = await connected(t.host, t.tcpPort);
    await new Promise<void>((r) => {
      s.once('data', () => r());
      s.write('p');
    });
    s.destroy();
  }
  return n / ((performance.now() - start) / 1000);
}

async function udpRoundTrips(t: Target): Promise<number | undefined> {
  if (t.udpPort === undefined) return undefined;
  const port = t.udpPort;
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const n = 5000;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    await new Promise<void>((r) => {
      s.once('message', () => r());
      s.send('p', port, t.host);
    });
  }
  s.close();
  return n / ((performance.now() - start) / 1000);
}

const hasHaproxy = (): boolean => spawnSync('sh', ['-c', 'command -v haproxy'], { stdio: 'ignore' }).status === 0;

/**
 * Installs HAProxy from Debian's packages when it is missing and this bench runs as root on a
 * machine with apt-get (as the issue asks); bounded in time, silent, and skipped otherwise.
 */
function ensureHaproxy(): boolean {
  if (hasHaproxy()) return true;
  if (process.getuid?.() !== 0 || spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status !== 0) return false;
  console.log('  installing haproxy from Debian packages for the comparison (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): boolean => spawnSync('apt-get', ['install', '-y', '-qq', 'haproxy'], { stdio: 'ignore', env, timeout: 180_000 }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 180_000 });
    install();
  }
  return hasHaproxy();
}

async function startHaproxy(backendPort: number, dir: string): Promise<{ target: Target; proc: ChildProcess } | undefined> {
  if (!ensureHaproxy()) return undefined;
  const port = 18_500;
  const cfg = join(dir, 'haproxy.cfg');
  await writeFile(
    cfg,
    `global\n  maxconn 8000\ndefaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nfrontend f\n  bind 127.0.74.1:${port}\n  default_backend b\nbackend b\n  server s1 ${BACKEND}:${backendPort}\n`,
  );
  const proc = spawn('haproxy', ['-f', cfg], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      (await connected('127.0.74.1', port)).destroy();
      return { target: { host: '127.0.74.1', tcpPort: port, udpPort: undefined }, proc };
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  proc.kill();
  return undefined;
}

const localLb: Benchmark = {
  name: 'local provider data plane (direct | local LB | HAProxy)',
  async run(): Promise<readonly Figure[]> {
    const sink = { bytes: 0 };
    const sockets = new Set<Socket>();
    const backend = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      // Small reads are pings (answered); the bulk test just counts.
      s.on('data', (d) => {
        sink.bytes += d.length;
        if (d.length === 1) s.write('p');
      });
    });
    const tcpPort = await listen(backend, BACKEND);
    const udp = createSocket('udp4');
    udp.on('message', (m, r) => udp.send(m, r.port, r.address));
    await new Promise<void>((r) => udp.bind(0, BACKEND, r));
    const udpPort = udp.address().port;

    const provider = new LocalCloudProvider({ clock: new RealClock(), config: parseLocalConfig(`pools:\n- name: bench\n  ranges: [${LB_POOL}]\nhealthCheck: { enabled: false }\n`) });
    const controller = new AbortController();
    await provider.initialize({ signal: controller.signal, logger: noopLogger, clientBuilder: { client: () => { throw new Error('unused'); } } });
    const lb = provider.loadBalancer();
    const nodes: Node[] = [{ metadata: { name: 'n1' }, status: { addresses: [{ type: 'InternalIP', address: BACKEND }] } }];
    const svc: Service = {
      metadata: { namespace: 'bench', name: 'svc', uid: 'u' },
      spec: { type: 'LoadBalancer', ports: [{ port: 18_400, nodePort: tcpPort, protocol: 'TCP' }, { port: 18_400, nodePort: udpPort, protocol: 'UDP' }] },
    };
    const t0 = performance.now();
    const status = await lb.ensureLoadBalancer('kubernetes', svc, nodes);
    const lbIp = status.ingress[0]?.ip ?? '';
    const first = await connected(lbIp, 18_400);
    await new Promise<void>((r) => {
      first.once('data', () => r());
      first.write('p');
    });
    const timeToFirst = performance.now() - t0;
    first.destroy();

    const dir = await mkdtemp(join(tmpdir(), 'outrigger-bench-'));
    const haproxy = await startHaproxy(tcpPort, dir);
    const targets: [string, Target | undefined][] = [
      ['direct', { host: BACKEND, tcpPort, udpPort }],
      ['local LB', { host: lbIp, tcpPort: 18_400, udpPort: 18_400 }],
      ['HAProxy', haproxy?.target],
    ];
    if (haproxy === undefined) console.log('  HAProxy: not available (haproxy is not on PATH and could not be installed)');
    const figures: Figure[] = [];
    for (const [label, t] of targets) {
      if (t === undefined) continue;
      figures.push({ label: `bulk TCP throughput, ${label}`, value: await throughput(t, sink), unit: 'MiB/s' });
      const [p50, p99] = await latency(t);
      figures.push({ label: `request/response p50, ${label}`, value: p50, unit: 'µs' });
      figures.push({ label: `request/response p99, ${label}`, value: p99, unit: 'µs' });
      figures.push({ label: `new connections, ${label}`, value: await connectionsPerSecond(t), unit: '/s' });
      const udpRate = await udpRoundTrips(t);
      if (udpRate !== undefined) figures.push({ label: `UDP round trips, ${label}`, value: udpRate, unit: '/s' });
    }
    figures.push({ label: 'ensureLoadBalancer → first connection', value: timeToFirst, unit: 'ms' });

    haproxy?.proc.kill();
    controller.abort();
    await provider.shutdown();
    for (const s of sockets) s.destroy();
    backend.close();
    udp.close();
    await rm(dir, { recursive: true, force: true });
    return figures;
  },
};

/** Benchmarks of the local provider's data plane. */
export const benchmarks: readonly Benchmark[] = [localLb];
