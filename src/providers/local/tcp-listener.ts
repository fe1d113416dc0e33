/**
 * A TCP listener of the local data plane: accepts on the load-balancer address and port, checks
 * the source ranges, and splices each connection to a backend picked per connection.
 *
 * @module
 */
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Clock } from '../../kube/clock.js';
import type { Backend, BackendPicker } from './backend-picker.js';
import type { SourceFilter } from './source-ranges.js';

/** Options of {@link TcpListener}. */
export interface TcpListenerOptions {
  readonly address: string;
  readonly port: number;
  readonly picker: BackendPicker;
  readonly clock: Clock;
  readonly connectTimeoutMs: number;
  readonly filter: SourceFilter;
}

interface Spliced {
  readonly upstream: Socket;
  readonly reader: UpstreamReader;
}

// A connection that cannot reach its backend tries at most this many others before giving up.
const MAX_CONNECT_ATTEMPTS = 3;

/** One TCP listener; connections it accepted are tracked until closed. */
export class TcpListener {
  readonly address: string;
  readonly port: number;
  readonly #picker: BackendPicker;
  readonly #clock: Clock;
  readonly #connectTimeoutMs: number;
  #filter: SourceFilter;
  readonly #server: Server;
  // Client connection → its connection to a node, once spliced.
  readonly #connections = new Map<Socket, Spliced | undefined>();
  #idle: (() => void)[] = [];
  #listening = false;

  constructor(options: TcpListenerOptions) {
    this.address = options.address;
    this.port = options.port;
    this.#picker = options.picker;
    this.#clock = options.clock;
    this.#connectTimeoutMs = options.connectTimeoutMs;
    this.#filter = options.filter;
    // pauseOnConnect: no client byte is read before a backend accepted, so a failed backend can be
    // replaced by another without losing data. allowHalfOpen: a client's FIN is passed on, not
    // turned into a full close.
    this.#server = createServer({ pauseOnConnect: true, allowHalfOpen: true, noDelay: true }, (socket) => this.#accept(socket));
  }

  /** Established client connections. */
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
    for (const [client, spliced] of this.#connections) {
      bytes += client.writableLength + client.readableLength;
      if (spliced === undefined) continue;
      bytes += spliced.upstream.writableLength + spliced.upstream.readableLength;
      if (client.isPaused()) pausedDirections++;
      if (spliced.reader.paused) pausedDirections++;
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

  /** Stops accepting and closes every connection now. */
  destroyAll(): void {
    this.stopAccepting();
    for (const socket of this.#connections.keys()) socket.destroy();
  }

  #accept(client: Socket): void {
    // The peer address costs a syscall: asked for only when source ranges or affinity need it.
    const clientIp = this.#filter.ranges.length > 0 || this.#picker.usesClientIp ? (client.remoteAddress ?? '') : '';
    if (this.#filter.ranges.length > 0 && !this.#filter.allows(clientIp)) {
      // Refused with a reset, as a firewall REJECT would; the client sees ECONNRESET at once.
      client.resetAndDestroy();
      return;
    }
    this.#connections.set(client, undefined);
    client.once('close', () => {
      this.#connections.delete(client);
      if (this.#connections.size === 0) {
        const waiters = this.#idle;
        this.#idle = [];
        for (const resolve of waiters) resolve();
      }
    });
    client.on('error', () => client.destroy());
    this.#connectBackend(client, clientIp, new Set());
  }

  #connectBackend(client: Socket, clientIp: string, failed: Set<string>): void {
    if (client.destroyed) return;
    const backend = failed.size < MAX_CONNECT_ATTEMPTS ? this.#picker.pick(clientIp, failed) : undefined;
    if (backend === undefined) {
      client.resetAndDestroy();
      return;
    }
    const reader = new UpstreamReader(client);
    const upstream = connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true, onread: reader });
    upstream.once('close', () => reader.recycle());
    const timer = this.#clock.setTimer(this.#connectTimeoutMs, () => upstream.destroy(new Error('connect timeout')));
    const onEarlyError = (): void => {
      timer.cancel();
      upstream.destroy();
      failed.add(backend.node);
      this.#connectBackend(client, clientIp, failed);
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
      this.#connections.set(client, { upstream, reader });
      this.#splice(client, upstream, reader, backend);
    });
  }

  #splice(client: Socket, upstream: Socket, reader: UpstreamReader, backend: Backend): void {
    this.#picker.acquire(backend);
    upstream.on('error', () => upstream.destroy());
    relay(client, upstream);
    // upstream → client runs in UpstreamReader (onread); its backpressure is resumed here.
    client.on('drain', () => {
      reader.paused = false;
      upstream.resume();
    });
    upstream.once('end', () => finish(client));
    // An error or reset on one side resets the other; a clean close only ends it (the relay
    // already forwarded the FIN, so this is a no-op unless it has not happened yet).
    client.once('close', (hadError) => (hadError ? reset(upstream) : finish(upstream)));
    upstream.once('close', (hadError) => {
      this.#picker.release(backend);
      if (hadError) reset(client);
      else finish(client);
    });
    client.resume();
  }
}

// Node reads a connection it created (the one to the node) into a buffer of ours (`onread`) rather
// than a new 64 KiB allocation per read, whose garbage otherwise costs more CPU than the copying
// (external-memory GCs, page faults). Connections Node accepted have no such option.
const BIG_READ_BYTES = 32 * 1024;
// What a connection holds while the node sends little at a time (requests and responses, idle).
const SMALL_READ_BYTES = 2 * 1024;
// Buffers installed in no connection, by size, kept for the next connection that needs one.
const SPARE_BUFFERS = 64;
const spareBig: Buffer[] = [];
const spareSmall: Buffer[] = [];

function take(bytes: number): Buffer {
  return (bytes === BIG_READ_BYTES ? spareBig : spareSmall).pop() ?? Buffer.allocUnsafeSlow(bytes);
}

function spare(buffer: Buffer): void {
  const list = buffer.length === BIG_READ_BYTES ? spareBig : spareSmall;
  if (list.length < SPARE_BUFFERS) list.push(buffer);
}

/**
 * Forwards what the node sends to the client: each read lands in this connection's buffer and is
 * written to the client at once. When the kernel takes it all (the client keeps up) the buffer is
 * reused for the next read; when part of it stays queued in the client socket, that buffer belongs
 * to the queued write and the next read gets another one. A read that fills the buffer (a bulk
 * transfer) gets a big buffer next; one that does not (the node has sent all it had) a small one,
 * so that an idle connection holds 2 KiB, not 32. Returning false stops reading (Node's onread
 * contract) until the client drains; so at most a high-water mark plus one buffer wait here.
 */
class UpstreamReader {
  /** Whether the last read returned false (reading stopped until the client drains). */
  paused = false;
  // Never a buffer a queued write still refers to (that one is dropped, not reused).
  #small: Buffer | undefined = take(SMALL_READ_BYTES);
  #current: Buffer = this.#small as Buffer;
  readonly #client: Socket;

  constructor(client: Socket) {
    this.#client = client;
  }

  /** The buffer the next read goes into (Node asks after every read). */
  readonly buffer = (): Buffer => this.#current;

  /** `nread` bytes arrived in the current buffer. */
  readonly callback = (nread: number): boolean => {
    const client = this.#client;
    const buf = this.#current;
    const more = client.write(nread === buf.length ? buf : buf.subarray(0, nread));
    // Node writes a Buffer by reference: while that write is queued, nothing may be read into it.
    const held = client.writableLength > 0;
    const wantBig = nread === buf.length;
    const isBig = buf.length === BIG_READ_BYTES;
    if (held || wantBig !== isBig) {
      if (isBig && !held) spare(buf);
      if (!isBig && held) this.#small = undefined;
      this.#current = wantBig ? take(BIG_READ_BYTES) : (this.#small ??= take(SMALL_READ_BYTES));
    }
    this.paused = !more;
    return more;
  };

  /** The connection to the node is closed: no read can land in its buffer any more. */
  recycle(): void {
    spare(this.#current);
    if (this.#small !== undefined && this.#small !== this.#current) spare(this.#small);
    this.#small = undefined;
  }
}

/**
 * Forwards `from`'s bytes to `to` as they arrive, without stream.pipe's bookkeeping: a chunk is
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

/** Ends a socket's writing side unless it already is (end() twice only builds an error). */
function finish(socket: Socket): void {
  if (!socket.destroyed && !socket.writableEnded) socket.end();
}

/** Aborts a socket with a TCP reset, so that the peer sees the failure as it happened here. */
function reset(socket: Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}
