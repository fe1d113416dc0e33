/**
 * Watch streams of the simulated API server (a test double): one buffered stream per watch and a
 * hub per resource that fans committed changes out to them with the apiserver watch cache's
 * selector transitions.
 *
 * @module
 */
import type { WatchEvent, WatchEventType, WatchStream } from '../client.js';
import type { KubeApiError } from '../errors.js';
import type { KubeObject } from '../resources.js';
import { cloneJson, deepFreeze } from '../json-value.js';
import type { JsonObject } from '../json-value.js';
import type { StoredChange } from './store.js';

type Item<T extends KubeObject> = { readonly kind: 'event'; readonly event: WatchEvent<T> } | { readonly kind: 'error'; readonly error: KubeApiError };

interface Waiter<T extends KubeObject> {
  resolve(result: IteratorResult<WatchEvent<T>, undefined>): void;
  reject(error: unknown): void;
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * One open watch. Events are buffered without bound so that a slow consumer never blocks a
 * writer — acceptable for a test double; a real apiserver would drop a watcher whose buffer
 * overflows, which clients observe as a closed stream.
 */
export class SimulatedWatchStream<T extends KubeObject> implements WatchStream<T> {
  readonly #buffer: Array<Item<T>> = [];
  readonly #waiters: Array<Waiter<T>> = [];
  readonly #onEnd: Array<() => void> = [];
  #ended = false;

  /** Whether the stream no longer accepts events. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Registers cleanup to run once when the stream ends (immediately if it already has). */
  onEnd(fn: () => void): void {
    if (this.#ended) fn();
    else this.#onEnd.push(fn);
  }

  /** Queues an event (ignored once the stream ended). */
  push(type: WatchEventType, object: T): void {
    this.#deliver({ kind: 'event', event: { type, object } });
  }

  /**
   * Queues an ERROR and ends the stream: the consumer receives what was queued before, then its
   * iteration throws `error` (client-go surfaces a watch ERROR event the same way).
   */
  fail(error: KubeApiError): void {
    this.#deliver({ kind: 'error', error });
    this.end();
  }

  /** Ends the stream from the server side: queued events are still delivered, then iteration ends. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#buffer.length === 0) for (const w of this.#waiters.splice(0)) w.resolve(DONE);
    for (const fn of this.#onEnd.splice(0)) fn();
  }

  /** Closes the stream from the client side: queued events are dropped; a pending iteration ends. */
  close(): void {
    this.#buffer.length = 0;
    this.end();
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

  #deliver(item: Item<T>): void {
    if (this.#ended) return;
    const waiter = this.#waiters.shift();
    if (waiter === undefined) this.#buffer.push(item);
    else if (item.kind === 'event') waiter.resolve({ done: false, value: item.event });
    else waiter.reject(item.error);
  }

  #next(): Promise<IteratorResult<WatchEvent<T>, undefined>> {
    const item = this.#buffer.shift();
    if (item !== undefined) {
      return item.kind === 'event' ? Promise.resolve({ done: false, value: item.event }) : Promise.reject(item.error);
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
}

/** Decides whether an object is visible to a watch (namespace and selectors). */
export type ObjectPredicate = (obj: JsonObject) => boolean;

/** A watch registered with a hub. */
export interface WatchRegistration {
  readonly stream: SimulatedWatchStream<KubeObject>;
  readonly matches: ObjectPredicate;
  readonly allowBookmarks: boolean;
}

/**
 * The event a filtered watch sees for a change, as the apiserver's cacheWatcher decides it: an
 * object that starts matching is ADDED, one that stops matching is DELETED (carrying its previous
 * content at the change's resourceVersion), and changes invisible before and after are dropped.
 */
export function eventFor(change: StoredChange, matches: ObjectPredicate): { type: WatchEventType; object: JsonObject } | undefined {
  const nowMatches = change.type !== 'DELETED' && matches(change.object);
  const prevMatched = change.prev !== undefined && matches(change.prev);
  if (nowMatches) return { type: prevMatched ? 'MODIFIED' : 'ADDED', object: change.object };
  if (!prevMatched || change.prev === undefined) return undefined;
  if (change.type === 'DELETED') return { type: 'DELETED', object: change.object };
  const gone = cloneJson(change.prev);
  const meta = gone['metadata'];
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    (meta as JsonObject)['resourceVersion'] = String(change.rv);
  }
  return { type: 'DELETED', object: deepFreeze(gone) };
}

/** Fans the changes of one resource out to its open watches. */
export class WatchHub {
  readonly #watches = new Set<WatchRegistration>();

  /** Number of open watches. */
  get size(): number {
    return this.#watches.size;
  }

  /** Adds a watch; it leaves the hub when its stream ends. */
  add(registration: WatchRegistration): void {
    if (registration.stream.ended) return;
    this.#watches.add(registration);
    registration.stream.onEnd(() => this.#watches.delete(registration));
  }

  /**
   * Delivers a committed change to every watch that can see it. Every watch receives the stored,
   * deep-frozen object itself: nobody can change it, so nobody needs a copy.
   */
  dispatch(change: StoredChange): void {
    for (const watch of this.#watches) {
      const event = eventFor(change, watch.matches);
      if (event !== undefined) watch.stream.push(event.type, event.object);
    }
  }

  /** Sends a BOOKMARK carrying `object` to every watch that asked for bookmarks. */
  bookmark(object: JsonObject): void {
    for (const watch of this.#watches) {
      if (watch.allowBookmarks) watch.stream.push('BOOKMARK', cloneJson(object));
    }
  }

  /** Ends every open watch from the server side. */
  endAll(): void {
    for (const watch of [...this.#watches]) watch.stream.end();
  }
}
