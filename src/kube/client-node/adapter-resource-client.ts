/**
 * A {@link ResourceClient} over HTTP: each seam operation as the Kubernetes REST call client-go
 * would make, objects kept as raw JSON end to end (no typed decoding, so fields this client does
 * not know survive a read-modify-write).
 *
 * @module
 */
import type {
  DeleteOptions,
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
import { patchContentType } from '../client.js';
import type { Clock } from '../clock.js';
import { apiErrors } from '../errors.js';
import { apiVersionOf } from '../resources.js';
import type { KubeObject, ResourceType } from '../resources.js';
import type { HttpTransport, TransportRequest } from './http-transport.js';
import { HttpWatchStream } from './http-watch-stream.js';
import { collectionPath, objectPath } from './rest-path.js';

/** What a resource client needs from its KubeClient. */
export interface AdapterDeps {
  readonly transport: HttpTransport;
  readonly clock: Clock;
  /** Grace after a watch's timeoutSeconds before the client closes it itself, ms. */
  readonly watchGraceMs: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function writeQuery(options: WriteOptions | DeleteOptions | undefined): URLSearchParams | undefined {
  const query = new URLSearchParams();
  if (options !== undefined && 'fieldManager' in options && options.fieldManager !== undefined) query.set('fieldManager', options.fieldManager);
  if (options?.dryRun === true) query.set('dryRun', 'All');
  return query.size === 0 ? undefined : query;
}

/** A ResourceClient talking HTTP to an apiserver. */
export class AdapterResourceClient<T extends KubeObject> implements ResourceClient<T> {
  readonly type: ResourceType<T>;
  readonly #deps: AdapterDeps;

  constructor(type: ResourceType<T>, deps: AdapterDeps) {
    this.type = type;
    this.#deps = deps;
  }

  async get(key: ObjectKey, options?: RequestOptions): Promise<T> {
    return this.#object({ verb: 'get', resource: this.type.resource, method: 'GET', path: objectPath(this.type, key.namespace, key.name), signal: options?.signal });
  }

  async list(options: ListOptions = {}): Promise<ObjectList<T>> {
    const query = new URLSearchParams();
    if (options.labelSelector !== undefined && options.labelSelector !== '') query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector !== undefined && options.fieldSelector !== '') query.set('fieldSelector', options.fieldSelector);
    if (options.resourceVersion !== undefined && options.resourceVersion !== '') query.set('resourceVersion', options.resourceVersion);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.continue !== undefined && options.continue !== '') query.set('continue', options.continue);
    const body = await this.#deps.transport.request({
      verb: 'list',
      resource: this.type.resource,
      method: 'GET',
      path: collectionPath(this.type, options.namespace),
      query,
      signal: options.signal,
    });
    const list = isRecord(body) ? body : {};
    const items = Array.isArray(list['items']) ? (list['items'] as T[]) : [];
    const meta = isRecord(list['metadata']) ? list['metadata'] : {};
    // A real apiserver omits apiVersion/kind on list items; fill them so both seams agree.
    const apiVersion = apiVersionOf(this.type);
    for (const item of items) {
      if (item.apiVersion === undefined) item.apiVersion = apiVersion;
      if (item.kind === undefined) item.kind = this.type.kind;
    }
    return {
      items,
      metadata: {
        resourceVersion: typeof meta['resourceVersion'] === 'string' ? meta['resourceVersion'] : '',
        ...(typeof meta['continue'] === 'string' && meta['continue'] !== '' ? { continue: meta['continue'] } : {}),
        ...(typeof meta['remainingItemCount'] === 'number' ? { remainingItemCount: meta['remainingItemCount'] } : {}),
      },
    };
  }

  async watch(options: WatchOptions = {}): Promise<WatchStream<T>> {
    const query = new URLSearchParams({ watch: 'true' });
    if (options.labelSelector !== undefined && options.labelSelector !== '') query.set('labelSelector', options.labelSelector);
    if (options.fieldSelector !== undefined && options.fieldSelector !== '') query.set('fieldSelector', options.fieldSelector);
    if (options.resourceVersion !== undefined && options.resourceVersion !== '') query.set('resourceVersion', options.resourceVersion);
    if (options.allowWatchBookmarks === true) query.set('allowWatchBookmarks', 'true');
    if (options.timeoutSeconds !== undefined) query.set('timeoutSeconds', String(options.timeoutSeconds));
    const open = await this.#deps.transport.stream({
      verb: 'watch',
      resource: this.type.resource,
      method: 'GET',
      path: collectionPath(this.type, options.namespace),
      query,
      signal: options.signal,
    });
    const timeout = options.timeoutSeconds;
    return new HttpWatchStream<T>(open, {
      clock: this.#deps.clock,
      signal: options.signal,
      // The server should end the stream at timeoutSeconds; a client-side bound a little later
      // keeps a silently stalled connection from hanging the informer forever.
      ...(timeout !== undefined && timeout > 0 ? { maxDurationMs: timeout * 1000 + this.#deps.watchGraceMs } : {}),
    });
  }

  async create(object: T, options?: WriteOptions): Promise<T> {
    return this.#object({
      verb: 'create',
      resource: this.type.resource,
      method: 'POST',
      path: this.#createPath(object),
      body: object,
      ...this.#writeQuery(options),
      signal: options?.signal,
      precondition: options?.precondition,
    });
  }

  async update(object: T, options?: WriteOptions): Promise<T> {
    return this.#put(object, undefined, options);
  }

  async updateStatus(object: T, options?: WriteOptions): Promise<T> {
    return this.#put(object, 'status', options);
  }

  async patch(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#patch(key, patch, undefined, options);
  }

  async patchStatus(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T> {
    return this.#patch(key, patch, 'status', options);
  }

  async delete(key: ObjectKey, options: DeleteOptions = {}): Promise<void> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.preconditions !== undefined) body['preconditions'] = { ...options.preconditions };
    if (options.propagationPolicy !== undefined) body['propagationPolicy'] = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body['gracePeriodSeconds'] = options.gracePeriodSeconds;
    // kube-apiserver reads DeleteOptions from the body when there is one and then ignores the
    // query: a dryRun only in the query would really delete. It goes in the body (and the query).
    if (options.dryRun === true) body['dryRun'] = ['All'];
    await this.#deps.transport.request({
      verb: 'delete',
      resource: this.type.resource,
      method: 'DELETE',
      path: objectPath(this.type, key.namespace, key.name),
      body,
      ...this.#writeQuery(options),
      signal: options.signal,
      precondition: options.precondition,
    });
  }

  async createSubresource<R extends object>(key: ObjectKey, subresource: string, body: R, options?: WriteOptions): Promise<R> {
    if (subresource === '' || subresource.includes('/')) throw apiErrors.badRequest(`invalid subresource ${JSON.stringify(subresource)}`);
    const answer = await this.#deps.transport.request({
      verb: 'create',
      resource: `${this.type.resource}/${subresource}`,
      method: 'POST',
      path: objectPath(this.type, key.namespace, key.name, subresource),
      body,
      ...this.#writeQuery(options),
      signal: options?.signal,
      precondition: options?.precondition,
    });
    return (isRecord(answer) ? answer : {}) as R;
  }

  #createPath(object: T): string {
    const ns = object.metadata?.namespace ?? '';
    // As the simulated server: a namespaced object needs its namespace (no default namespace).
    if (this.type.namespaced && ns === '') throw apiErrors.badRequest(`a namespace is required for the namespaced resource ${this.type.resource}`);
    return collectionPath(this.type, ns);
  }

  #writeQuery(options: WriteOptions | DeleteOptions | undefined): { query?: URLSearchParams } {
    const query = writeQuery(options);
    return query === undefined ? {} : { query };
  }

  async #put(object: T, subresource: 'status' | undefined, options: WriteOptions | undefined): Promise<T> {
    const resource = subresource === undefined ? this.type.resource : `${this.type.resource}/status`;
    return this.#object({
      verb: 'update',
      resource,
      method: 'PUT',
      path: objectPath(this.type, object.metadata?.namespace, object.metadata?.name, subresource),
      body: object,
      ...this.#writeQuery(options),
      signal: options?.signal,
      precondition: options?.precondition,
    });
  }

  async #patch(key: ObjectKey, patch: Patch, subresource: 'status' | undefined, options: WriteOptions | undefined): Promise<T> {
    const resource = subresource === undefined ? this.type.resource : `${this.type.resource}/status`;
    // The content type follows the patch type explicitly: client-node 1.4.0 would default to JSON Patch.
    return this.#object({
      verb: 'patch',
      resource,
      method: 'PATCH',
      path: objectPath(this.type, key.namespace, key.name, subresource),
      body: patch.body,
      contentType: patchContentType(patch.type),
      ...this.#writeQuery(options),
      signal: options?.signal,
      precondition: options?.precondition,
    });
  }

  async #object(req: TransportRequest): Promise<T> {
    const body = await this.#deps.transport.request(req);
    return (isRecord(body) ? body : {}) as T;
  }
}
