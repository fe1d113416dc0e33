// A lab host's programs, driven over the IPC channel by the test (it runs inside a network
// namespace, where the test process cannot reach): a node's NodePorts (TCP and UDP answering with
// the node's name) and kube-proxy healthz, and a client's probes, including a reconnect loop that
// measures outages. Every wait is bounded. Plain JavaScript: starts in ~50 ms, no tsx.
//
// Requests: { id, op, ...args }; replies: { id, ok, value | error }.
import { createServer, connect } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { setTimeout, clearTimeout } from 'node:timers';

const servers = [];
let loop;

function listenTcp(host, port, name) {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => {
      s.on('error', () => undefined);
      // Answers every request with the node's name and the client address it saw.
      s.on('data', () => s.write(`${name} ${s.remoteAddress}\n`));
    });
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

function listenUdp(host, port, name) {
  return new Promise((resolve, reject) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    sock.on('message', (_msg, rinfo) => sock.send(`${name} ${rinfo.address}\n`, rinfo.port, rinfo.address));
    sock.once('error', reject);
    sock.bind(port, host, () => resolve(sock));
  });
}

function listenHealth(host, port) {
  return new Promise((resolve, reject) => {
    const server = createHttpServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : 404;
      res.end('{}');
    });
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

/** One TCP request: connect, send a line, read the first line back. */
function tcpRequest(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const started = performance.now();
    const s = connect({ host, port });
    let buf = '';
    const done = (result) => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ...result, ms: performance.now() - started });
    };
    const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), timeoutMs);
    s.on('connect', () => s.write('hi\n'));
    s.on('data', (d) => {
      buf += d;
      if (buf.includes('\n')) done({ ok: true, reply: buf.trim() });
    });
    s.on('error', (err) => done({ ok: false, error: err.code ?? err.message }));
    s.on('end', () => done({ ok: false, error: 'closed' }));
  });
}

function udpRequest(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const done = (result) => {
      clearTimeout(timer);
      sock.close();
      resolve(result);
    };
    const timer = setTimeout(() => done({ ok: false, error: 'timeout' }), timeoutMs);
    sock.on('message', (msg) => done({ ok: true, reply: msg.toString().trim() }));
    sock.on('error', (err) => done({ ok: false, error: err.code ?? err.message }));
    sock.send('hi\n', port, host);
  });
}

/**
 * Reconnects in a loop (each attempt: connect, one request, close; bounded by attemptTimeoutMs),
 * recording every window in which no attempt succeeded.
 */
function startLoop(host, port, attemptTimeoutMs, pauseMs) {
  const state = { running: true, attempts: 0, failures: 0, lastOk: undefined, maxGapMs: 0, gaps: [], replies: new Set(), lastError: undefined };
  const run = async () => {
    while (state.running) {
      const r = await tcpRequest(host, port, attemptTimeoutMs);
      state.attempts++;
      const now = performance.now();
      if (r.ok) {
        if (state.lastOk !== undefined && state.failuresSinceOk > 0) {
          const gap = now - state.lastOk;
          state.gaps.push(Math.round(gap));
          state.maxGapMs = Math.max(state.maxGapMs, gap);
        }
        state.lastOk = now;
        state.failuresSinceOk = 0;
        state.replies.add(r.reply.split(' ')[0]);
      } else {
        state.failures++;
        state.failuresSinceOk = (state.failuresSinceOk ?? 0) + 1;
        state.lastError = r.error;
      }
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  };
  state.done = run();
  return state;
}

const handlers = {
  async serve({ host, tcpPort, udpPort, healthPort, name }) {
    if (tcpPort !== undefined) servers.push(await listenTcp(host, tcpPort, name));
    if (udpPort !== undefined) servers.push(await listenUdp(host, udpPort, name));
    if (healthPort !== undefined) servers.push(await listenHealth(host, healthPort));
    return true;
  },
  tcp: ({ host, port, timeoutMs }) => tcpRequest(host, port, timeoutMs ?? 3000),
  udp: ({ host, port, timeoutMs }) => udpRequest(host, port, timeoutMs ?? 3000),
  loopStart({ host, port, attemptTimeoutMs, pauseMs }) {
    loop = startLoop(host, port, attemptTimeoutMs ?? 200, pauseMs ?? 10);
    return true;
  },
  loopStatus() {
    if (loop === undefined) return undefined;
    return { attempts: loop.attempts, failures: loop.failures, maxGapMs: Math.round(loop.maxGapMs), gaps: loop.gaps, replies: [...loop.replies], lastError: loop.lastError, okSinceMs: loop.lastOk === undefined ? undefined : Math.round(performance.now() - loop.lastOk), failuresSinceOk: loop.failuresSinceOk ?? 0 };
  },
  async loopStop() {
    if (loop === undefined) return undefined;
    loop.running = false;
    await loop.done;
    const status = handlers.loopStatus();
    loop = undefined;
    return status;
  },
};

process.on('message', async (msg) => {
  try {
    const value = await handlers[msg.op](msg);
    process.send({ id: msg.id, ok: true, value });
  } catch (err) {
    process.send({ id: msg.id, ok: false, error: String(err?.message ?? err) });
  }
});
// The test went away (its IPC channel closed): so do we.
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
