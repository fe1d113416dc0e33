/**
 * A TCP listener of the local data plane: accepts on the load-balancer address and port, checks
 * the source ranges, and splices each connection to a backend picked per connection.
 *
 * @module
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Clock } from '../../kube/clock.js';
import { adoptAccepted } from './adopt-accepted.js';
import type { Backend, BackendPicker } from './backend-picker.js';
import { Forwarder } from './forwarder.js';
import { proxyProtocolHeader } from './proxy-protocol.js';
import type { ProxyProtocolVersion } from './proxy-protocol.js';
import type { SourceFilter } from './source-ranges.js';

/** Options of {@link TcpListener}. */
export interface TcpListenerOptions {
  readonly address: string;
  readonly port: number;
  readonly picker: BackendPicker;
  readonly clock: Clock;
  readonly connectTimeoutMs: number;
  readonly filter: SourceFilter;
  /**
   * Whether accepted connections move into sockets reading into our buffers (see
   * adopt-accepted.ts); default true. False keeps Node's own accepted sockets — the path taken
   * anyway when a Node release builds them differently — so that tests exercise both.
   */
  readonly adoptAccepted?: boolean;
  /** PROXY protocol header to send each node before the client's bytes; default none. */
  readonly proxyProtocol?: ProxyProtocolVersion | undefined;
}

/** One client connection's state in the listener. */
interface Connection {
  /** Client → node in buffers of ours; undefined when the accepted socket could not be adopted. */
  readonly inbound: Forwarder | undefined;
  /** The connection to the node once it is spliced, and its node → client direction. */
  upstream: Socket | undefined;
  outbound: Forwarder | undefined;
}

// A connection tries at most this many backends in all (one per node) before it is reset.
const MAX_CONNECT_ATTEMPTS = 3;

/** One TCP listener; connections it accepted are tracked until closed. */
export class TcpListener {
  readonly address: string;
  readonly port: number;
  readonly #picker: BackendPicker;
  readonly #clock: Clock;
  readonly #connectTimeoutMs: number;
  readonly #adopt: boolean;
  #filter: SourceFilter;
  #proxyProtocol: ProxyProtocolVersion | undefined;
  readonly #server: Server;
  // Every client connection not yet closed.
  readonly #connections = new Map<Socket, Connection>();
  #idle: (() => void)[] = [];
  #listening = false;

  constructor(options: TcpListenerOptions) {
    this.address = options.address;
    this.port = options.port;
    this.#picker = options.picker;
    this.#clock = options.clock;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    this.#adopt = options.adoptAccepted ?? true;
    this.#filter = options.filter;
    this.#proxyProtocol = options.proxyProtocol;
    // allowHalfOpen: a client's FIN is passed on, not turned into a full close. pauseOnConnect: the
    // accepted socket must not read before it is adopted into one reading into our buffers (which
    // then reads at once, holding what comes until the node connection is up — see Forwarder).
    this.#server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket));
  }

  /** Open client connections: still connecting to their node, or spliced to it. */
  get connections(): number {
    return this.#connections.size;
  }

  /**
   * What established connections hold in this process: bytes queued for writing or read but not
   * yet forwarded, and how many directions stopped reading because their receiver is slow.
   */
  get backlog(): { readonly bytes: number; readonly pausedDirections: number } {
    let bytes = 0;
    let pausedDirections = 0;
    for (const [client, c] of this.#connections) {
      bytes += client.writableLength + client.readableLength + (c.inbound?.heldBytes ?? 0);
      if (c.inbound === undefined ? client.isPaused() && c.upstream !== undefined : c.inbound.paused) pausedDirections++;
      if (c.upstream === undefined) continue;
      bytes += c.upstream.writableLength + c.upstream.readableLength;
      if (c.outbound?.paused === true) pausedDirections++;
    }
    return { bytes, pausedDirections };
  }

  /** Whether the listening socket is open. */
  get listening(): boolean {
    return this.#listening;
  }

  /** Replaces the source ranges for new connections. */
  setFilter(filter: SourceFilter): void {
    this.#filter = filter;
  }

  /** Replaces the PROXY protocol version for new connections (undefined: none). */
  setProxyProtocol(version: ProxyProtocolVersion | undefined): void {
    this.#proxyProtocol = version;
  }

  /** Binds the address and port. @throws Error naming `address:port/TCP` and the system error. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`cannot listen on ${this.address}:${this.port}/TCP: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err }));
      this.#server.once('error', onError);
      this.#server.listen({ host: this.address, port: this.port, exclusive: true }, () => {
        this.#server.off('error', onError);
        resolve();
      });
    });
    this.#listening = true;
  }

  /** Stops accepting; established connections continue. */
  stopAccepting(): void {
    if (!this.#listening) return;
    this.#listening = false;
    this.#server.close();
  }

  /** Stops accepting, waits up to `graceMs` for connections to end, then resets the rest. */
  async drain(graceMs: number): Promise<void> {
    this.stopAccepting();
    if (this.#connections.size > 0 && graceMs > 0) {
      let timer: { cancel(): void } | undefined;
      await new Promise<void>((resolve) => {
        this.#idle.push(resolve);
        timer = this.#clock.setTimer(graceMs, resolve);
      });
      timer?.cancel();
    }
    this.destroyAll();
  }

  /**
   * Stops accepting and resets every connection now, both sides: a client must not take a cut-off
   * transfer for a complete one (a clean FIN would say so), and the node side must not stay open.
   */
  destroyAll(): void {
    this.stopAccepting();
    for (const [client, c] of [...this.#connections]) {
      if (c.upstream !== undefined) abort(c.upstream);
      abort(client);
    }
  }

  #accept(accepted: Socket): void {
    // The peer address costs a syscall: asked for only when source ranges or affinity need it.
    const clientIp = this.#filter.ranges.length > 0 || this.#picker.usesClientIp ? (accepted.remoteAddress ?? '') : '';
    if (this.#filter.ranges.length > 0 && !this.#filter.allows(clientIp)) {
      // Refused with a reset, as a firewall REJECT would; the client sees ECONNRESET at once.
      accepted.resetAndDestroy();
      return;
    }
    // The client's address as the accepted socket knows it, before the socket may be adopted.
    const header =
      this.#proxyProtocol === undefined
        ? undefined
        : proxyProtocolHeader(this.#proxyProtocol, {
            sourceAddress: accepted.remoteAddress ?? '',
            sourcePort: accepted.remotePort ?? 0,
            destinationAddress: this.address,
            destinationPort: this.port,
          });
    const inbound = new Forwarder();
    const adopted = this.#adopt ? adoptAccepted(accepted, inbound, { allowHalfOpen: true }) : undefined;
    if (adopted === undefined) inbound.recycle();
    const client = adopted ?? accepted;
    const connection: Connection = { inbound: adopted === undefined ? undefined : inbound, upstream: undefined, outbound: undefined };
    this.#connections.set(client, connection);
    client.once('close', () => {
      connection.inbound?.recycle();
      this.#connections.delete(client);
      if (this.#connections.size === 0) {
        const waiters = this.#idle;
        this.#idle = [];
        for (const resolve of waiters) resolve();
      }
    });
    client.on('error', () => client.destroy());
    this.#connectBackend(client, connection, clientIp, header, new Set());
  }

  #connectBackend(client: Socket, connection: Connection, clientIp: string, header: Buffer | undefined, failed: Set<string>): void {
    if (client.destroyed) return;
    const backend = failed.size < MAX_CONNECT_ATTEMPTS ? this.#picker.pick(clientIp, failed) : undefined;
    if (backend === undefined) {
      client.resetAndDestroy();
      return;
    }
    const outbound = new Forwarder(client);
    const upstream = connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true, onread: outbound });
    upstream.once('close', () => outbound.recycle());
    const timer = this.#clock.setTimer(this.#connectTimeoutMs, () => upstream.destroy(new Error('connect timeout')));
    const onEarlyError = (): void => {
      timer.cancel();
      client.off('close', onClientGone);
      upstream.destroy();
      failed.add(backend.node);
      this.#connectBackend(client, connection, clientIp, header, failed);
    };
    const onClientGone = (): void => {
      timer.cancel();
      upstream.destroy();
    };
    upstream.once('error', onEarlyError);
    client.once('close', onClientGone);
    upstream.once('connect', () => {
      timer.cancel();
      upstream.off('error', onEarlyError);
      client.off('close', onClientGone);
      connection.upstream = upstream;
      connection.outbound = outbound;
      // The header goes first: before what the client sent while the node connection opened.
      if (header !== undefined) upstream.write(header);
      this.#splice(client, connection, upstream, outbound, backend);
    });
  }

  #splice(client: Socket, connection: Connection, upstream: Socket, outbound: Forwarder, backend: Backend): void {
    this.#picker.acquire(backend);
    upstream.on('error', () => upstream.destroy());
    const inbound = connection.inbound;
    if (inbound === undefined) {
      relay(client, upstream);
      client.resume();
    } else {
      // What the client sent while the node connection opened goes first; a FIN that came with it
      // (the client's 'end' already fired) is passed on after it.
      if (inbound.attach(upstream)) inbound.resume(client);
      upstream.on('drain', () => inbound.resume(client));
      if (client.readableEnded) finish(upstream);
      else client.once('end', () => finish(upstream));
    }
    // node → client runs in its Forwarder (onread); its backpressure is resumed here.
    client.on('drain', () => outbound.resume(upstream));
    upstream.once('end', () => finish(client));
    // An error or reset on one side resets the other; a clean close only ends it (the FIN is
    // already passed on, so this is a no-op unless it has not happened yet).
    client.once('close', (hadError) => (hadError ? abort(upstream) : finish(upstream)));
    upstream.once('close', (hadError) => {
      this.#picker.release(backend);
      if (hadError) abort(client);
      else finish(client);
    });
  }
}

/**
 * The path for a client socket that could not be adopted (see adopt-accepted.ts): Node's own
 * chunks, one allocation per read. Forwards `from`'s bytes to `to` as they arrive, without
 * stream.pipe's bookkeeping: a chunk is
 * handed straight to `to.write` (one syscall when the kernel has room). When `to` is over its
 * high-water mark, `from` stops reading until `to` drains — so at most one high-water mark plus one
 * read stay in user space per direction, and the kernel's socket buffers push back on the sender.
 * `from`'s FIN becomes `to`'s FIN (half-close, both sockets are allowHalfOpen).
 */
function relay(from: Socket, to: Socket): void {
  from.on('data', (chunk: Buffer) => {
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => from.resume());
  from.once('end', () => finish(to));
}

/**
 * Passes a FIN on: ends `socket`'s writing side. When `socket` has itself ended reading (both directions done) and nothing waits to be written, it is closed instead: the
 * kernel sends the FIN with the close, which spares a shutdown call and a turn of the event loop
 * per connection. end() twice would only build an error.
 */
function finish(socket: Socket): void {
  if (socket.destroyed || socket.writableEnded) return;
  if (socket.readableEnded && socket.writableLength === 0) socket.destroy();
  else socket.end();
}

/**
 * Closes a socket now, and so that its peer cannot take a cut-off stream for a complete one: with
 * a TCP reset, unless nothing is left to say (the socket ended with nothing queued: the FIN is
 * the truth) or it is still connecting. resetAndDestroy on those waits for events that may never
 * come (connecting), or fails with EINVAL and leaks the handle when the shutdown is under way.
 */
function abort(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting || (socket.writableEnded && socket.writableLength === 0)) socket.destroy();
  else socket.resetAndDestroy();
}
