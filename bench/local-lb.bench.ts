/**
 * The local provider's data plane against a direct connection and against HAProxy: bulk TCP
 * throughput both ways (upload client → backend, download backend → client), request/response
 * latency (one byte each way, one connection), new connections per second, UDP round trips per second,
 * and the time from ensureLoadBalancer to the first successful connection.
 *
 * Method (so that every proxy is measured the same way):
 * - This process is the load generator: the client and the backend (a TCP and a UDP server on
 *   127.0.86.1) share its one thread. It is the same for every target, so it caps all of them
 *   alike (the "direct" row shows that cap).
 * - Our load balancer runs in its own process, as it does inside the CCM: `bench/local-lb-process.ts`
 *   is forked (`node --import tsx`), builds a LocalCloudProvider on the real clock, ensures one
 *   Service (TCP and UDP on one port) and reports its address over IPC. Node runs the data plane
 *   on one thread.
 * - The nftables data plane (`dataPlane: nftables`) in the same kind of process: it programs kernel
 *   DNAT (its own table `inet outrigger_bench`, matching only the bench's loopback pool, deleted when
 *   the process stops or exits) and the kernel moves the bytes; the process only idles. Needs root
 *   and nft; otherwise the provider falls back to user space and the bench prints why and leaves
 *   the row out.
 * - HAProxy (installed with apt-get when missing and running as root; otherwise "not available")
 *   runs in its own process twice: with `nbthread 1` — the like-for-like comparison, one thread
 *   each — and with its default thread count (one per CPU). Stock `mode tcp` config, no tuning.
 * - A warm-up per target (32 MiB, 3,000 connections: the LB process runs for days, so JIT steady state is what counts) is not counted. Every target is then
 *   measured once per round and the rounds are interleaved (direct, local LB,
 *   HAProxy ×2, direct, …), so that noise from other work on the machine hits all of them alike.
 *   Each figure is the median over the rounds with the (min–max) range; the "vs HAProxy" ratios
 *   are computed per round, then the median taken (≥ 1 means at least as good as HAProxy:
 *   throughput and connections ours ÷ theirs, latency theirs ÷ ours).
 * - Rounds: `BENCH_ROUNDS` (default 3, at most 20). `BENCH_LB_NODE_OPTIONS` adds node flags to the
 *   load balancer process (e.g. `--cpu-prof` to profile it). Every loop is bounded; only loopback
 *   addresses (127.0.0.0/8) are used. Figures are printed, never asserted.
 */
import { fork, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, Figure } from './harness.js';
import type { LbReady, LbRequest } from './local-lb-process.js';

// Addresses of this bench only.
const BACKEND = '127.0.86.1';
const LB_POOL = '127.0.85.0/24';
const NFT_POOL = '127.0.87.0/24';
const HAPROXY_HOST = '127.0.84.1';
const SERVICE_PORT = 18_400;

const ROUNDS = Math.min(20, Math.max(1, Number.parseInt(process.env['BENCH_ROUNDS'] ?? '3', 10) || 3));

interface Target {
  readonly label: string;
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

function ping(s: Socket): Promise<void> {
  return new Promise<void>((r) => {
    s.once('data', () => r());
    s.write('p');
  });
}

const BULK_BYTES = 256 * 1024 * 1024;
const BULK_CHUNK = Buffer.alloc(256 * 1024);
const DOWNLOAD = 0x64; // 'd': the backend answers this one byte with BULK_BYTES

/** Client → backend (upload). */
async function throughput(t: Target, sink: { bytes: number }, total = BULK_BYTES): Promise<number> {
  const chunk = BULK_CHUNK;
  const s = await connected(t.host, t.tcpPort);
  const done = sink.bytes + total;
  const start = performance.now();
  for (let sent = 0; sent < total; sent += chunk.length) {
    if (!s.write(chunk)) await new Promise((r) => s.once('drain', r));
  }
  await new Promise<void>((r) => s.end(r));
  // Bounded: the bytes are in flight through at most three socket pairs and a proxy.
  for (let turns = 0; sink.bytes < done && turns < 10_000_000; turns++) await new Promise((r) => setImmediate(r));
  const seconds = (performance.now() - start) / 1000;
  s.destroy();
  return total / 1024 / 1024 / seconds;
}

/** Backend → client (download): the client asks, then counts BULK_BYTES arriving. */
async function downloadThroughput(t: Target): Promise<number> {
  const s = await connected(t.host, t.tcpPort);
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    let got = 0;
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= BULK_BYTES) resolve();
    });
    s.once('close', () => reject(new Error(`download through ${t.label} closed after ${got} bytes`)));
    s.write(Buffer.from([DOWNLOAD]));
  });
  const seconds = (performance.now() - start) / 1000;
  s.destroy();
  return BULK_BYTES / 1024 / 1024 / seconds;
}

async function latency(t: Target): Promise<[number, number]> {
  const s = await connected(t.host, t.tcpPort);
  for (let i = 0; i < 200; i++) await ping(s); // warm-up
  const samples: number[] = [];
  for (let i = 0; i < 3000; i++) {
    const start = performance.now();
    await ping(s);
    samples.push((performance.now() - start) * 1000);
  }
  s.destroy();
  samples.sort((a, b) => a - b);
  return [samples[Math.floor(samples.length * 0.5)] ?? 0, samples[Math.floor(samples.length * 0.99)] ?? 0];
}

async function connectionsPerSecond(t: Target, n = 1500): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const s = await connected(t.host, t.tcpPort);
    await ping(s);
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

async function waitForListener(host: string, port: number, isDead: () => boolean): Promise<boolean> {
  for (let i = 0; i < 150 && !isDead(); i++) {
    try {
      (await connected(host, port)).destroy();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return false;
}

/** One HAProxy process in front of the backend; `threads` undefined = HAProxy's default. */
async function startHaproxy(backendPort: number, dir: string, port: number, threads: number | undefined): Promise<{ target: Target; proc: ChildProcess } | undefined> {
  const cfg = join(dir, `haproxy-${port}.cfg`);
  const global = `global\n  maxconn 8000\n${threads === undefined ? '' : `  nbthread ${threads}\n`}`;
  await writeFile(
    cfg,
    `${global}defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\nfrontend f\n  bind ${HAPROXY_HOST}:${port}\n  default_backend b\nbackend b\n  server s1 ${BACKEND}:${backendPort}\n`,
  );
  const proc = spawn('haproxy', ['-f', cfg], { stdio: 'ignore' });
  let dead = false;
  proc.once('exit', () => (dead = true));
  proc.once('error', () => (dead = true));
  const label = threads === undefined ? `HAProxy default (${availableParallelism()} thr)` : `HAProxy nbthread ${threads}`;
  if (await waitForListener(HAPROXY_HOST, port, () => dead)) return { target: { label, host: HAPROXY_HOST, tcpPort: port, udpPort: undefined }, proc };
  await stopProcess(proc);
  return undefined;
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  if (proc.connected) proc.send('stop');
  else proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** Forks the load balancer process and has it ensure the Service. */
async function startLocalLb(
  tcpNodePort: number,
  udpNodePort: number,
  dataPlane: 'userspace' | 'nftables' = 'userspace',
): Promise<{ proc: ChildProcess; target: Target; ensureMs: number; firstMs: number; ipMode: string; fallbackReason: string | undefined }> {
  const extra = (process.env['BENCH_LB_NODE_OPTIONS'] ?? '').split(' ').filter((a) => a !== '');
  const proc = fork(new URL('./local-lb-process.ts', import.meta.url), [dataPlane === 'nftables' ? NFT_POOL : LB_POOL, dataPlane], { execArgv: ['--import', 'tsx', ...extra], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const request: LbRequest = { backendHost: BACKEND, tcpNodePort, udpNodePort, servicePort: SERVICE_PORT };
  const messages: LbReady[] = [];
  let wake: (() => void) | undefined;
  let exited = false;
  proc.on('message', (m: LbReady) => {
    messages.push(m);
    wake?.();
  });
  proc.once('exit', () => {
    exited = true;
    wake?.();
  });
  const next = async (): Promise<LbReady> => {
    while (messages.length === 0) {
      if (exited) throw new Error('load balancer process exited before it was ready');
      await new Promise<void>((r) => (wake = r));
    }
    return messages.shift() as LbReady;
  };
  // The process is up (tsx loaded, the provider initialised) before the clock starts: what is timed is
  // ensureLoadBalancer, its IPC answer and the first ping through the new listener.
  if ((await next()) !== 'up') throw new Error('load balancer process: unexpected first message');
  const t0 = performance.now();
  proc.send(request);
  const answer = await next();
  if (answer === 'up' || !answer.ok) {
    await stopProcess(proc);
    throw new Error(`load balancer process: ${answer === 'up' ? 'said up twice' : answer.error}`);
  }
  const first = await connected(answer.ip, SERVICE_PORT);
  await ping(first);
  const firstMs = performance.now() - t0;
  first.destroy();
  const label = dataPlane === 'nftables' ? 'nftables' : 'local LB';
  return { proc, target: { label, host: answer.ip, tcpPort: SERVICE_PORT, udpPort: SERVICE_PORT }, ensureMs: answer.ensureMs, firstMs, ipMode: answer.ipMode, fallbackReason: answer.fallbackReason };
}

interface Measured {
  readonly throughput: number[];
  readonly download: number[];
  readonly p50: number[];
  readonly p99: number[];
  readonly connections: number[];
  readonly udp: number[];
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

function figure(label: string, values: readonly number[], unit: string): Figure {
  return values.length > 1 ? { label, value: median(values), unit, range: [Math.min(...values), Math.max(...values)] } : { label, value: values[0] ?? 0, unit };
}

const localLb: Benchmark = {
  name: `local provider data plane (direct | local LB process | nftables | HAProxy process), ${ROUNDS} rounds, median (min–max)`,
  async run(): Promise<readonly Figure[]> {
    const sink = { bytes: 0 };
    const sockets = new Set<Socket>();
    const backend = createServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
      // One-byte reads are pings (answered) or a download request; the upload test just counts.
      s.on('data', (d) => {
        sink.bytes += d.length;
        if (d.length !== 1) return;
        if (d[0] !== DOWNLOAD) {
          s.write('p');
          return;
        }
        void (async () => {
          for (let sent = 0; sent < BULK_BYTES && !s.destroyed; sent += BULK_CHUNK.length) {
            if (!s.write(BULK_CHUNK)) await new Promise((r) => s.once('drain', r));
          }
        })();
      });
    });
    const tcpPort = await listen(backend, BACKEND);
    const udp = createSocket('udp4');
    udp.on('message', (m, r) => udp.send(m, r.port, r.address));
    await new Promise<void>((r) => udp.bind(0, BACKEND, r));
    const udpPort = udp.address().port;

    const lb = await startLocalLb(tcpPort, udpPort);
    let nft: Awaited<ReturnType<typeof startLocalLb>> | undefined = await startLocalLb(tcpPort, udpPort, 'nftables');
    if (nft.ipMode !== 'VIP') {
      console.log(`  nftables: not available (${nft.fallbackReason ?? `the provider answered ipMode ${nft.ipMode}`})`);
      await stopProcess(nft.proc);
      nft = undefined;
    }
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-bench-'));
    const haproxies: { target: Target; proc: ChildProcess }[] = [];
    if (ensureHaproxy()) {
      for (const [port, threads] of [[18_501, 1], [18_502, undefined]] as const) {
        const h = await startHaproxy(tcpPort, dir, port, threads);
        if (h !== undefined) haproxies.push(h);
      }
    }
    if (haproxies.length === 0) console.log('  HAProxy: not available (haproxy is not on PATH and could not be installed, or did not start)');
    const targets: Target[] = [{ label: 'direct', host: BACKEND, tcpPort, udpPort }, lb.target, ...(nft === undefined ? [] : [nft.target]), ...haproxies.map((h) => h.target)];
    const results = new Map<string, Measured>(targets.map((t) => [t.label, { throughput: [], download: [], p50: [], p99: [], connections: [], udp: [] }]));
    try {
      // Warm-up (JIT, socket buffers, HAProxy's pools), not counted.
      for (const t of targets) {
        await throughput(t, sink, 32 * 1024 * 1024);
        await connectionsPerSecond(t, 3000);
      }
      for (let round = 0; round < ROUNDS; round++) {
        for (const t of targets) {
          const m = results.get(t.label) as Measured;
          m.throughput.push(await throughput(t, sink));
          m.download.push(await downloadThroughput(t));
          const [p50, p99] = await latency(t);
          m.p50.push(p50);
          m.p99.push(p99);
          m.connections.push(await connectionsPerSecond(t));
          const udpRate = await udpRoundTrips(t);
          if (udpRate !== undefined) m.udp.push(udpRate);
        }
      }
    } finally {
      await stopProcess(lb.proc);
      if (nft !== undefined) await stopProcess(nft.proc);
      for (const h of haproxies) await stopProcess(h.proc);
      for (const s of sockets) s.destroy();
      backend.close();
      udp.close();
      await rm(dir, { recursive: true, force: true });
    }

    const figures: Figure[] = [];
    for (const t of targets) {
      const m = results.get(t.label) as Measured;
      figures.push(figure(`bulk TCP upload, ${t.label}`, m.throughput, 'MiB/s'));
      figures.push(figure(`bulk TCP download, ${t.label}`, m.download, 'MiB/s'));
      figures.push(figure(`request/response p50, ${t.label}`, m.p50, 'µs'));
      figures.push(figure(`request/response p99, ${t.label}`, m.p99, 'µs'));
      figures.push(figure(`new connections, ${t.label}`, m.connections, '/s'));
      if (m.udp.length > 0) figures.push(figure(`UDP round trips, ${t.label}`, m.udp, '/s'));
    }
    // Per-round ratios (≥ 1 = at least as good as the other): ours ÷ theirs for rates, theirs ÷ ours for latency.
    const at = (xs: readonly number[], i: number): number => xs[i] ?? Number.NaN;
    const ratios = (ourLabel: string, otherLabel: string): void => {
      const ours = results.get(ourLabel) as Measured;
      const theirs = results.get(otherLabel) as Measured;
      const perRound = (f: (i: number) => number): number[] => ours.throughput.map((_, i) => f(i));
      figures.push(figure(`${ourLabel} vs ${otherLabel}: upload`, perRound((i) => at(ours.throughput, i) / at(theirs.throughput, i)), '×'));
      figures.push(figure(`${ourLabel} vs ${otherLabel}: download`, perRound((i) => at(ours.download, i) / at(theirs.download, i)), '×'));
      figures.push(figure(`${ourLabel} vs ${otherLabel}: p50`, perRound((i) => at(theirs.p50, i) / at(ours.p50, i)), '×'));
      figures.push(figure(`${ourLabel} vs ${otherLabel}: p99`, perRound((i) => at(theirs.p99, i) / at(ours.p99, i)), '×'));
      figures.push(figure(`${ourLabel} vs ${otherLabel}: new conns`, perRound((i) => at(ours.connections, i) / at(theirs.connections, i)), '×'));
      if (ours.udp.length > 0 && theirs.udp.length > 0) figures.push(figure(`${ourLabel} vs ${otherLabel}: UDP`, perRound((i) => at(ours.udp, i) / at(theirs.udp, i)), '×'));
    };
    for (const h of haproxies) ratios(lb.target.label, h.target.label);
    if (nft !== undefined) {
      for (const h of haproxies) ratios(nft.target.label, h.target.label);
      ratios(nft.target.label, 'direct');
    }
    figures.push({ label: 'ensureLoadBalancer (in the LB process)', value: lb.ensureMs, unit: 'ms' });
    figures.push({ label: 'ensureLoadBalancer → first connection', value: lb.firstMs, unit: 'ms' });
    if (nft !== undefined) {
      figures.push({ label: 'ensureLoadBalancer, nftables (in the LB process)', value: nft.ensureMs, unit: 'ms' });
      figures.push({ label: 'ensureLoadBalancer → first connection, nftables', value: nft.firstMs, unit: 'ms' });
    }
    return figures;
  },
};

/** Benchmarks of the local provider's data plane. */
export const benchmarks: readonly Benchmark[] = [localLb];
