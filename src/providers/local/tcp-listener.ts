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
  readonly #connections = new Set<Socket>();
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
    for (const socket of this.#connections) socket.destroy();
  }

  #accept(client: Socket): void {
    const clientIp = client.remoteAddress ?? '';
    if (!this.#filter.allows(clientIp)) {
      // Refused with a reset, as a firewall REJECT would; the client sees ECONNRESET at once.
      client.resetAndDestroy();
      return;
    }
    this.#connections.add(client);
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
    const upstream = connect({ host: backend.host, port: backend.port, allowHalfOpen: true, noDelay: true });
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
      this.#splice(client, upstream, backend);
    });
  }

  #splice(client: Socket, upstream: Socket, backend: Backend): void {
    this.#picker.acquire(backend);
    upstream.on('error', () => upstream.destroy());
    // An error or reset on one side aborts the other; a clean close only ends it (pipe already
    // forwarded the FIN, so this is a no-op unless data was still queued).
    client.once('close', (hadError) => (hadError ? upstream.destroy() : upstream.end()));
    upstream.once('close', (hadError) => {
      this.#picker.release(backend);
      if (hadError) client.destroy();
      else client.end();
    });
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
  }
}
