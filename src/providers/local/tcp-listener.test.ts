import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { FakeClock } from '../../kube/clock.js';
import { turnsUntil } from '../../testing/turns-until.js';
import type { Backend } from './backend-picker.js';
import { BackendPicker } from './backend-picker.js';
import type { BalancingAlgorithm } from './local-config.js';
import type { ProxyProtocolVersion } from './proxy-protocol.js';
import type { SourceFilter } from './source-ranges.js';
import { TcpListener } from './tcp-listener.js';

// Addresses used only by this file: listeners on 127.0.88.x, nodes 127.0.89.x.
const LB = '127.0.88.1';
const N1 = '127.0.89.1';
const N2 = '127.0.89.2';
const ANYONE: SourceFilter = { ranges: [], allows: () => true };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function listen(server: Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** A backend whose accepted sockets are handed to `onSocket` (paused: the test decides when to read). */
async function backend(host: string, onSocket: (s: Socket) => void, port = 0): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer({ pauseOnConnect: true, allowHalfOpen: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    onSocket(s);
  });
  const bound = await listen(server, host, port);
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return bound;
}

/** Picker that reports every release, so that a test can wait for the listener's bookkeeping. */
class WatchedPicker extends BackendPicker {
  readonly released: string[] = [];
  readonly picked: string[] = [];
  #waiters: (() => void)[] = [];

  override pick(clientIp: string, exclude?: ReadonlySet<string>): Backend | undefined {
    const b = super.pick(clientIp, exclude);
    if (b !== undefined) this.picked.push(b.node);
    return b;
  }

  override release(b: Backend): void {
    super.release(b);
    this.released.push(b.node);
    for (const w of this.#waiters.splice(0)) w();
  }

  async releases(n: number): Promise<void> {
    while (this.released.length < n) await new Promise<void>((r) => this.#waiters.push(r));
  }
}

async function startListener(nodes: { node: string; host: string; port: number }[], algorithm: BalancingAlgorithm = 'round-robin', address = LB, adoptAccepted = true, proxyProtocol?: ProxyProtocolVersion): Promise<{ listener: TcpListener; picker: WatchedPicker; port: number }> {
  const clock = new FakeClock();
  const picker = new WatchedPicker({ clock, algorithm });
  picker.setBackends(nodes);
  // Port 0 is not allowed by the data plane, but TcpListener binds whatever it is given.
  const probe = createServer();
  const port = await listen(probe, address);
  await new Promise<void>((r) => probe.close(() => r()));
  const listener = new TcpListener({ address, port, picker, clock, connectTimeoutMs: 5000, filter: ANYONE, adoptAccepted, proxyProtocol });
  await listener.listen();
  cleanups.push(() => listener.destroyAll());
  return { listener, picker, port };
}

function dial(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port, allowHalfOpen: true });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
    cleanups.push(() => void s.destroy());
  });
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (text += d));
    s.once('end', () => resolve(text));
    s.once('error', reject);
  });
}

function closedWith(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let code = 'clean';
    s.on('error', (e: NodeJS.ErrnoException) => (code = e.code ?? e.message));
    s.once('close', () => resolve(code));
  });
}

/** Reads `s` to its end (resuming it) and resolves with the byte count and SHA-256 of what came. */
function drainHashed(s: Socket): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  return new Promise((resolve, reject) => {
    s.on('data', (d: Buffer) => {
      hash.update(d);
      bytes += d.length;
    });
    s.once('end', () => resolve({ bytes, sha256: hash.digest('hex') }));
    s.once('error', reject);
    s.resume();
  });
}

/** Loopback moves megabytes here: more turns than the shared default before giving up. */
const MANY_TURNS = 2_000_000;

/**
 * More than loopback TCP can hold in socket buffers between the client and the node (both
 * connections, sender and receiver side), so that the proxy itself must stop reading.
 */
function moreThanKernelBuffers(): number {
  const max = (file: string, fallback: number): number => {
    try {
      return Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]) || fallback;
    } catch {
      return fallback;
    }
  };
  const rmem = max('/proc/sys/net/ipv4/tcp_rmem', 6 * 2 ** 20);
  const wmem = max('/proc/sys/net/ipv4/tcp_wmem', 4 * 2 ** 20);
  return Math.min(2 * (rmem + wmem) + 16 * 2 ** 20, 256 * 2 ** 20);
}

// The proxy may hold a write high-water mark (16 KiB) plus one read (64 KiB) per direction.
const BACKLOG_BOUND = 256 * 1024;

// Both read paths of accepted connections: adopted into our buffers, and Node's own sockets.
for (const adopted of [true, false]) {
  describe(`TcpListener (real sockets on loopback), ${adopted ? 'adopted client sockets' : "Node's own client sockets"}`, () => {
    const start = (nodes: { node: string; host: string; port: number }[], algorithm: BalancingAlgorithm = 'round-robin'): ReturnType<typeof startListener> => startListener(nodes, algorithm, LB, adopted);

    it('a half-close is forwarded both ways: the node still answers after the client FIN, then ends', async () => {
      const port = await backend(N1, (s) => {
        let got = '';
        s.setEncoding('utf8');
        s.on('data', (d: string) => (got += d));
        s.once('end', () => {
          s.write(`got ${got}`);
          s.end();
        });
        s.resume();
      });
      const lb = await start([{ node: 'n1', host: N1, port }]);
      const c = await dial(LB, lb.port);
      const answer = readAll(c);
      c.end('hello');
      assert.equal(await answer, 'got hello');
    });

    for (const size of [5, 1024 * 1024]) {
      it(`a node that refuses is replaced by the next: what the client sent at once (${size} bytes) and its FIN arrive there whole`, async () => {
        let received: Promise<{ bytes: number; sha256: string }> | undefined;
        let accepted: (() => void) | undefined;
        // Nothing listens on N1 at this port: the first pick is refused.
        const port = await backend(N2, (s) => {
          received = drainHashed(s);
          void received.then(() => s.end('done'));
          accepted?.();
        });
        const lb = await start([{ node: 'n1', host: N1, port }, { node: 'n2', host: N2, port }]);
        const c = await dial(LB, lb.port);
        const payload = randomBytes(size);
        const answer = readAll(c);
        // Sent with the connect, before the listener has a node connection.
        c.end(payload);
        assert.equal(await answer, 'done');
        assert.deepEqual(lb.picker.picked, ['n1', 'n2'], 'n1 refused, n2 took the connection');
        while (received === undefined) await new Promise<void>((r) => (accepted = r));
        assert.deepEqual(await received, { bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex') });
      });
    }

    it('with the PROXY protocol the node gets the header first, naming the client and the LB address, then every byte', async () => {
      let received: Promise<{ bytes: number; sha256: string }> | undefined;
      let head: Buffer | undefined;
      let accepted: (() => void) | undefined;
      const port = await backend(N1, (s) => {
        // The v2 IPv4 header is 28 bytes; read it off, then hash the rest.
        const onReadable = (): void => {
          const h = s.read(28) as Buffer | null;
          if (h === null) return;
          s.off('readable', onReadable);
          head = h;
          received = drainHashed(s);
          void received.then(() => s.end('done'));
          accepted?.();
        };
        s.on('readable', onReadable);
      });
      const lb = await startListener([{ node: 'n1', host: N1, port }], 'round-robin', LB, adopted, 'v2');
      const c = await dial(LB, lb.port);
      const client = { address: c.localAddress, port: c.localPort };
      const payload = randomBytes(100_000);
      const answer = readAll(c);
      c.end(payload);
      assert.equal(await answer, 'done');
      while (received === undefined) await new Promise<void>((r) => (accepted = r));
      assert.deepEqual(await received, { bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex') });
      assert.ok(head !== undefined);
      assert.equal(head.subarray(0, 16).toString('hex'), '0d0a0d0a000d0a515549540a2111000c');
      assert.equal([...head.subarray(16, 20)].join('.'), client.address);
      assert.equal([...head.subarray(20, 24)].join('.'), LB);
      assert.equal(head.readUInt16BE(24), client.port);
      assert.equal(head.readUInt16BE(26), lb.port);
    });

    it('drain past its grace resets both sides of an open connection (no clean FIN on a cut transfer) and releases the node', async () => {
      let nodeSide: Socket | undefined;
      let arrived: (() => void) | undefined;
      const port = await backend(N1, (s) => {
        nodeSide = s;
        s.resume();
        s.write('partial');
        arrived?.();
      });
      const lb = await start([{ node: 'n1', host: N1, port }]);
      const client = await dial(LB, lb.port);
      await new Promise((r) => client.once('data', r));
      while (nodeSide === undefined) await new Promise<void>((r) => (arrived = r));
      const clientClosed = closedWith(client);
      const nodeClosed = closedWith(nodeSide);
      await lb.listener.drain(0);
      assert.equal(await clientClosed, 'ECONNRESET');
      assert.equal(await nodeClosed, 'ECONNRESET');
      await lb.picker.releases(1);
      assert.equal(lb.listener.connections, 0);
    });

    it('a client reset resets the node side, and a node reset resets the client', async () => {
      const nodeSide: Socket[] = [];
      let arrived: (() => void) | undefined;
      const port = await backend(N1, (s) => {
        nodeSide.push(s);
        s.resume();
        s.write('hi');
        arrived?.();
      });
      const lb = await start([{ node: 'n1', host: N1, port }]);
      // Connected end to end: the node's greeting came through the proxy.
      const spliced = async (): Promise<{ client: Socket; node: Socket }> => {
        const client = await dial(LB, lb.port);
        await new Promise((r) => client.once('data', r));
        while (nodeSide.length === 0) await new Promise<void>((r) => (arrived = r));
        return { client, node: nodeSide.shift() as Socket };
      };

      const first = await spliced();
      const nodeClosed = closedWith(first.node);
      first.client.resetAndDestroy();
      assert.equal(await nodeClosed, 'ECONNRESET');
      await lb.picker.releases(1);

      const second = await spliced();
      const clientClosed = closedWith(second.client);
      second.node.resetAndDestroy();
      assert.equal(await clientClosed, 'ECONNRESET');
      await lb.picker.releases(2);
    });

    for (const direction of ['client → node', 'node → client'] as const) {
      it(`backpressure ${direction}: a receiver that stops reading stops the proxy reading, with bounded buffering, and no byte is lost`, async () => {
        const total = moreThanKernelBuffers();
        // Random bytes: a buffer overwritten with bytes from elsewhere in the stream shows in the hash.
        const sent = createHash('sha256');
        const send = (s: Socket): void => {
          for (let n = 0; n < total; n += 1024 * 1024) {
            const chunk = randomBytes(1024 * 1024);
            sent.update(chunk);
            s.write(chunk);
          }
          s.end();
        };
        let nodeSocket: Socket | undefined;
        const port = await backend(N1, (s) => {
          nodeSocket = s;
          if (direction === 'node → client') {
            s.resume(); // reads nothing: the client sends nothing
            send(s);
          }
        });
        const lb = await start([{ node: 'n1', host: N1, port }]);
        const c = await dial(LB, lb.port);
        if (direction === 'client → node') send(c);
        else c.pause();
        let peak = 0;
        await turnsUntil(() => lb.listener.backlog.pausedDirections === 1, 'the proxy pauses the sending side', {
          maxTurns: MANY_TURNS,
          invariant: () => {
            const { bytes } = lb.listener.backlog;
            peak = Math.max(peak, bytes);
            assert.ok(bytes <= BACKLOG_BOUND, `the proxy holds ${bytes} bytes`);
          },
        });
        // The receiver now reads everything: every byte arrives, in order.
        const receiver = direction === 'client → node' ? (nodeSocket as Socket) : c;
        assert.deepEqual(await drainHashed(receiver), { bytes: total, sha256: sent.digest('hex') });
        assert.ok(peak <= BACKLOG_BOUND);
      });
    }

    it('node → client messages of every size, alone or in bursts, arrive intact (read buffers switch sizes)', async () => {
      const sent = createHash('sha256');
      let total = 0;
      const port = await backend(N1, (s) => {
        s.resume();
        void (async () => {
          // Sizes around the 2 KiB and 32 KiB read buffers, single writes and back-to-back bursts.
          for (let i = 0; i < 400; i++) {
            const size = [1, 2047, 2048, 2049, 32767, 32768, 32769, 100_000][i % 8] as number;
            const piece = randomBytes(size);
            sent.update(piece);
            total += size;
            if (!s.write(piece)) await new Promise((r) => s.once('drain', r));
            if (i % 3 === 0) await new Promise((r) => setImmediate(r));
          }
          s.end();
        })();
      });
      const lb = await start([{ node: 'n1', host: N1, port }]);
      const c = await dial(LB, lb.port);
      assert.deepEqual(await drainHashed(c), { bytes: total, sha256: sent.digest('hex') });
    });

    it('small node → client writes queued behind a full client socket are not overwritten by the next read', async () => {
      const sent = createHash('sha256');
      let total = 0;
      const port = await backend(N1, (s) => {
        s.resume();
        void (async () => {
          // One small write per event-loop turn: the proxy reads each alone into its small buffer,
          // and once the client's socket is full its writes queue while reading goes on.
          for (let i = 0; i < 12_000 && !s.destroyed; i++) {
            const piece = randomBytes(1400);
            sent.update(piece);
            total += piece.length;
            if (!s.write(piece)) await new Promise((r) => s.once('drain', r));
            await new Promise((r) => setImmediate(r));
          }
          s.end();
        })();
      });
      const lb = await start([{ node: 'n1', host: N1, port }]);
      const c = await dial(LB, lb.port);
      c.pause();
      await turnsUntil(() => lb.listener.backlog.pausedDirections === 1, 'the proxy stops reading from the node', { maxTurns: MANY_TURNS });
      assert.deepEqual(await drainHashed(c), { bytes: total, sha256: sent.digest('hex') });
    });

    it('least-connections sends new connections to the node with fewer open ones', async () => {
        const answer = (name: string) => (s: Socket): void => {
        s.on('data', () => s.write(name));
        s.once('end', () => s.end());
        s.resume();
      };
      const port = await backend(N1, answer('n1'));
      await backend(N2, answer('n2'), port);
      const lb = await start([{ node: 'n1', host: N1, port }, { node: 'n2', host: N2, port }], 'least-connections');
      const which = async (c: Socket): Promise<string> => {
        const reply = new Promise<string>((r) => c.once('data', (d: Buffer) => r(d.toString())));
        c.write('?');
        return reply;
      };
      const open: { socket: Socket; node: string }[] = [];
      for (let i = 0; i < 4; i++) {
        const socket = await dial(LB, lb.port);
        open.push({ socket, node: await which(socket) });
      }
      assert.deepEqual(open.map((o) => o.node).sort(), ['n1', 'n1', 'n2', 'n2'], 'ties are shared');
      // Both of n1's connections close; the listener counts them off once their node side closed.
      for (const o of open.filter((x) => x.node === 'n1')) o.socket.destroy();
      await lb.picker.releases(2);
      const next = [];
      for (let i = 0; i < 2; i++) next.push(await which(await dial(LB, lb.port)));
      assert.deepEqual(next, ['n1', 'n1'], 'n1 (0 open) gets both, where round-robin would alternate');
      const third = await which(await dial(LB, lb.port));
      assert.ok(['n1', 'n2'].includes(third), '2 and 2 again: a tie');
    });
  });
}

describe('TcpListener connect timeout', () => {
  it('a node that does not answer within the connect timeout is given up for the next; with none left the client is reset', async () => {
    // A loopback connect completes within microseconds, so "no answer" is made deterministic: the
    // timeout timer of each connect chosen to time out is fired from a microtask queued by the
    // pick, i.e. after the listener set it and before the event loop can complete the connect.
    const fake = new FakeClock();
    const timers: { ms: number; fire: () => void }[] = [];
    const clock = {
      now: () => fake.now(),
      sleep: (ms: number, signal?: AbortSignal) => fake.sleep(ms, signal),
      setTimer(ms: number, fn: () => void) {
        const entry = { ms, fire: fn };
        timers.push(entry);
        const timer = fake.setTimer(ms, fn);
        return { cancel: () => timer.cancel() };
      },
    };
    const silent = new Set<string>();
    class TimingOutPicker extends WatchedPicker {
      override pick(clientIp: string, exclude?: ReadonlySet<string>): Backend | undefined {
        const b = super.pick(clientIp, exclude);
        if (b !== undefined && silent.has(b.node)) queueMicrotask(() => timers.at(-1)?.fire());
        return b;
      }
    }
    const port = await backend(N2, (s) => {
      s.resume();
      s.end('n2');
    });
    await backend(N1, (s) => s.destroy(), port);
    const picker = new TimingOutPicker({ clock: fake, algorithm: 'round-robin' });
    picker.setBackends([{ node: 'n1', host: N1, port }, { node: 'n2', host: N2, port }]);
    const probe = createServer();
    const lbPort = await listen(probe, LB);
    await new Promise<void>((r) => probe.close(() => r()));
    const listener = new TcpListener({ address: LB, port: lbPort, picker, clock, connectTimeoutMs: 5000, filter: ANYONE });
    await listener.listen();
    cleanups.push(() => listener.destroyAll());

    silent.add('n1');
    const first = await dial(LB, lbPort);
    assert.equal(await readAll(first), 'n2', 'the silent node is given up for the next');
    assert.deepEqual(picker.picked, ['n1', 'n2']);
    assert.ok(timers.every((t) => t.ms === 5000), 'each connect is bounded by the configured timeout');

    silent.add('n2');
    // The reset may come before the client has even seen its connect complete.
    const second = connect({ host: LB, port: lbPort });
    cleanups.push(() => void second.destroy());
    assert.equal(await closedWith(second), 'ECONNRESET', 'with every node silent the client is reset');
    assert.deepEqual(picker.picked.slice(2).sort(), ['n1', 'n2']);
    first.end();
    await turnsUntil(() => listener.connections === 0, 'every client connection closed in the listener', { maxTurns: MANY_TURNS });
  });
});
