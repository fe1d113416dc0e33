/**
 * A simulated manager process that can be paused (SIGSTOP), resumed (SIGCONT) or killed
 * (SIGKILL) while the rest of the simulation goes on. Everything the process does from outside
 * its own JavaScript passes a {@link ProcessGate}: its timers ({@link ProcessClock}), its API
 * requests, answers and watch events ({@link gatedKubeClient}), its cloud calls (the call log's
 * gate). While paused, nothing of it runs and what arrives for it waits; when resumed, what
 * waited arrives first (a process stopped while idle resumes in its poll phase), then the timers
 * that fell due meanwhile fire, in order; once killed, nothing of it ever runs again.
 *
 * @module
 */
import { sleepOn } from '../../kube/clock.js';
import type { Clock, Timer } from '../../kube/clock.js';
import type { DeleteOptions, KubeClient, ListOptions, ObjectKey, Patch, RequestOptions, ResourceClient, WatchEvent, WatchOptions, WatchStream, WriteOptions } from '../../kube/client.js';
import type { KubeObject, ResourceType } from '../../kube/resources.js';

/** Whether a simulated process runs, is frozen, or is gone. */
export type ProcessState = 'running' | 'paused' | 'killed';

/** Lets promise continuations run before the next piece of the process does. */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The run state of one simulated process; see the module comment. */
export class ProcessGate {
  #state: ProcessState = 'running';
  /** Resolves the waiters of the current pause. */
  #release: (() => void) | undefined;
  #released: Promise<void> = Promise.resolve();
  /** Timer callbacks that fell due while paused, in the order they fell due. */
  #deferred: (() => void)[] = [];
  readonly #onKill = new Set<() => void>();

  get state(): ProcessState {
    return this.#state;
  }

  /** The process runs: what passes the gate goes straight through. */
  get open(): boolean {
    return this.#state === 'running';
  }

  /** Resolves once the process runs: at once when it does, on resume when paused, never when killed. */
  wait(): Promise<void> {
    return this.#released;
  }

  /** Runs a timer callback now, or on resume when paused; never once killed. */
  fire(fn: () => void): void {
    if (this.#state === 'running') fn();
    else if (this.#state === 'paused') this.#deferred.push(fn);
  }

  /** Calls `fn` when the process is killed (e.g. to close its connections); returns the unregistration. */
  onKill(fn: () => void): () => void {
    this.#onKill.add(fn);
    return () => this.#onKill.delete(fn);
  }

  /** Freezes the process. */
  pause(): void {
    if (this.#state !== 'running') throw new Error(`cannot pause a ${this.#state} process`);
    this.#state = 'paused';
    this.#released = new Promise((resolve) => (this.#release = resolve));
  }

  /**
   * Lets a paused process run again: held requests, answers and watch events go on first, then
   * the timers that fell due while it was paused fire in order, each followed by the work it
   * started.
   */
  async resume(): Promise<void> {
    if (this.#state !== 'paused') throw new Error(`cannot resume a ${this.#state} process`);
    this.#state = 'running';
    this.#release?.();
    this.#release = undefined;
    await settleMicrotasks();
    while (this.#state === 'running') {
      const fn = this.#deferred.shift();
      if (fn === undefined) break;
      fn();
      await settleMicrotasks();
    }
  }

  /** The process is gone: nothing held is ever released, no timer of it fires again. */
  kill(): void {
    if (this.#state === 'killed') throw new Error('the process is already killed');
    this.#state = 'killed';
    this.#deferred = [];
    // Waiters of a pause stay unresolved for good; new ones get a promise that never settles.
    this.#release = undefined;
    this.#released = new Promise<void>(() => {});
    for (const fn of [...this.#onKill]) fn();
    this.#onKill.clear();
  }

  /** `promise`'s outcome, delivered only when the process runs. */
  deliver<T>(promise: Promise<T>): Promise<T> {
    return promise.then(
      (value) => (this.open ? value : this.wait().then(() => value)),
      (err: unknown) => (this.open ? Promise.reject(err as Error) : this.wait().then(() => Promise.reject(err as Error))),
    );
  }

  /** Starts `call` when the process runs and delivers its outcome when it runs. */
  pass<T>(call: () => Promise<T>): Promise<T> {
    return this.open ? this.deliver(call()) : this.wait().then(() => this.deliver(call()));
  }
}

/**
 * The process's clock: time is the simulation's, but its timers fire through the gate (deferred
 * while paused, never once killed).
 */
export class ProcessClock implements Clock {
  readonly #inner: Clock;
  readonly #gate: ProcessGate;

  constructor(inner: Clock, gate: ProcessGate) {
    this.#inner = inner;
    this.#gate = gate;
  }

  now(): number {
    return this.#inner.now();
  }

  setTimer(ms: number, fn: () => void): Timer {
    let cancelled = false;
    const timer = this.#inner.setTimer(ms, () => {
      if (!cancelled) this.#gate.fire(() => !cancelled && fn());
    });
    return {
      cancel: () => {
        cancelled = true;
        timer.cancel();
      },
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/** What a {@link gatedKubeClient} reports about the requests that reached the API server. */
export interface GatedClientHooks {
  /** A write (create, update, patch, delete, subresource) the server accepted, on `resource`. */
  readonly onWrite?: (resource: string) => void;
  /** A request about to leave the process (`verb` and `resource`, e.g. `update`, `leases`). */
  readonly onRequest?: (verb: string, resource: string) => void;
}

class GatedResourceClient<T extends KubeObject> implements ResourceClient<T> {
  readonly type: ResourceType<T>;
  readonly #inner: ResourceClient<T>;
  readonly #gate: ProcessGate;
  readonly #hooks: GatedClientHooks;
  readonly #open: Set<WatchStream<KubeObject>>;

  constructor(inner: ResourceClient<T>, gate: ProcessGate, hooks: GatedClientHooks, open: Set<WatchStream<KubeObject>>) {
    this.type = inner.type;
    this.#inner = inner;
    this.#gate = gate;
    this.#hooks = hooks;
    this.#open = open;
  }

  #read<R>(verb: string, call: () => Promise<R>): Promise<R> {
    return this.#gate.pass(() => {
      this.#hooks.onRequest?.(verb, this.type.resource);
      return call();
    });
  }

  #write<R>(verb: string, call: () => Promise<R>): Promise<R> {
    const onWrite = this.#hooks.onWrite;
    return this.#gate.pass(() => {
      this.#hooks.onRequest?.(verb, this.type.resource);
      // Counted when the server answers, whether or not the frozen process gets to see the answer.
      return onWrite === undefined
        ? call()
        : call().then((value) => {
            onWrite(this.type.resource);
            return value;
          });
    });
  }

  get(key: ObjectKey, options?: RequestOptions): Promise<T> {
    return this.#read('get', () => this.#inner.get(key, options));
  }
  list(options?: ListOptions): Promise<Awaited<ReturnType<ResourceClient<T>['list']>>> {
    return this.#read('list', () => this.#inner.list(options));
  }
  watch(options?: WatchOptions): Promise<WatchStream<T>> {
    return this.#read('watch', async () => gatedStream(await this.#inner.watch(options), this.#gate, this.#open));
  }
  create(object: T, options?: WriteOptions): Promise<T> {
    return this.#write('create', () => this.#inner.create(object, options));
  }
  update(object: T, options?: WriteOptions): Promise<T> {
    return this.#write('update', () => this.#inner.update(object, options));
  }
  updateStatus(object: T, options?: WriteOptions): Promise<T> {
    return this.#write('update', () => this.#inner.updateStatus(object, options));
  }
  patch(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#write('patch', () => this.#inner.patch(key, patch, options));
  }
  patchStatus(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#write('patch', () => this.#inner.patchStatus(key, patch, options));
  }
  delete(key: ObjectKey, options?: DeleteOptions): Promise<void> {
    return this.#write('delete', () => this.#inner.delete(key, options));
  }
  createSubresource<R extends object>(key: ObjectKey, subresource: string, body: R, options?: WriteOptions): Promise<R> {
    return this.#write('create', () => this.#inner.createSubresource(key, subresource, body, options));
  }
}

/** A watch whose events reach the process only while it runs; a killed process's watch is closed. */
function gatedStream<T extends KubeObject>(inner: WatchStream<T>, gate: ProcessGate, open: Set<WatchStream<KubeObject>>): WatchStream<T> {
  const events = inner[Symbol.asyncIterator]();
  open.add(inner);
  const forget = (result: IteratorResult<WatchEvent<T>>): IteratorResult<WatchEvent<T>> => {
    if (result.done === true) open.delete(inner);
    return result;
  };
  return {
    close: () => {
      open.delete(inner);
      inner.close();
    },
    [Symbol.asyncIterator]: () => ({
      next: () => gate.pass(() => events.next().then(forget)),
      return: (): Promise<IteratorResult<WatchEvent<T>>> => {
        open.delete(inner);
        inner.close();
        return Promise.resolve({ done: true, value: undefined });
      },
    }),
  };
}

/**
 * `client` as the process sees it: requests start and answers and watch events arrive only while
 * it runs; when it is killed its watches are closed (its connections die with it).
 */
export function gatedKubeClient(client: KubeClient, gate: ProcessGate, hooks: GatedClientHooks = {}): KubeClient {
  const open = new Set<WatchStream<KubeObject>>();
  gate.onKill(() => {
    for (const stream of [...open]) stream.close();
    open.clear();
  });
  const cache = new Map<ResourceType, ResourceClient<KubeObject>>();
  const wrap = <T extends KubeObject>(inner: ResourceClient<T>): ResourceClient<T> => {
    let gated = cache.get(inner.type);
    if (gated === undefined) {
      gated = new GatedResourceClient(inner, gate, hooks, open);
      cache.set(inner.type, gated);
    }
    return gated as unknown as ResourceClient<T>;
  };
  return {
    get nodes() {
      return wrap(client.nodes);
    },
    get services() {
      return wrap(client.services);
    },
    get events() {
      return wrap(client.events);
    },
    get leases() {
      return wrap(client.leases);
    },
    resource: <T extends KubeObject>(type: ResourceType<T>) => wrap(client.resource(type)),
  };
}
