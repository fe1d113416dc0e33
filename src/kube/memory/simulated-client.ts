/**
 * KubeClient views of the simulated API server (a test double). Each request is accounted,
 * checked for cancellation, put through the injected faults and then served by the core; the
 * core works on plain JSON, which these views hand out typed. `get` and the writes answer copies
 * the caller may change; list items and watch events are the stored objects themselves,
 * deep-frozen (clone one before changing it), as an informer's cache hands them out.
 *
 * @module
 */
import type {
  DeleteOptions,
  KubeClient,
  ListOptions,
  ObjectKey,
  ObjectList,
  Patch,
  RequestOptions,
  ResourceClient,
  WatchOptions,
  WatchStream,
  WriteOptions,
} from '../client.js';
import type { TokenRequest } from 'kubernetes-types/authentication/v1.js';
import { apiErrors, KubeApiError } from '../errors.js';
import { EVENTS, LEASES, NODES, SERVICES } from '../resources.js';
import type { Event, KubeObject, Lease, Node, ResourceType, Service } from '../resources.js';
import type { ApiServerCore } from './api-server-core.js';
import type { FaultRegistry } from './faults.js';
import { isJsonObject } from '../json-value.js';
import type { JsonObject } from '../json-value.js';
import type { Subresource } from './kind-strategies.js';
import type { RequestCounter, Verb } from './request-counts.js';
import type { TokenIssuer } from './token-issuer.js';

/** What a client view needs from its server. */
export interface ClientDeps {
  readonly core: ApiServerCore;
  readonly counter: RequestCounter;
  readonly faults: FaultRegistry;
  readonly userAgent: string;
  /** Serves `serviceaccounts/<name>/token`. */
  readonly tokens: TokenIssuer;
}

/** Hands a core object out as the caller's type: the core keeps objects in their wire shape. */
function typed<T extends KubeObject>(obj: JsonObject): T {
  return obj as unknown as T;
}

function metaField(obj: unknown, field: 'name' | 'namespace'): string | undefined {
  const meta = isJsonObject(obj) ? obj['metadata'] : undefined;
  const value = isJsonObject(meta) ? meta[field] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A ResourceClient over the simulated API server. */
class SimulatedResourceClient<T extends KubeObject> implements ResourceClient<T> {
  readonly type: ResourceType<T>;
  readonly #deps: ClientDeps;

  constructor(type: ResourceType<T>, deps: ClientDeps) {
    this.type = type;
    this.#deps = deps;
  }

  async get(key: ObjectKey, options?: RequestOptions): Promise<T> {
    await this.#begin('get', 'main', key.namespace, key.name, options?.signal);
    return typed<T>(this.#deps.core.get(this.type, key));
  }

  async list(options: ListOptions = {}): Promise<ObjectList<T>> {
    await this.#begin('list', 'main', options.namespace, undefined, options.signal);
    const list = this.#deps.core.list(this.type, options);
    return { items: list.items.map((item) => typed<T>(item)), metadata: list.metadata };
  }

  async watch(options: WatchOptions = {}): Promise<WatchStream<T>> {
    const { signal } = options;
    await this.#begin('watch', 'main', options.namespace, undefined, signal);
    const stream = this.#deps.core.watch(this.type, options);
    if (signal !== undefined) {
      // Aborting the request closes the stream, as cancelling the HTTP request would.
      const onAbort = (): void => stream.close();
      signal.addEventListener('abort', onAbort, { once: true });
      stream.onEnd(() => signal.removeEventListener('abort', onAbort));
    }
    return stream as unknown as WatchStream<T>;
  }

  async create(object: T, options?: WriteOptions): Promise<T> {
    await this.#begin('create', 'main', metaField(object, 'namespace'), metaField(object, 'name'), options?.signal, options?.precondition);
    return typed<T>(this.#deps.core.create(this.type, object, options?.dryRun === true));
  }

  async update(object: T, options?: WriteOptions): Promise<T> {
    return this.#update(object, 'main', options);
  }

  async updateStatus(object: T, options?: WriteOptions): Promise<T> {
    return this.#update(object, 'status', options);
  }

  async patch(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#patch(key, patch, 'main', options);
  }

  async patchStatus(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#patch(key, patch, 'status', options);
  }

  async delete(key: ObjectKey, options: DeleteOptions = {}): Promise<void> {
    await this.#begin('delete', 'main', key.namespace, key.name, options.signal, options.precondition);
    this.#deps.core.delete(this.type, key, options, options.dryRun === true);
  }

  async createSubresource<R extends object>(key: ObjectKey, subresource: string, body: R, options?: WriteOptions): Promise<R> {
    const resource = `${this.type.resource}/${subresource}`;
    options?.precondition?.();
    this.#deps.counter.record('create', resource, this.#deps.userAgent);
    options?.signal?.throwIfAborted();
    await this.#deps.faults.apply({ verb: 'create', resource, namespace: key.namespace === '' ? undefined : key.namespace, name: key.name }, options?.signal);
    options?.signal?.throwIfAborted();
    // The one subresource the manager creates; the apiserver's others (eviction, binding, …) are
    // outside what a CCM touches.
    if (this.type.group !== '' || this.type.resource !== 'serviceaccounts' || subresource !== 'token') {
      throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const account = this.#deps.core.get(this.type, key);
    const uid = isJsonObject(account['metadata']) ? account['metadata']['uid'] : undefined;
    const request = body as unknown as TokenRequest;
    if (!isJsonObject(request) || !isJsonObject(request.spec)) throw apiErrors.badRequest('a TokenRequest with a spec is required');
    return this.#deps.tokens.issue(key.namespace ?? '', key.name, typeof uid === 'string' ? uid : '', request) as unknown as R;
  }

  async #update(object: T, subresource: Subresource, options: WriteOptions | undefined): Promise<T> {
    await this.#begin('update', subresource, metaField(object, 'namespace'), metaField(object, 'name'), options?.signal, options?.precondition);
    return typed<T>(this.#deps.core.update(this.type, object, subresource, options?.dryRun === true));
  }

  async #patch(key: ObjectKey, patch: Patch, subresource: Subresource, options: WriteOptions | undefined): Promise<T> {
    await this.#begin('patch', subresource, key.namespace, key.name, options?.signal, options?.precondition);
    return typed<T>(this.#deps.core.patch(this.type, key, patch, subresource, options?.dryRun === true));
  }

  /**
   * Accounts the request (failed ones too), then applies faults. Requests are served after an
   * await even without faults, so concurrent callers interleave as with a real server, but in
   * arrival order.
   */
  async #begin(verb: Verb, subresource: Subresource, namespace: string | undefined, name: string | undefined, signal: AbortSignal | undefined, precondition?: () => void): Promise<void> {
    // The request "leaves" here: a failed precondition sends nothing and is not accounted.
    precondition?.();
    const resource = subresource === 'status' ? `${this.type.resource}/status` : this.type.resource;
    this.#deps.counter.record(verb, resource, this.#deps.userAgent);
    signal?.throwIfAborted();
    await this.#deps.faults.apply({ verb, resource, namespace: namespace === '' ? undefined : namespace, name }, signal);
    signal?.throwIfAborted();
  }
}

/** A KubeClient over the simulated API server; requests are accounted under `deps.userAgent`. */
export class SimulatedKubeClient implements KubeClient {
  readonly nodes: ResourceClient<Node>;
  readonly services: ResourceClient<Service>;
  readonly events: ResourceClient<Event>;
  readonly leases: ResourceClient<Lease>;
  readonly #deps: ClientDeps;

  constructor(deps: ClientDeps) {
    this.#deps = deps;
    this.nodes = new SimulatedResourceClient(NODES, deps);
    this.services = new SimulatedResourceClient(SERVICES, deps);
    this.events = new SimulatedResourceClient(EVENTS, deps);
    this.leases = new SimulatedResourceClient(LEASES, deps);
  }

  resource<T extends KubeObject>(type: ResourceType<T>): ResourceClient<T> {
    // Unknown resources still get a client: its requests fail with 404, as on a real server.
    return new SimulatedResourceClient(type, this.#deps);
  }
}
