/**
 * A watch over HTTP: reads the apiserver's newline-delimited JSON events from a streaming
 * response and serves them as a {@link WatchStream}. An ERROR event throws its Status as a
 * KubeApiError (410 ⇒ the informer relists); the server closing the stream — its timeoutSeconds,
 * a restart, a dropped connection — ends iteration normally, as client-go's StreamWatcher treats
 * EOF, so the caller re-watches from its last resourceVersion.
 *
 * @module
 */
import type { WatchEvent, WatchEventType, WatchStream } from '../client.js';
import type { Clock, Timer } from '../clock.js';
import { KubeApiError } from '../errors.js';
import type { ApiStatus } from '../errors.js';
import type { KubeObject } from '../resources.js';
import type { OpenStream } from './http-transport.js';

type Item<T extends KubeObject> = { readonly kind: 'event'; readonly event: WatchEvent<T> } | { readonly kind: 'error'; readonly error: KubeApiError };

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };
const EVENT_TYPES = new Set<string>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK']);
/** Buffered events above which the socket is paused until the consumer catches up. */
const HIGH_WATER = 1000;
/**
 * The longest frame read: client-go's streaming decoder refuses objects over 16 MiB ("object to
 * decode was longer than maximum allowed size"). Counted in characters, each at least a byte.
 */
export const MAX_WATCH_FRAME_CHARS = 16 * 1024 * 1024;

/** Options of an {@link HttpWatchStream}. */
export interface HttpWatchStreamOptions {
  readonly clock: Clock;
  /** Ends the stream client-side this long after opening, in case the server never does. */
  readonly maxDurationMs?: number;
  readonly signal?: AbortSignal | undefined;
  /** Default {@link MAX_WATCH_FRAME_CHARS}. */
  readonly maxFrameChars?: number;
}

/** A WatchStream reading a chunked JSON event stream. */
export class HttpWatchStream<T extends KubeObject> implements WatchStream<T> {
  readonly #open: OpenStream;
  readonly #buffer: Array<Item<T>> = [];
  readonly #waiters: Array<{ resolve: (r: IteratorResult<WatchEvent<T>, undefined>) => void; reject: (e: unknown) => void }> = [];
  readonly #timer: Timer | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.close();
  readonly #maxFrameChars: number;
  /** The start of a frame whose newline has not come yet, in the chunks it came in. */
  #pending: string[] = [];
  #pendingChars = 0;
  #ended = false;

  constructor(open: OpenStream, options: HttpWatchStreamOptions) {
    this.#open = open;
    this.#signal = options.signal;
    this.#maxFrameChars = options.maxFrameChars ?? MAX_WATCH_FRAME_CHARS;
    const { response } = open;
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.#onData(chunk));
    response.on('end', () => this.#finish());
    response.on('close', () => this.#finish());
    response.on('error', () => this.#finish());
    this.#timer = options.maxDurationMs === undefined ? undefined : options.clock.setTimer(options.maxDurationMs, () => this.close());
    if (options.signal !== undefined) {
      if (options.signal.aborted) this.close();
      else options.signal.addEventListener('abort', this.#onAbort, { once: true });
    }
  }

  /** Closes the stream: drops what is buffered and the connection; a pending iteration ends. Idempotent. */
  close(): void {
    this.#buffer.length = 0;
    this.#finish();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent<T>, undefined> {
    return {
      next: () => this.#next(),
      return: () => {
        this.close();
        return Promise.resolve(DONE);
      },
    };
  }

  /**
   * Splits the stream into lines, looking at each chunk once (a long frame in many chunks is not
   * rescanned per chunk) and holding at most {@link MAX_WATCH_FRAME_CHARS} of an unfinished one.
   */
  #onData(chunk: string): void {
    if (this.#ended) return;
    let start = 0;
    for (let newline = chunk.indexOf('\n'); newline !== -1; newline = chunk.indexOf('\n', start)) {
      const piece = chunk.slice(start, newline);
      start = newline + 1;
      const line = this.#pendingChars === 0 ? piece : this.#pending.join('') + piece;
      this.#pending = [];
      this.#pendingChars = 0;
      if (line.length > this.#maxFrameChars) return this.#frameTooLong();
      if (line.trim() !== '') this.#onLine(line);
      if (this.#ended) return;
    }
    if (start < chunk.length) {
      const rest = start === 0 ? chunk : chunk.slice(start);
      this.#pending.push(rest);
      this.#pendingChars += rest.length;
      if (this.#pendingChars > this.#maxFrameChars) return this.#frameTooLong();
    }
    if (this.#buffer.length > HIGH_WATER) this.#open.response.pause();
  }

  /** As client-go's StreamWatcher on a decode error: an internal-error Status, then the end of the watch. */
  #frameTooLong(): void {
    this.#pending = [];
    this.#pendingChars = 0;
    const message = `unable to decode an event from the watch stream: object to decode was longer than maximum allowed size (${this.#maxFrameChars} characters)`;
    this.#deliver({ kind: 'error', error: new KubeApiError(500, 'InternalError', message) });
    this.#finish();
  }

  #onLine(line: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      // As client-go's StreamWatcher: an undecodable frame ends the watch; the caller re-watches.
      this.#finish();
      return;
    }
    const frame = parsed as { type?: unknown; object?: unknown };
    if (frame.type === 'ERROR') {
      const status = (typeof frame.object === 'object' && frame.object !== null ? frame.object : {}) as Partial<ApiStatus>;
      this.#deliver({ kind: 'error', error: KubeApiError.fromStatus(status, 500) });
      this.#finish();
      return;
    }
    if (typeof frame.type !== 'string' || !EVENT_TYPES.has(frame.type) || typeof frame.object !== 'object' || frame.object === null) return;
    this.#deliver({ kind: 'event', event: { type: frame.type as WatchEventType, object: frame.object as T } });
  }

  #deliver(item: Item<T>): void {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#buffer.push(item);
    else if (item.kind === 'event') waiter.resolve({ done: false, value: item.event });
    else waiter.reject(item.error);
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#timer?.cancel();
    this.#signal?.removeEventListener('abort', this.#onAbort);
    this.#open.response.destroy();
    this.#open.request.destroy();
    if (this.#buffer.length === 0) for (const w of this.#waiters.splice(0)) w.resolve(DONE);
  }

  #next(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    const item = this.#buffer.shift();
    if (item !== undefined) {
      if (this.#buffer.length < HIGH_WATER / 2 && !this.#ended) this.#open.response.resume();
      return item.kind === 'event' ? Promise.resolve({ done: false, value: item.event }) : Promise.reject(item.error);
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}
