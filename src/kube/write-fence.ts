/**
 * Fencing for a leader's writes: a {@link KubeClient} whose every write first asks whether the
 * writer may still write (the Lease still held by the clock) and carries the writer's stop
 * signal, so a leader deposed while paused (SIGSTOP, a long GC) sends nothing once it resumes —
 * not even what was already queued when it stopped. Reads pass through.
 *
 * @module
 */
import { linkAbort } from './linked-abort.js';
import type { DeleteOptions, KubeClient, ObjectKey, Patch, ResourceClient, WriteOptions } from './client.js';
import type { KubeObject, ResourceType } from './resources.js';

/** Refusal of a write by a writer that no longer holds its Lease. */
export class NotLeaderError extends Error {
  override readonly name = 'NotLeaderError';
}

/** Decides whether writes may go out now; its predicate is set when leadership starts. */
export class WriteFence {
  #allowed: () => boolean = () => true;
  #why = 'the lease is no longer held';

  /** Sets what "may write" means (e.g. `() => elector.holdsLease()`) and how a refusal reads. */
  guard(allowed: () => boolean, why: string): void {
    this.#allowed = allowed;
    this.#why = why;
  }

  /**
   * Throws {@link NotLeaderError} when a write may not go out now. `what` may be a function, so a
   * caller on a hot path builds its description only for a refusal.
   */
  check(what: string | (() => string)): void {
    if (!this.#allowed()) throw new NotLeaderError(`refusing to ${typeof what === 'string' ? what : what()}: ${this.#why}`);
  }
}


class FencedResourceClient<T extends KubeObject> implements ResourceClient<T> {
  readonly type: ResourceType<T>;
  readonly #inner: ResourceClient<T>;
  readonly #fence: WriteFence;
  readonly #signal: AbortSignal | undefined;

  constructor(inner: ResourceClient<T>, fence: WriteFence, signal: AbortSignal | undefined) {
    this.type = inner.type;
    this.#inner = inner;
    this.#fence = fence;
    this.#signal = signal;
  }

  get: ResourceClient<T>['get'] = (key, options) => this.#inner.get(key, options);
  list: ResourceClient<T>['list'] = (options) => this.#inner.list(options);
  watch: ResourceClient<T>['watch'] = (options) => this.#inner.watch(options);

  /**
   * Runs one write: refused at once when the fence is closed, checked again as it leaves
   * (`precondition`), and aborted by either the caller's signal or the writer's stop signal —
   * both linked for this request only.
   */
  async #write<O extends WriteOptions | DeleteOptions, R>(verb: string, key: ObjectKey | undefined, options: O | undefined, send: (options: O) => Promise<R>): Promise<R> {
    const what = (): string => `${verb} ${this.type.resource}${key === undefined ? '' : ` ${key.namespace === undefined ? '' : `${key.namespace}/`}${key.name}`}`;
    // Checked now (a refusal costs nothing), and again as the request leaves (see precondition).
    this.#fence.check(what);
    const outer = options?.precondition;
    const precondition = (): void => {
      outer?.();
      this.#fence.check(what);
    };
    const given = options?.signal;
    const stop = this.#signal;
    // One signal (most often a controller passing on its own stop signal, the writer's too):
    // nothing to link, so no AbortController per write.
    if (given === undefined || stop === undefined || given === stop) {
      const signal = given ?? stop;
      return send({ ...(options ?? {}), ...(signal === undefined ? {} : { signal }), precondition } as O);
    }
    const both = new AbortController();
    const unlinkGiven = linkAbort(given, both);
    const unlinkStop = linkAbort(stop, both);
    try {
      return await send({ ...options, signal: both.signal, precondition } as O);
    } finally {
      unlinkGiven();
      unlinkStop();
    }
  }

  create(object: T, options?: WriteOptions): Promise<T> {
    return this.#write('create', undefined, options, (o) => this.#inner.create(object, o));
  }
  update(object: T, options?: WriteOptions): Promise<T> {
    return this.#write('update', keyOf(object), options, (o) => this.#inner.update(object, o));
  }
  updateStatus(object: T, options?: WriteOptions): Promise<T> {
    return this.#write('update status of', keyOf(object), options, (o) => this.#inner.updateStatus(object, o));
  }
  patch(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#write('patch', key, options, (o) => this.#inner.patch(key, patch, o));
  }
  patchStatus(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#write('patch status of', key, options, (o) => this.#inner.patchStatus(key, patch, o));
  }
  delete(key: ObjectKey, options?: DeleteOptions): Promise<void> {
    return this.#write('delete', key, options, (o) => this.#inner.delete(key, o));
  }
  createSubresource<R extends object>(key: ObjectKey, subresource: string, body: R, options?: WriteOptions): Promise<R> {
    return this.#write(`create ${subresource} of`, key, options, (o) => this.#inner.createSubresource(key, subresource, body, o));
  }
}

function keyOf(object: KubeObject): ObjectKey {
  const ns = object.metadata?.namespace;
  return { name: object.metadata?.name ?? '', ...(ns === undefined ? {} : { namespace: ns }) };
}

/** `client` with every write checked against `fence` and bounded by `signal` (when given). */
export function fencedClient(client: KubeClient, fence: WriteFence, signal?: AbortSignal): KubeClient {
  const cache = new Map<ResourceType, ResourceClient<KubeObject>>();
  const wrap = <T extends KubeObject>(type: ResourceType<T>, inner: ResourceClient<T>): ResourceClient<T> => {
    let fenced = cache.get(type);
    if (fenced === undefined) {
      fenced = new FencedResourceClient(inner, fence, signal);
      cache.set(type, fenced);
    }
    return fenced as unknown as ResourceClient<T>;
  };
  return {
    get nodes() {
      return wrap(client.nodes.type, client.nodes);
    },
    get services() {
      return wrap(client.services.type, client.services);
    },
    get events() {
      return wrap(client.events.type, client.events);
    },
    get leases() {
      return wrap(client.leases.type, client.leases);
    },
    resource: <T extends KubeObject>(type: ResourceType<T>) => wrap(type, client.resource(type)),
  };
}
