/**
 * A list/watch cache with event handlers, written to the semantics of client-go's
 * `tools/cache` reflector and `sharedIndexInformer`.
 *
 * It is hand-written rather than built on `@kubernetes/client-node`'s `makeInformer`/`ListWatch`
 * because that one (1.4.0) stops for good on the first non-410 error, gives `update` only the new
 * object, has no tombstones, resync, indexers or `HasSynced`, turns a throwing handler into an
 * unhandled rejection and mixes class-instance list items with raw-JSON watch objects
 * (research/ts-ecosystem.md §1.4). This one talks only to the {@link ResourceClient} seam.
 *
 * Behaviour matched from client-go:
 * - list in pages of 500 (the pager's default), falling back to one unpaginated list when a
 *   continue token expires; then watch from the list's resourceVersion with
 *   `allowWatchBookmarks` and `timeoutSeconds` drawn from [min, 2·min) of the minimum watch
 *   timeout (5 min by default);
 * - a watch that ends normally is re-opened from the last seen resourceVersion; a 410
 *   Gone/Expired relists; other failures back off 800 ms ×2 up to 30 s with jitter 1.0, the
 *   backoff resetting after 2 min without failures;
 * - a relist is diffed against the cache: new ⇒ add, changed resourceVersion ⇒ update(old, new),
 *   unchanged ⇒ nothing, missing ⇒ delete with a {@link DeletedFinalStateUnknown} tombstone;
 * - handlers added after start receive synthetic adds for the cache (`isInInitialList` true);
 * - resync re-delivers every cached object as update(obj, obj) each period;
 * - handler exceptions (and rejected promises of async handlers) are logged, never fatal
 *   (client-go `HandleCrash`).
 *
 * Cached objects are JSON copies of what the server sent (a deep-frozen object naming its
 * `apiVersion`/`kind`, as the simulated API server's watch events, is kept as it is), stamped
 * with `apiVersion`/`kind` (list items lack them on the wire) and **deep-frozen**: the same frozen object is shared by the
 * cache, readers and handlers, so none of them can corrupt the cache. Copy
 * (`structuredClone`) before modifying.
 *
 * Events are delivered synchronously, one at a time, in the order the informer observes them; the
 * cache already reflects a change when its handlers run.
 *
 * @module
 */
import { jitter } from './backoff.js';
import type { Clock, Timer } from './clock.js';
import type { ListOptions, ObjectList, ResourceClient, WatchEvent, WatchOptions, WatchStream } from './client.js';
import { KubeApiError, isResourceExpired } from './errors.js';
import { cloneJson, deepFreeze, isDeepFrozen } from './json-value.js';
import { apiVersionOf, keyOf } from './resources.js';
import type { KubeObject } from './resources.js';
import { noopLogger } from '../log/logger.js';
import type { Logger, LogValues } from '../log/logger.js';
import { errorMessage } from '../log/error-message.js';

/** client-go pager's default page size. */
const PAGE_SIZE = 500;
/** client-go reflector's default minimum watch timeout (actual: [min, 2·min)). */
const DEFAULT_MIN_WATCH_TIMEOUT_MS = 5 * 60_000;
/** client-go reflector backoff: initial delay, cap, factor, reset-after-health interval, jitter. */
const BACKOFF_INITIAL_MS = 800;
const BACKOFF_CAP_MS = 30_000;
const BACKOFF_FACTOR = 2;
const BACKOFF_RESET_MS = 2 * 60_000;
const BACKOFF_JITTER = 1.0;
/** client-go's "very short watch": closed within 1 s without a single event ⇒ treated as a failure. */
const VERY_SHORT_WATCH_MS = 1_000;
/**
 * Client-side watchdog beyond the requested `timeoutSeconds`: a server (or proxy) that silently
 * stops a watch without closing it must not freeze the cache forever (client-node issues #596, #364).
 */
const WATCHDOG_GRACE_MS = 60_000;
/** client-go's minimum resync period for a handler. */
const MIN_RESYNC_MS = 1_000;

/**
 * Handed to `onDelete` when an object vanished while the informer was not watching (seen on a
 * relist): `obj` is the last state the cache knew, which may be stale (client-go
 * `cache.DeletedFinalStateUnknown`).
 */
export class DeletedFinalStateUnknown<T extends KubeObject> {
  /** The cache key, `namespace/name` or `name`. */
  readonly key: string;
  /** The last known state of the object. */
  readonly obj: T;

  constructor(key: string, obj: T) {
    this.key = key;
    this.obj = obj;
    Object.freeze(this);
  }
}

/** Whether an `onDelete` argument is a {@link DeletedFinalStateUnknown} tombstone. */
export function isDeletedFinalStateUnknown<T extends KubeObject>(
  x: T | DeletedFinalStateUnknown<T>,
): x is DeletedFinalStateUnknown<T> {
  return x instanceof DeletedFinalStateUnknown;
}

/** The object of an `onDelete` argument, unwrapping a tombstone to its last known state. */
export function objectFromTombstone<T extends KubeObject>(x: T | DeletedFinalStateUnknown<T>): T {
  return x instanceof DeletedFinalStateUnknown ? x.obj : x;
}

/** Callbacks for cache changes (client-go `ResourceEventHandlerFuncs`). */
export interface InformerEventHandler<T extends KubeObject> {
  /** An object appeared; `isInInitialList` is true for the first list and for synthetic adds. */
  onAdd?(obj: T, isInInitialList: boolean): void;
  /** An object changed; a resync delivers the same object twice. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** An object disappeared; a tombstone when the delete itself was missed. */
  onDelete?(obj: T | DeletedFinalStateUnknown<T>): void;
}

/** Options of one handler registration. */
export interface EventHandlerOptions {
  /** Resync period for this handler in ms (0 = none); defaults to the informer's. Minimum 1 s. */
  readonly resyncPeriodMs?: number;
}

/** A handler registration (client-go `ResourceEventHandlerRegistration`). */
export interface EventHandlerRegistration {
  /** True once this handler has received the informer's initial list (or the synthetic adds). */
  hasSynced(): boolean;
}

/** Computes the index values of an object. */
export type IndexFunc<T extends KubeObject> = (obj: T) => readonly string[];

/** Options of an {@link Informer}. */
export interface InformerOptions<T extends KubeObject> {
  readonly client: ResourceClient<T>;
  readonly clock: Clock;
  /** Uniform [0, 1) source for watch timeouts and backoff jitter. */
  readonly random: () => number;
  readonly logger?: Logger;
  /** Restricts to one namespace (namespaced resources only). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Default resync period for handlers, ms; 0 (default) means none. */
  readonly resyncPeriodMs?: number;
  /** Minimum watch timeout, ms; the watch asks for [min, 2·min). Default 5 min. */
  readonly minWatchTimeoutMs?: number;
  /** List page size; default 500 as client-go's pager. */
  readonly pageSize?: number;
}

interface Registration<T extends KubeObject> extends EventHandlerRegistration {
  readonly handler: InformerEventHandler<T>;
  readonly resyncPeriodMs: number;
  removed: boolean;
  resyncLoopRunning: boolean;
}

interface Index {
  readonly fn: (obj: KubeObject) => readonly string[];
  readonly byValue: Map<string, Set<string>>;
}

type Notification<T extends KubeObject> =
  | { readonly kind: 'add'; readonly obj: T; readonly initial: boolean }
  | { readonly kind: 'update'; readonly oldObj: T; readonly newObj: T }
  | { readonly kind: 'delete'; readonly obj: T | DeletedFinalStateUnknown<T> };

/** What the reflector loop does after a watch ends. */
type WatchOutcome = 'stopped' | 'rewatch' | 'relist' | 'backoff-rewatch' | 'backoff-relist';

/** Resolves with the promise's value, or rejects as soon as `signal` aborts; `onLate` cleans up a late value. */
function raceAbort<V>(promise: Promise<V>, signal: AbortSignal, onLate?: (value: V) => void): Promise<V> {
  if (signal.aborted) {
    promise.then((v) => onLate?.(v), () => {});
    return Promise.reject(new DOMException('This operation was aborted', 'AbortError'));
  }
  return new Promise<V>((resolve, reject) => {
    let done = false;
    const onAbort = (): void => {
      if (done) return;
      done = true;
      reject(new DOMException('This operation was aborted', 'AbortError'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (done) onLate?.(v);
        else {
          done = true;
          resolve(v);
        }
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!done) {
          done = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      },
    );
  });
}


/** Transient failures worth retrying the same request for, rather than relisting. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof KubeApiError)) return true; // transport errors, as client-go's connection-refused case
  return err.status === 429 || err.status >= 500;
}

/**
 * A list/watch cache of one resource (optionally one namespace and selectors) with indexers and
 * event handlers — client-go's reflector plus `sharedIndexInformer`.
 *
 * @example
 * ```ts
 * const nodes = new Informer({ client: kube.nodes, clock, random: Math.random });
 * nodes.addEventHandler({ onAdd: (n) => queue.add(keyOf(n)) });
 * void nodes.start(signal);
 * if (!(await nodes.waitForSync(signal))) return;
 * ```
 */
export class Informer<T extends KubeObject> {
  readonly #client: ResourceClient<T>;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #namespace: string | undefined;
  readonly #labelSelector: string | undefined;
  readonly #fieldSelector: string | undefined;
  readonly #resyncPeriodMs: number;
  readonly #minWatchTimeoutMs: number;
  readonly #pageSize: number;
  readonly #apiVersion: string;

  readonly #cache = new Map<string, T>();
  readonly #indexes = new Map<string, Index>();
  readonly #registrations: Registration<T>[] = [];
  readonly #syncWaiters = new Set<(synced: boolean) => void>();

  #started = false;
  #stopped = false;
  #synced = false;
  #signal: AbortSignal | undefined;
  #lastSyncResourceVersion = '';
  #backoffCurrentMs = BACKOFF_INITIAL_MS;
  #lastBackoffAt: number | undefined;

  constructor(options: InformerOptions<T>) {
    this.#client = options.client;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#namespace = options.namespace;
    this.#labelSelector = options.labelSelector;
    this.#fieldSelector = options.fieldSelector;
    this.#resyncPeriodMs = options.resyncPeriodMs ?? 0;
    this.#minWatchTimeoutMs = options.minWatchTimeoutMs ?? DEFAULT_MIN_WATCH_TIMEOUT_MS;
    this.#pageSize = options.pageSize ?? PAGE_SIZE;
    this.#apiVersion = apiVersionOf(options.client.type);
    const scope: Record<string, string> = { resource: options.client.type.resource };
    if (options.namespace !== undefined) scope['namespace'] = options.namespace;
    if (options.labelSelector !== undefined) scope['labelSelector'] = options.labelSelector;
    if (options.fieldSelector !== undefined) scope['fieldSelector'] = options.fieldSelector;
    this.#log = (options.logger ?? noopLogger).withName('informer').withValues(scope);
  }

  // ---------------------------------------------------------------------------------------------
  // Cache access

  /** The cached object with this key (`namespace/name` or `name`), deep-frozen. */
  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  /** Every cached object, deep-frozen. */
  list(): T[] {
    return [...this.#cache.values()];
  }

  /** Every cache key. */
  keys(): string[] {
    return [...this.#cache.keys()];
  }

  /** True once the first list has been applied and its events delivered to the handlers. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** The resourceVersion of the last list or watch event observed (`''` before the first list). */
  lastSyncResourceVersion(): string {
    return this.#lastSyncResourceVersion;
  }

  /** Resolves true once synced; false if `signal` aborts or the informer stops first. */
  waitForSync(signal: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal.aborted || this.#stopped) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const waiter = (synced: boolean): void => {
        signal.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      const onAbort = (): void => {
        this.#syncWaiters.delete(waiter);
        resolve(false);
      };
      this.#syncWaiters.add(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Indexers

  /**
   * Adds a named index; `fn` returns the index values of an object (e.g. Nodes by providerID).
   * Unlike client-go this is allowed after start: the index is built from the current cache.
   */
  addIndexer(name: string, fn: IndexFunc<T>): void {
    if (this.#indexes.has(name)) throw new Error(`informer: indexer "${name}" already exists`);
    const index: Index = { fn: fn as (obj: KubeObject) => readonly string[], byValue: new Map() };
    this.#indexes.set(name, index);
    for (const [key, obj] of this.#cache) this.#indexAdd(index, key, obj);
  }

  /** Cached objects whose index `name` contains `value`; throws for an unknown index. */
  byIndex(name: string, value: string): T[] {
    const index = this.#indexes.get(name);
    if (index === undefined) throw new Error(`informer: index with name "${name}" does not exist`);
    const out: T[] = [];
    for (const key of index.byValue.get(value) ?? []) {
      const obj = this.#cache.get(key);
      if (obj !== undefined) out.push(obj);
    }
    return out;
  }

  #indexValues(index: Index, key: string, obj: KubeObject): readonly string[] {
    try {
      return index.fn(obj);
    } catch (err) {
      this.#log.error(err, 'Index function failed', { key });
      return [];
    }
  }

  #indexAdd(index: Index, key: string, obj: KubeObject): void {
    for (const value of this.#indexValues(index, key, obj)) {
      let keys = index.byValue.get(value);
      if (keys === undefined) index.byValue.set(value, (keys = new Set()));
      keys.add(key);
    }
  }

  #indexRemove(index: Index, key: string, obj: KubeObject): void {
    for (const value of this.#indexValues(index, key, obj)) {
      const keys = index.byValue.get(value);
      if (keys === undefined) continue;
      keys.delete(key);
      if (keys.size === 0) index.byValue.delete(value);
    }
  }

  #cacheSet(key: string, obj: T): void {
    const old = this.#cache.get(key);
    for (const index of this.#indexes.values()) {
      if (old !== undefined) this.#indexRemove(index, key, old);
      this.#indexAdd(index, key, obj);
    }
    this.#cache.set(key, obj);
  }

  #cacheDelete(key: string): void {
    const old = this.#cache.get(key);
    if (old === undefined) return;
    for (const index of this.#indexes.values()) this.#indexRemove(index, key, old);
    this.#cache.delete(key);
  }

  // ---------------------------------------------------------------------------------------------
  // Handlers

  /**
   * Registers a handler. Added after the informer has cached objects, it first receives a
   * synthetic add for each of them (synchronously, before this returns), as client-go does.
   */
  addEventHandler(handler: InformerEventHandler<T>, options: EventHandlerOptions = {}): EventHandlerRegistration {
    const period = options.resyncPeriodMs ?? this.#resyncPeriodMs;
    const registration: Registration<T> = {
      handler,
      resyncPeriodMs: period > 0 ? Math.max(period, MIN_RESYNC_MS) : 0,
      removed: false,
      resyncLoopRunning: false,
      hasSynced: () => !registration.removed && this.#synced,
    };
    for (const obj of this.#cache.values()) this.#deliver(registration, { kind: 'add', obj, initial: true });
    this.#registrations.push(registration);
    if (this.#signal !== undefined && !this.#stopped) this.#startResync(registration, this.#signal);
    return registration;
  }

  /** Unregisters a handler; it receives nothing afterwards. */
  removeEventHandler(registration: EventHandlerRegistration): void {
    const at = this.#registrations.findIndex((r) => r === registration);
    if (at < 0) return;
    const [removed] = this.#registrations.splice(at, 1);
    if (removed !== undefined) removed.removed = true;
  }

  #deliver(registration: Registration<T>, note: Notification<T>): void {
    if (registration.removed) return;
    const { handler } = registration;
    let result: unknown;
    try {
      switch (note.kind) {
        case 'add':
          result = handler.onAdd?.(note.obj, note.initial);
          break;
        case 'update':
          result = handler.onUpdate?.(note.oldObj, note.newObj);
          break;
        case 'delete':
          result = handler.onDelete?.(note.obj);
          break;
      }
    } catch (err) {
      this.#handlerFailed(err, note);
      return;
    }
    // An async handler's rejection would otherwise be an unhandled rejection that kills the
    // process (the client-node informer's failure mode, research §1.4 E7).
    if (result instanceof Promise) result.catch((err: unknown) => this.#handlerFailed(err, note));
  }

  #handlerFailed(err: unknown, note: Notification<T>): void {
    const obj = note.kind === 'update' ? note.newObj : note.kind === 'delete' ? objectFromTombstone(note.obj) : note.obj;
    this.#log.error(err, 'Event handler failed', { event: note.kind, key: keyOf(obj) });
  }

  #distribute(note: Notification<T>): void {
    // A snapshot: a handler registered by a handler already got this change as a synthetic add.
    for (const registration of [...this.#registrations]) this.#deliver(registration, note);
  }

  #startResync(registration: Registration<T>, signal: AbortSignal): void {
    if (registration.resyncPeriodMs <= 0 || registration.resyncLoopRunning) return;
    registration.resyncLoopRunning = true;
    void this.#resyncLoop(registration, signal);
  }

  async #resyncLoop(registration: Registration<T>, signal: AbortSignal): Promise<void> {
    for (;;) {
      try {
        await this.#clock.sleep(registration.resyncPeriodMs, signal);
      } catch {
        return; // aborted: the informer is stopping
      }
      if (registration.removed) return;
      // Resync only replays a synced cache; before that the initial list is still coming.
      if (!this.#synced) continue;
      this.#log.v(5).info('Resyncing', { objects: this.#cache.size });
      for (const obj of [...this.#cache.values()]) this.#deliver(registration, { kind: 'update', oldObj: obj, newObj: obj });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reflector

  /**
   * Lists and watches until `signal` aborts, then resolves. API failures are retried with
   * backoff, never thrown; only a second call (or a bug) rejects.
   */
  async start(signal: AbortSignal): Promise<void> {
    if (this.#started) throw new Error('informer: start called twice; an informer runs once');
    this.#started = true;
    this.#signal = signal;
    try {
      if (signal.aborted) return;
      for (const registration of this.#registrations) this.#startResync(registration, signal);
      await this.#run(signal);
    } finally {
      this.#stopped = true;
      for (const waiter of [...this.#syncWaiters]) waiter(false);
      this.#syncWaiters.clear();
    }
  }

  async #run(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      if (needList) {
        try {
          await this.#listAndReplace(signal);
          needList = false;
        } catch (err) {
          if (signal.aborted) return;
          this.#log.error(err, 'Failed to list; backing off');
          if (!(await this.#backoff(signal))) return;
          continue;
        }
      }
      const outcome = await this.#watchOnce(signal);
      switch (outcome) {
        case 'stopped':
          return;
        case 'rewatch':
          break;
        case 'relist':
          needList = true;
          break;
        case 'backoff-rewatch':
          if (!(await this.#backoff(signal))) return;
          break;
        case 'backoff-relist':
          needList = true;
          if (!(await this.#backoff(signal))) return;
          break;
      }
    }
  }

  /** Sleeps the next reflector backoff delay; false when aborted meanwhile. */
  async #backoff(signal: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    // client-go's backoff manager: after 2 min without backing off, the API is deemed healthy.
    if (this.#lastBackoffAt !== undefined && now - this.#lastBackoffAt > BACKOFF_RESET_MS) {
      this.#backoffCurrentMs = BACKOFF_INITIAL_MS;
    }
    this.#lastBackoffAt = now;
    const base = Math.min(this.#backoffCurrentMs, BACKOFF_CAP_MS);
    this.#backoffCurrentMs = Math.min(this.#backoffCurrentMs * BACKOFF_FACTOR, BACKOFF_CAP_MS);
    const delay = jitter(base, BACKOFF_JITTER, this.#random);
    this.#log.v(4).info('Backing off', { delayMs: Math.round(delay) });
    try {
      await this.#clock.sleep(delay, signal);
      return true;
    } catch {
      return false;
    }
  }

  #selectors(): { namespace?: string; labelSelector?: string; fieldSelector?: string } {
    return {
      ...(this.#namespace === undefined ? {} : { namespace: this.#namespace }),
      ...(this.#labelSelector === undefined ? {} : { labelSelector: this.#labelSelector }),
      ...(this.#fieldSelector === undefined ? {} : { fieldSelector: this.#fieldSelector }),
    };
  }

  /**
   * Lists every page. Always at the latest version (resourceVersion unset): that makes a real
   * apiserver honour `limit` (client-go's RV=0 would be served whole from the watch cache) and
   * never goes back in time after a 410.
   */
  async #listAll(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let limit: number | undefined = this.#pageSize > 0 ? this.#pageSize : undefined;
    let cont: string | undefined;
    for (;;) {
      const options: ListOptions = {
        ...this.#selectors(),
        ...(limit === undefined ? {} : { limit }),
        ...(cont === undefined ? {} : { continue: cont }),
        signal,
      };
      let page: ObjectList<T>;
      try {
        page = await raceAbort(this.#client.list(options), signal);
      } catch (err) {
        if (cont !== undefined && isResourceExpired(err)) {
          // As client-go's pager: an expired continue token falls back to one full list.
          this.#log.v(2).info('Continue token expired; listing without pagination');
          items.length = 0;
          cont = undefined;
          limit = undefined;
          continue;
        }
        throw err;
      }
      for (const item of page.items) items.push(item);
      cont = page.metadata.continue;
      if (cont === undefined || cont === '') return { items, resourceVersion: page.metadata.resourceVersion };
    }
  }

  /**
   * Clones, stamps apiVersion/kind and deep-freezes a server object for the cache. A deep-frozen
   * object that already names its apiVersion and kind (the simulated API server's watch events)
   * is taken as it is: nobody can change it, so the cache may share it.
   */
  #prepare(obj: T): T {
    if (obj.apiVersion !== undefined && obj.apiVersion !== '' && obj.kind !== undefined && obj.kind !== '' && isDeepFrozen(obj)) return obj;
    const copy = cloneJson(obj);
    if (copy.apiVersion === undefined || copy.apiVersion === '') copy.apiVersion = this.#apiVersion;
    if (copy.kind === undefined || copy.kind === '') copy.kind = this.#client.type.kind;
    return deepFreeze(copy);
  }

  async #listAndReplace(signal: AbortSignal): Promise<void> {
    const { items, resourceVersion } = await this.#listAll(signal);
    if (signal.aborted) return;
    const initial = !this.#synced;
    const notes: Notification<T>[] = [];
    const seen = new Set<string>();
    for (const raw of items) {
      const obj = this.#prepare(raw);
      const key = keyOf(obj);
      seen.add(key);
      const old = this.#cache.get(key);
      if (old === undefined) {
        notes.push({ kind: 'add', obj, initial });
        this.#cacheSet(key, obj);
      } else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) {
        // As sharedIndexInformer: a Replaced delta with the same resourceVersion is a no-op sync.
        notes.push({ kind: 'update', oldObj: old, newObj: obj });
        this.#cacheSet(key, obj);
      }
    }
    // The missed-delete case: gone from the list while we were not watching (DeltaFIFO.Replace).
    for (const [key, old] of [...this.#cache]) {
      if (seen.has(key)) continue;
      this.#cacheDelete(key);
      notes.push({ kind: 'delete', obj: new DeletedFinalStateUnknown(key, old) });
    }
    this.#lastSyncResourceVersion = resourceVersion;
    this.#log.v(4).info('Listed', { objects: items.length, resourceVersion, changes: notes.length });
    for (const note of notes) this.#distribute(note);
    if (initial) {
      this.#synced = true;
      for (const waiter of [...this.#syncWaiters]) waiter(true);
      this.#syncWaiters.clear();
    }
  }

  #classify(err: unknown, what: string): WatchOutcome {
    if (isResourceExpired(err)) {
      this.#log.v(4).info('Watch closed with 410; relisting', { err: errorMessage(err), what });
      return 'relist';
    }
    const values: LogValues = { what, resourceVersion: this.#lastSyncResourceVersion };
    if (isTransient(err)) {
      this.#log.v(2).info('Watch failed; backing off', { ...values, err: errorMessage(err) });
      return 'backoff-rewatch';
    }
    this.#log.error(err, 'Watch failed; backing off and relisting', values);
    return 'backoff-relist';
  }

  async #watchOnce(signal: AbortSignal): Promise<WatchOutcome> {
    const timeoutSeconds = Math.floor((this.#minWatchTimeoutMs / 1000) * (1 + this.#random()));
    const options: WatchOptions = {
      ...this.#selectors(),
      resourceVersion: this.#lastSyncResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
    };
    const openedAt = this.#clock.now();
    let stream: WatchStream<T>;
    try {
      stream = await raceAbort(this.#client.watch(options), signal, (late) => late.close());
    } catch (err) {
      if (signal.aborted) return 'stopped';
      return this.#classify(err, 'open');
    }
    const onAbort = (): void => stream.close();
    signal.addEventListener('abort', onAbort, { once: true });
    const watchdog: Timer = this.#clock.setTimer(timeoutSeconds * 1000 + WATCHDOG_GRACE_MS, () => {
      this.#log.v(2).info('Watch outlived its timeout; closing it', { timeoutSeconds });
      stream.close();
    });
    let events = 0;
    try {
      for await (const event of stream) {
        events++;
        this.#onWatchEvent(event);
        if (signal.aborted) break;
      }
    } catch (err) {
      if (signal.aborted) return 'stopped';
      return this.#classify(err, 'stream');
    } finally {
      signal.removeEventListener('abort', onAbort);
      watchdog.cancel();
      stream.close();
    }
    if (signal.aborted) return 'stopped';
    if (events === 0 && this.#clock.now() - openedAt < VERY_SHORT_WATCH_MS) {
      this.#log.v(2).info('Very short watch: closed within a second without events; backing off');
      return 'backoff-rewatch';
    }
    this.#log.v(4).info('Watch closed; re-watching', { events, resourceVersion: this.#lastSyncResourceVersion });
    return 'rewatch';
  }

  #onWatchEvent(event: WatchEvent<T>): void {
    const rv = event.object.metadata?.resourceVersion;
    switch (event.type) {
      case 'BOOKMARK':
        break; // only advances the resourceVersion
      case 'ADDED':
      case 'MODIFIED': {
        const obj = this.#prepare(event.object);
        const key = keyOf(obj);
        const old = this.#cache.get(key);
        this.#cacheSet(key, obj);
        // As processDeltas: an Added for a known key is an update, a Modified for an unknown one an add.
        this.#distribute(old === undefined ? { kind: 'add', obj, initial: false } : { kind: 'update', oldObj: old, newObj: obj });
        break;
      }
      case 'DELETED': {
        const obj = this.#prepare(event.object);
        this.#cacheDelete(keyOf(obj));
        this.#distribute({ kind: 'delete', obj });
        break;
      }
    }
    if (rv !== undefined && rv !== '') this.#lastSyncResourceVersion = rv;
  }
}
