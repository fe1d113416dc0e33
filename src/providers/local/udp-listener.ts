/**
 * A UDP listener of the local data plane: each client address gets a session (its own upstream
 * socket to one backend) that ends after an idle timeout on the injected Clock; source ranges
 * are enforced per datagram (dropped, as a firewall would).
 *
 * @module
 */
import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import type { Clock, Timer } from '../../kube/clock.js';
import type { Backend, BackendPicker } from './backend-picker.js';
import type { SourceFilter } from './source-ranges.js';

/** Options of {@link UdpListener}. */
export interface UdpListenerOptions {
  readonly address: string;
  readonly family: 4 | 6;
  readonly port: number;
  readonly picker: BackendPicker;
  readonly clock: Clock;
  readonly idleTimeoutMs: number;
  readonly filter: SourceFilter;
}

interface Session {
  readonly upstream: Socket;
  readonly backend: Backend;
  lastSeen: number;
  timer: Timer;
  /** Datagrams that came before the upstream socket was connected; undefined once it is. */
  pending: Buffer[] | undefined;
}

// Datagrams a session holds while its upstream socket connects (a burst's first packets); beyond
// this they are dropped, as a full socket buffer would.
const MAX_PENDING_DATAGRAMS = 64;

/** One UDP listener with its client sessions. */
export class UdpListener {
  readonly address: string;
  readonly port: number;
  readonly #family: 4 | 6;
  readonly #picker: BackendPicker;
  readonly #clock: Clock;
  readonly #idleMs: number;
  #filter: SourceFilter;
  readonly #socket: Socket;
  readonly #sessions = new Map<string, Session>();
  #open = false;
  #dropped = 0;

  constructor(options: UdpListenerOptions) {
    this.address = options.address;
    this.port = options.port;
    this.#family = options.family;
    this.#picker = options.picker;
    this.#clock = options.clock;
    this.#idleMs = options.idleTimeoutMs;
    this.#filter = options.filter;
    this.#socket = createSocket({ type: options.family === 4 ? 'udp4' : 'udp6', reuseAddr: false });
    this.#socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    this.#socket.on('error', () => undefined);
  }

  /** Live sessions. */
  get connections(): number {
    return this.#sessions.size;
  }

  /** Datagrams dropped by the source ranges or for lack of a backend. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Whether the socket is bound. */
  get listening(): boolean {
    return this.#open;
  }

  /** Replaces the source ranges for datagrams from now on. */
  setFilter(filter: SourceFilter): void {
    this.#filter = filter;
  }

  /** Binds the address and port. @throws Error naming `address:port/UDP` and the system error. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`cannot listen on ${this.address}:${this.port}/UDP: ${(err as NodeJS.ErrnoException).code ?? err.message}`, { cause: err }));
      this.#socket.once('error', onError);
      this.#socket.bind({ address: this.address, port: this.port, exclusive: true }, () => {
        this.#socket.off('error', onError);
        resolve();
      });
    });
    this.#open = true;
  }

  /**
   * Stops receiving new datagrams. UDP has no separate accept socket, so live sessions cannot
   * outlive the listening socket: their replies would have no source to come from.
   */
  stopAccepting(): void {
    this.destroyAll();
  }

  /** UDP sessions carry no state worth waiting for: closes at once (kept for symmetry with TCP). */
  drain(_graceMs: number): Promise<void> {
    this.destroyAll();
    return Promise.resolve();
  }

  /** Closes the socket and every session. */
  destroyAll(): void {
    for (const key of [...this.#sessions.keys()]) this.#endSession(key);
    if (this.#open) {
      this.#open = false;
      this.#socket.close();
    } else {
      try {
        this.#socket.close();
      } catch {
        // Never bound or already closed.
      }
    }
  }

  #onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (!this.#filter.allows(rinfo.address)) {
      this.#dropped++;
      return;
    }
    const key = `${rinfo.address}|${rinfo.port}`;
    let session = this.#sessions.get(key);
    if (session === undefined) {
      const backend = this.#picker.pick(rinfo.address);
      if (backend === undefined) {
        this.#dropped++;
        return;
      }
      session = this.#openSession(key, backend, rinfo);
    }
    session.lastSeen = this.#clock.now();
    if (session.pending === undefined) session.upstream.send(msg);
    else if (session.pending.length < MAX_PENDING_DATAGRAMS) session.pending.push(msg);
    else this.#dropped++;
  }

  /**
   * A session's socket to its backend is connected: the kernel then takes only that backend's
   * datagrams on it, and a send names no address (dgram resolves an address on every send, even
   * an IP, and the kernel routes every unconnected datagram).
   */
  #openSession(key: string, backend: Backend, client: RemoteInfo): Session {
    const upstream = createSocket(this.#family === 4 ? 'udp4' : 'udp6');
    upstream.on('message', (reply) => {
      const session = this.#sessions.get(key);
      if (session === undefined || !this.#open) return;
      session.lastSeen = this.#clock.now();
      this.#socket.send(reply, client.port, client.address);
    });
    upstream.on('error', () => this.#endSession(key));
    this.#picker.acquire(backend);
    const session: Session = { upstream, backend, lastSeen: this.#clock.now(), timer: { cancel: () => undefined }, pending: [] };
    this.#sessions.set(key, session);
    upstream.connect(backend.port, backend.host, () => {
      const held = session.pending ?? [];
      session.pending = undefined;
      if (this.#sessions.get(key) !== session) return;
      for (const msg of held) upstream.send(msg);
    });
    this.#armIdle(key, session, this.#idleMs);
    return session;
  }

  // One timer per session, re-armed for the remaining idle time when it fires early; cheaper than
  // re-creating a timer for every datagram.
  #armIdle(key: string, session: Session, ms: number): void {
    session.timer = this.#clock.setTimer(ms, () => {
      const idle = this.#clock.now() - session.lastSeen;
      if (idle >= this.#idleMs) this.#endSession(key);
      else this.#armIdle(key, session, this.#idleMs - idle);
    });
  }

  #endSession(key: string): void {
    const session = this.#sessions.get(key);
    if (session === undefined) return;
    this.#sessions.delete(key);
    session.timer.cancel();
    this.#picker.release(session.backend);
    try {
      session.upstream.close();
    } catch {
      // Already closed after an error.
    }
  }
}
