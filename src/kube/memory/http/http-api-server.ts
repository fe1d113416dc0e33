/**
 * The HTTP face of the simulated API server (a test double and sandbox): serves a
 * {@link SimulatedApiServer} over plain HTTP on loopback with the Kubernetes REST paths, so the
 * client-node adapter, the manager's end-to-end tests and kubectl can talk to it as to a cluster.
 *
 * Plain HTTP by default, HTTPS when given a certificate; it binds to 127.0.0.1 by default and is
 * not meant to leave the host (no authentication beyond an optional fixed bearer token).
 *
 * @module
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { DeleteOptions, JsonPatchOperation, KubeClient, ListOptions, Patch, ResourceClient, WatchOptions, WriteOptions } from '../../client.js';
import { apiErrors, KubeApiError } from '../../errors.js';
import { anonymousForbidden, anonymousMayRequest } from './anonymous-access.js';
import type { ResourceRequest } from './anonymous-access.js';
import type { ApiStatus } from '../../errors.js';
import { BUILTIN_RESOURCES, NAMESPACES, SERVICE_ACCOUNTS, apiVersionOf } from '../../resources.js';
import type { KubeObject, ResourceType } from '../../resources.js';
import type { SimulatedApiServer } from '../simulated-api-server.js';
import { AGGREGATED_DISCOVERY_TYPE, aggregatedDiscovery, coreVersions, group, groupList, resourceList, versionInfo, wantsAggregated } from './discovery.js';
import { parseFieldValidation, unknownFieldMessages, unknownFields } from './field-validation.js';
import type { FieldValidation } from './field-validation.js';
import { openApiDocument, openApiIndex, schemaOfKind } from './openapi.js';
import { answerReview } from './reviews.js';
import { decodeProtobuf, PROTOBUF_TYPE, readsProtobuf } from './protobuf.js';
import { parseIncludeObject, tableApiVersion, toTable, wantsTable } from './table.js';
import type { IncludeObject } from './table.js';
import { CLUSTER_ROLE_BINDINGS, CLUSTER_ROLES, EXTRA_STORED_RESOURCES, REVIEW_RESOURCES, ROLE_BINDINGS, ROLES } from '../served-kinds.js';
import type { ReviewResource } from '../served-kinds.js';
import { SYSTEM_MASTERS } from '../rbac.js';
import type { RbacObjects, UserInfo } from '../rbac.js';
import type { JsonObject } from '../../json-value.js';
import { HttpFaults } from './http-faults.js';
import type { HttpFaultAction, HttpFaultSpec } from './http-faults.js';
import { kubeconfigFor } from './kubeconfig.js';
import type { KubeconfigOptions } from './kubeconfig.js';
import { routeRestPath } from './rest-paths.js';
import type { RestTarget } from './rest-paths.js';
import { errorMessage } from '../../../log/error-message.js';

/** Options of {@link HttpApiServer.start}. */
export interface HttpApiServerOptions {
  /** The simulated API server to serve. */
  readonly server: SimulatedApiServer;
  /** Address to bind (default `127.0.0.1`: the face is a loopback test bed). */
  readonly host?: string;
  /** Port (default 0: an ephemeral port, read it from {@link HttpApiServer.url}). */
  readonly port?: number;
  /** Resources registered on `server` besides the built-in four, to route them too. */
  readonly resources?: readonly ResourceType[];
  /** When set, every request must carry `Authorization: Bearer <token>` (401 otherwise). */
  readonly token?: string;
  /** Largest accepted request body (default 3 MiB, the apiserver's limit). */
  readonly maxBodyBytes?: number;
  /**
   * Serve HTTPS with this PEM certificate and key. The kubeconfig carries `ca` as the
   * certificate authority when given (a certificate signed by a generated CA), else the
   * certificate itself (self-signed).
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer; readonly ca?: string | Buffer };
  /**
   * Who a request bearing {@link HttpApiServerOptions.token} (or any request, when no token is
   * set) is, for SelfSubjectAccessReview, SelfSubjectReview and TokenReview. Default
   * `outrigger-admin` in `system:masters` (allowed everything, as a cluster admin).
   */
  readonly adminUser?: UserInfo;
}

/** The identity of the face's own token when none is configured: a cluster admin. */
export const DEFAULT_ADMIN_USER: UserInfo = { username: 'outrigger-admin', groups: [SYSTEM_MASTERS, 'system:authenticated'] };

/** One request the face received, for assertions on what a client sent. */
export interface RecordedRequest {
  readonly method: string;
  readonly pathname: string;
  readonly query: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  /** The client's port: requests sharing it came over one (keep-alive) connection. */
  readonly remotePort: number | undefined;
}

/** Fault hooks at the HTTP level (see {@link HttpFaultSpec}). */
export interface HttpFaultInjector {
  inject(spec: HttpFaultSpec): void;
  clear(): void;
}

const DEFAULT_MAX_BODY = 3 * 1024 * 1024;
/** Requests kept in {@link HttpApiServer.requests}; older ones are dropped. */
const MAX_RECORDED = 10_000;

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

function intParam(params: URLSearchParams, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw apiErrors.badRequest(`invalid value for ${name}: ${JSON.stringify(raw)}: must be an integer`);
  return Number(raw);
}

function optional<K extends string, V>(key: K, value: V | undefined | null): { [P in K]?: V } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metaString(obj: unknown, field: string): string | undefined {
  const meta = isRecord(obj) ? obj['metadata'] : undefined;
  const value = isRecord(meta) ? meta[field] : undefined;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Serves a simulated API server over HTTP on loopback (a test double, plain HTTP).
 *
 * @example
 * ```ts
 * const sim = new SimulatedApiServer();
 * const face = await HttpApiServer.start({ server: sim });
 * await face.writeKubeconfig('/tmp/kubeconfig'); // kubectl --kubeconfig /tmp/kubeconfig get nodes
 * await face.close();
 * ```
 */
export class HttpApiServer {
  /** Base URL, e.g. `http://127.0.0.1:43817`. */
  readonly url: string;
  /** Transport-level faults (reset, hang, raw answers). */
  readonly faults: HttpFaultInjector;
  readonly #sim: SimulatedApiServer;
  readonly #http: Server;
  readonly #types: ResourceType[];
  readonly #token: string | undefined;
  readonly #caData: string | undefined;
  readonly #admin: UserInfo;
  readonly #maxBody: number;
  readonly #faults: HttpFaults;
  readonly #clients = new Map<string, KubeClient>();
  readonly #requests: RecordedRequest[] = [];
  readonly #requestWaiters = new Set<{ match: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }>();
  readonly #open = new Set<ServerResponse>();
  #closed = false;

  private constructor(options: HttpApiServerOptions, http: Server, url: string, faults: HttpFaults) {
    this.#sim = options.server;
    this.#http = http;
    this.url = url;
    this.#types = [...BUILTIN_RESOURCES, SERVICE_ACCOUNTS, NAMESPACES, ...EXTRA_STORED_RESOURCES, ...(options.resources ?? [])];
    this.#token = options.token;
    this.#caData = options.tls === undefined ? undefined : Buffer.from(options.tls.ca ?? options.tls.cert).toString('base64');
    this.#admin = options.adminUser ?? DEFAULT_ADMIN_USER;
    this.#maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
    this.#faults = faults;
    this.faults = faults;
  }

  /** Starts serving; resolves once the socket listens. */
  static async start(options: HttpApiServerOptions): Promise<HttpApiServer> {
    const http: Server = options.tls === undefined ? createServer() : createTlsServer({ cert: options.tls.cert, key: options.tls.key });
    // Long-lived watches must not be cut by Node's default request timeouts.
    http.requestTimeout = 0;
    http.headersTimeout = 60_000;
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const address = http.address() as AddressInfo;
    const hostPart = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const scheme = options.tls === undefined ? 'http' : 'https';
    const face = new HttpApiServer(options, http, `${scheme}://${hostPart}:${address.port}`, new HttpFaults());
    http.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void face.#handle(req, res);
    });
    return face;
  }

  /** Requests received so far (most recent last; at most the last 10 000). */
  get requests(): readonly RecordedRequest[] {
    return this.#requests;
  }

  /** Resolves with the next request (from now on) that `match` accepts. */
  nextRequest(match: (r: RecordedRequest) => boolean = () => true): Promise<RecordedRequest> {
    return new Promise((resolve) => {
      this.#requestWaiters.add({ match, resolve });
    });
  }

  /** Registers a resource on the simulated server and routes it. */
  registerResource(type: ResourceType): void {
    this.#sim.registerResource(type);
    if (!this.#types.some((t) => t.group === type.group && t.version === type.version && t.resource === type.resource)) this.#types.push(type);
  }

  /** A kubeconfig (YAML text) pointing at this face. */
  kubeconfig(options: KubeconfigOptions = {}): string {
    return kubeconfigFor(this.url, {
      ...options,
      ...optional('token', options.token ?? this.#token),
      ...optional('caData', options.caData ?? this.#caData),
    });
  }

  /** Writes {@link HttpApiServer.kubeconfig} to `path` (mode 0600, as kubectl writes it). */
  async writeKubeconfig(path: string, options: KubeconfigOptions = {}): Promise<void> {
    await writeFile(path, this.kubeconfig(options), { mode: 0o600 });
  }

  /** Stops listening, ends open watches and drops every connection (hung requests included). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const res of this.#open) res.destroy();
    const done = new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.#http.closeAllConnections();
    await done;
  }

  // --- request handling -------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://face.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    const watch = isTrue(url.searchParams.get('watch'));
    this.#record(method, url, req);
    this.#open.add(res);
    res.on('close', () => this.#open.delete(res));
    const fault = this.#faults.take({ method, pathname: url.pathname, watch });
    if (fault !== undefined) {
      this.#applyFault(fault, req, res);
      return;
    }
    // Cancels the simulated request when the client goes away, as the apiserver's request context.
    const abort = new AbortController();
    res.on('close', () => abort.abort(new DOMException('client disconnected', 'AbortError')));
    try {
      if (this.#token !== undefined) {
        const header = req.headers.authorization;
        if (header === undefined) {
          // No credentials: kube-apiserver's anonymous user, who may only read health and version.
          if (!anonymousMayRequest(method, url.pathname)) throw anonymousForbidden(method, url.pathname, this.#resourceRequestOf(url.pathname, watch));
        } else if (!this.#authenticated(header)) {
          throw new KubeApiError(401, 'Unauthorized', 'Unauthorized');
        }
      }
      if (this.#serveMeta(method, url.pathname, req.headers.accept, res)) return;
      const review = reviewRoute(url.pathname);
      if (review !== undefined) {
        await this.#serveReview(method, review.resource, review.namespace, req, res);
        return;
      }
      const route = routeRestPath(url.pathname, this.#types);
      if (!route.ok) {
        throw new KubeApiError(404, 'NotFound', 'the server could not find the requested resource', {
          details: { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] },
        });
      }
      await this.#serveResource(method, url.searchParams, route.target, req, res, abort.signal, watch);
    } catch (err) {
      if (abort.signal.aborted) return;
      this.#sendError(res, err);
    }
  }

  /** The resource a path names, as the apiserver's authorizer sees it; undefined for other paths. */
  #resourceRequestOf(pathname: string, watch: boolean): ResourceRequest | undefined {
    const review = reviewRoute(pathname);
    if (review !== undefined) return { type: review.resource, namespace: review.namespace, watch: false };
    const route = routeRestPath(pathname, this.#types);
    if (!route.ok) return undefined;
    const { type, namespace, name, subresource } = route.target;
    return { type, namespace, name, subresource, watch };
  }

  /** The face's own token, or a live service-account token minted by the simulated server. */
  #authenticated(header: string | undefined): boolean {
    if (header === `Bearer ${this.#token ?? ''}`) return true;
    const token = /^Bearer (.+)$/.exec(header ?? '')?.[1];
    return token !== undefined && this.#sim.authenticateToken(token) !== undefined;
  }

  /** Who a bearer token is: the face's token (or any, when the face checks none) is the admin. */
  #userOfToken(token: string | undefined): UserInfo | undefined {
    if (token !== undefined) {
      const sa = this.#sim.authenticateToken(token);
      if (sa !== undefined) return { username: sa.username, uid: sa.uid, groups: [...sa.groups] };
    }
    if (this.#token === undefined || token === this.#token) return this.#admin;
    return undefined;
  }

  #rbac(): RbacObjects {
    const objs = (t: ResourceType): JsonObject[] => this.#sim.objects(t) as unknown as JsonObject[];
    return { roles: objs(ROLES), clusterRoles: objs(CLUSTER_ROLES), roleBindings: objs(ROLE_BINDINGS), clusterRoleBindings: objs(CLUSTER_ROLE_BINDINGS) };
  }

  async #serveReview(method: string, review: ReviewResource, namespace: string | undefined, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (method !== 'POST') {
      req.resume();
      throw apiErrors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    // kubectl's typed clients post reviews as protobuf (auth can-i, auth whoami).
    const body = contentType === PROTOBUF_TYPE ? decodeProtobuf(await this.#readBytes(req), review.kind) : ((await this.#readObject(req)) as unknown as JsonObject);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const requester = impersonated(req, this.#userOfToken(token) ?? { username: 'system:anonymous', groups: ['system:unauthenticated'] });
    const answer = answerReview(review, body, {
      requester,
      authenticate: (t) => (t === '' ? undefined : this.#token === undefined && this.#sim.authenticateToken(t) === undefined ? undefined : this.#userOfToken(t)),
      rbac: () => this.#rbac(),
      namespace,
    });
    this.#sendJson(res, 201, answer);
  }

  #record(method: string, url: URL, req: IncomingMessage): void {
    const entry: RecordedRequest = {
      method,
      pathname: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: flatHeaders(req),
      remotePort: req.socket.remotePort,
    };
    this.#requests.push(entry);
    if (this.#requests.length > MAX_RECORDED) this.#requests.splice(0, this.#requests.length - MAX_RECORDED);
    for (const waiter of [...this.#requestWaiters]) {
      if (waiter.match(entry)) {
        this.#requestWaiters.delete(waiter);
        waiter.resolve(entry);
      }
    }
  }

  #applyFault(fault: HttpFaultAction, req: IncomingMessage, res: ServerResponse): void {
    switch (fault.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        // Drain the body so the client finishes sending, then never answer.
        req.resume();
        return;
      case 'respond':
        req.resume();
        res.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
        res.end(fault.body ?? '');
        return;
    }
  }

  /** Health, version, discovery and OpenAPI endpoints; false when `pathname` is not one of them. */
  #serveMeta(method: string, pathname: string, accept: string | undefined, res: ServerResponse): boolean {
    const path = pathname.replace(/\/+$/, '') || '/';
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return true;
    }
    let body: unknown;
    if ((path === '/api' || path === '/apis') && wantsAggregated(accept)) {
      if (method !== 'GET') throw apiErrors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      this.#sendJson(res, 200, aggregatedDiscovery(this.#types, path === '/api'), AGGREGATED_DISCOVERY_TYPE);
      return true;
    }
    if (path === '/openapi/v3') body = openApiIndex(this.#types);
    else if (path.startsWith('/openapi/v3/')) {
      body = openApiDocument(this.#types, path.slice('/openapi/v3/'.length));
      if (body === undefined) return false;
    } else if (path === '/version') body = versionInfo();
    else if (path === '/api') body = coreVersions(new URL(this.url).host);
    else if (path === '/apis') body = groupList(this.#types);
    else if (path === '/api/v1') body = resourceList(this.#types, '', 'v1');
    else {
      const m = /^\/apis\/([^/]+)(?:\/([^/]+))?$/.exec(path);
      if (m === null) return false;
      body = m[2] === undefined ? group(this.#types, m[1] as string) : resourceList(this.#types, m[1] as string, m[2]);
      if (body === undefined) return false;
    }
    if (method !== 'GET') throw apiErrors.methodNotAllowed(`the server does not allow this method on the requested resource`);
    this.#sendJson(res, 200, body);
    return true;
  }

  #client(req: IncomingMessage, type: ResourceType): ResourceClient<KubeObject> {
    const agent = req.headers['user-agent'] ?? 'unknown';
    let client = this.#clients.get(agent);
    if (client === undefined) {
      client = this.#sim.client({ userAgent: agent });
      this.#clients.set(agent, client);
    }
    return client.resource(type);
  }

  async #serveResource(
    method: string,
    params: URLSearchParams,
    target: RestTarget,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
    watch: boolean,
  ): Promise<void> {
    const client = this.#client(req, target.type);
    // As kube-apiserver 1.33+, every request for core/v1 Endpoints carries a deprecation warning.
    if (target.type.group === '' && target.type.resource === 'endpoints') addWarning(res, 'v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice');
    const key = { ...optional('namespace', target.namespace), name: target.name ?? '' };
    // DELETE reads its dryRun with the rest of its options (body first).
    const dryRun = method === 'DELETE' ? false : dryRunParam(params, method);
    const write: WriteOptions = { signal, ...optional('fieldManager', params.get('fieldManager')), ...(dryRun ? { dryRun } : {}) };
    if (target.name === undefined) {
      if (method === 'GET' && watch) return this.#serveWatch(client, params, target, req, res, signal);
      if (method === 'GET') {
        const include = this.#tableRequest(req, params);
        const list = await client.list({ ...this.#listOptions(params, target), signal });
        if (include !== undefined) {
          const table = toTable(target.type, list.items as unknown as JsonObject[], {
            now: this.#sim.now(),
            includeObject: include,
            apiVersion: tableApiVersion(req.headers.accept),
            listMeta: list.metadata,
          });
          this.#sendJson(res, 200, table);
          return;
        }
        this.#sendJson(res, 200, { kind: `${target.type.kind}List`, apiVersion: apiVersionOf(target.type), metadata: list.metadata, items: list.items });
        return;
      }
      if (method === 'POST' && (target.namespace !== undefined || !target.type.namespaced)) {
        const body = this.#withNamespace(await this.#readObject(req, target.type.kind), target);
        this.#checkFields(target.type, body, params, res);
        this.#sendJson(res, 201, await client.create(body, write));
        return;
      }
      if (method === 'DELETE') {
        await this.#deleteCollection(client, params, target, req, res, signal);
        return;
      }
    } else if (target.subresource === 'token') {
      if (method !== 'POST') throw apiErrors.methodNotAllowed(`the server does not allow this method on the requested resource`);
      this.#sendJson(res, 201, await client.createSubresource(key, 'token', await this.#readObject(req), write));
      return;
    } else if (method === 'GET') {
      const include = this.#tableRequest(req, params);
      const got = await client.get(key, { signal });
      if (include !== undefined) {
        this.#sendJson(res, 200, toTable(target.type, [got as unknown as JsonObject], { now: this.#sim.now(), includeObject: include, apiVersion: tableApiVersion(req.headers.accept) }));
        return;
      }
      this.#sendJson(res, 200, got);
      return;
    } else if (method === 'PUT') {
      const body = this.#withNamespace(await this.#readObject(req), target);
      this.#checkFields(target.type, body, params, res);
      const name = metaString(body, 'name');
      if (name !== undefined && name !== target.name) {
        throw apiErrors.badRequest(`the name of the object (${name}) does not match the name on the URL (${target.name})`);
      }
      const named = name === undefined ? { ...body, metadata: { ...body.metadata, name: target.name } } : body;
      const updated = target.subresource === 'status' ? await client.updateStatus(named, write) : await client.update(named, write);
      this.#sendJson(res, 200, updated);
      return;
    } else if (method === 'PATCH') {
      const patch = await this.#readPatch(req);
      if (patch.type !== 'json') this.#checkFields(target.type, patch.body, params, res);
      const patched = target.subresource === 'status' ? await client.patchStatus(key, patch, write) : await client.patch(key, patch, write);
      this.#sendJson(res, 200, patched);
      return;
    } else if (method === 'DELETE' && target.subresource === undefined) {
      await client.delete(key, { ...(await this.#deleteOptions(req, params)), signal });
      // The seam does not return the marked object, so the face always answers Status Success
      // (the apiserver returns the object itself while finalizers hold it).
      this.#sendJson(res, 200, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: target.name, ...optional('group', target.type.group === '' ? undefined : target.type.group), kind: target.type.resource },
      });
      return;
    }
    throw apiErrors.methodNotAllowed(`the server does not allow this method on the requested resource`);
  }

  /** The includeObject of a Table request, or undefined when the client did not ask for a Table. */
  #tableRequest(req: IncomingMessage, params: URLSearchParams): IncludeObject | undefined {
    if (!wantsTable(req.headers.accept)) return undefined;
    const include = parseIncludeObject(params.get('includeObject'));
    if (include === undefined) {
      throw apiErrors.badRequest(`Unsupported value: ${JSON.stringify(params.get('includeObject'))}: supported values: "Metadata", "None", "Object"`);
    }
    return include;
  }

  /**
   * Server-side field validation (`fieldValidation`): unknown fields refuse the write under
   * Strict (400, in kube-apiserver's words) and become `Warning` headers under Warn (the default).
   */
  #checkFields(type: ResourceType, body: unknown, params: URLSearchParams, res: ServerResponse): void {
    const mode: FieldValidation | undefined = parseFieldValidation(params.get('fieldValidation'));
    if (mode === undefined) {
      const value = params.get('fieldValidation') ?? '';
      throw apiErrors.badRequest(`fieldValidation must be one of Ignore, Warn, or Strict, got ${JSON.stringify(value)}`);
    }
    if (mode === 'Ignore') return;
    const schema = schemaOfKind(this.#types, type);
    if (schema === undefined) return;
    const unknown = unknownFields(schema.schemas, schema.root, body);
    if (unknown.length === 0) return;
    const messages = unknownFieldMessages(unknown);
    if (mode === 'Strict') {
      const { kind, version } = type;
      throw apiErrors.badRequest(`${kind} in version ${JSON.stringify(version)} cannot be handled as a ${kind}: strict decoding error: ${messages.join(', ')}`);
    }
    for (const m of messages) addWarning(res, m);
  }

  /** DELETE on a collection (deletecollection): deletes what the selectors match and answers the list deleted. */
  async #deleteCollection(client: ResourceClient<KubeObject>, params: URLSearchParams, target: RestTarget, req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const options = await this.#deleteOptions(req, params);
    const list = await client.list({
      ...optional('namespace', target.namespace),
      ...optional('labelSelector', params.get('labelSelector')),
      ...optional('fieldSelector', params.get('fieldSelector')),
      signal,
    });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      try {
        await client.delete({ ...optional('namespace', item.metadata?.namespace), name: item.metadata?.name ?? '' }, { ...options, signal });
        deleted.push(item);
      } catch (err) {
        // Gone meanwhile: as the registry's DeleteCollection, not an error.
        if (!(err instanceof KubeApiError && err.status === 404)) throw err;
      }
    }
    this.#sendJson(res, 200, { kind: `${target.type.kind}List`, apiVersion: apiVersionOf(target.type), metadata: { resourceVersion: this.#sim.resourceVersion() }, items: deleted });
  }

  #listOptions(params: URLSearchParams, target: RestTarget): ListOptions {
    return {
      ...optional('namespace', target.namespace),
      ...optional('labelSelector', params.get('labelSelector')),
      ...optional('fieldSelector', params.get('fieldSelector')),
      ...optional('resourceVersion', params.get('resourceVersion')),
      ...optional('limit', intParam(params, 'limit')),
      ...optional('continue', params.get('continue')),
    };
  }

  async #serveWatch(
    client: ResourceClient<KubeObject>,
    params: URLSearchParams,
    target: RestTarget,
    req: IncomingMessage,
    res: ServerResponse,
    signal: AbortSignal,
  ): Promise<void> {
    // `kubectl get -w` watches in Table form: each object becomes a one-row Table, the column
    // definitions sent with the first only, as kube-apiserver's watch encoder does.
    const include = this.#tableRequest(req, params);
    let headersSent = false;
    const frame = (type: string, object: KubeObject): string => {
      if (include === undefined || type === 'BOOKMARK' || type === 'ERROR') return `${JSON.stringify({ type, object })}\n`;
      const table = toTable(target.type, [object as unknown as JsonObject], { now: this.#sim.now(), includeObject: include, apiVersion: tableApiVersion(req.headers.accept) });
      if (headersSent) table['columnDefinitions'] = [];
      headersSent = true;
      return `${JSON.stringify({ type, object: table })}\n`;
    };
    let options: WatchOptions = {
      ...optional('namespace', target.namespace),
      ...optional('labelSelector', params.get('labelSelector')),
      ...optional('fieldSelector', params.get('fieldSelector')),
      ...optional('resourceVersion', params.get('resourceVersion')),
      ...optional('timeoutSeconds', intParam(params, 'timeoutSeconds')),
      allowWatchBookmarks: isTrue(params.get('allowWatchBookmarks')),
      signal,
    };
    // Watch-list (sendInitialEvents=true): the current objects as ADDED events, then a BOOKMARK
    // annotated k8s.io/initial-events-end, then changes — what client-go's reflector (and so
    // `kubectl wait`) asks for. Served as a list followed by a watch from the list's version.
    let initial: { items: readonly KubeObject[]; resourceVersion: string } | undefined;
    if (isTrue(params.get('sendInitialEvents'))) {
      if (params.get('resourceVersionMatch') !== 'NotOlderThan') {
        const message = 'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan';
        throw new KubeApiError(422, 'Invalid', `ListOptions.meta.k8s.io "" is invalid: resourceVersionMatch: ${message}`, {
          details: { group: 'meta.k8s.io', kind: 'ListOptions', causes: [{ reason: 'FieldValueForbidden', message, field: 'resourceVersionMatch' }] },
        });
      }
      const { resourceVersion: _ignored, timeoutSeconds: _timeout, allowWatchBookmarks: _bookmarks, ...listOptions } = options;
      const list = await client.list({ ...listOptions, ...optional('resourceVersion', params.get('resourceVersion')) });
      initial = { items: list.items, resourceVersion: list.metadata.resourceVersion ?? '' };
      options = { ...options, resourceVersion: initial.resourceVersion };
    } else if (params.has('resourceVersionMatch')) {
      throw apiErrors.badRequest('resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided');
    }
    const stream = await client.watch(options);
    // Headers go out only once the watch is registered: a client whose watch() resolved sees
    // every later change, as with the apiserver's watch cache.
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (initial !== undefined) {
      for (const item of initial.items) res.write(frame('ADDED', item));
      if (options.allowWatchBookmarks === true) {
        const bookmark = {
          kind: target.type.kind,
          apiVersion: apiVersionOf(target.type),
          metadata: { resourceVersion: initial.resourceVersion, annotations: { 'k8s.io/initial-events-end': 'true' } },
        };
        res.write(`${JSON.stringify({ type: 'BOOKMARK', object: bookmark })}\n`);
      }
    }
    try {
      for await (const event of stream) {
        if (signal.aborted) break;
        res.write(frame(event.type, event.object));
      }
    } catch (err) {
      // A watch failure travels as an ERROR event carrying the Status, then the stream ends.
      const error = err instanceof KubeApiError ? err : apiErrors.internal(errorMessage(err));
      if (!signal.aborted) res.write(`${JSON.stringify({ type: 'ERROR', object: error.toStatus() })}\n`);
    } finally {
      stream.close();
      res.end();
    }
  }

  #withNamespace(body: KubeObject, target: RestTarget): KubeObject {
    if (!target.type.namespaced || target.namespace === undefined) return body;
    const ns = metaString(body, 'namespace');
    if (ns === undefined) return { ...body, metadata: { ...body.metadata, namespace: target.namespace } };
    if (ns !== target.namespace) {
      throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    return body;
  }

  async #readBody(req: IncomingMessage): Promise<string> {
    return (await this.#readBytes(req)).toString('utf8');
  }

  async #readBytes(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > this.#maxBody) throw new KubeApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${this.#maxBody}`);
      chunks.push(buf);
    }
    return Buffer.concat(chunks);
  }

  async #readJson(req: IncomingMessage): Promise<unknown> {
    const text = await this.#readBody(req);
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw apiErrors.badRequest(`the body of the request was in an unknown format: ${errorMessage(err)}`);
    }
  }

  async #readObject(req: IncomingMessage, kind?: string): Promise<KubeObject> {
    // JSON is spoken here, and the protobuf of the few kinds kubectl's `create` subcommands send;
    // anything else is answered 415, as the apiserver does for a type it does not know.
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (contentType === PROTOBUF_TYPE && kind !== undefined && readsProtobuf(kind)) return decodeProtobuf(await this.#readBytes(req), kind);
    if (contentType !== '' && contentType !== 'application/json') {
      req.resume();
      throw apiErrors.unsupportedMediaType('the body of the request was in an unknown format - accepted media types include: application/json');
    }
    const body = await this.#readJson(req);
    if (!isRecord(body)) throw apiErrors.badRequest('the body of the request must be a JSON object');
    return body;
  }

  async #readPatch(req: IncomingMessage): Promise<Patch> {
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const types: Record<string, Patch['type']> = {
      'application/merge-patch+json': 'merge',
      'application/strategic-merge-patch+json': 'strategic',
      'application/json-patch+json': 'json',
    };
    const type = types[contentType];
    if (contentType === 'application/apply-patch+yaml') {
      // Server-side apply is not implemented: refused in the apiserver's shape for a patch type
      // it does not serve, naming it, so `kubectl apply --server-side` says why.
      req.resume();
      throw apiErrors.unsupportedMediaType(
        'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (application/apply-patch+yaml: server-side apply is not supported by the Outrigger simulated API server; use client-side kubectl apply)',
      );
    }
    if (type === undefined) {
      // As the apiserver: the other patch type it knows (apply) is not served by this double.
      req.resume();
      throw apiErrors.unsupportedMediaType(
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`,
      );
    }
    const body = await this.#readJson(req);
    if (type === 'json') {
      if (!Array.isArray(body)) throw apiErrors.badRequest('json patch must be a JSON array of operations');
      return { type, body: body as JsonPatchOperation[] };
    }
    if (!isRecord(body)) throw apiErrors.badRequest(`${type} patch must be a JSON object`);
    return { type, body };
  }

  /**
   * DeleteOptions as kube-apiserver reads them: from the body when there is one (the query is then
   * ignored, dryRun included), else from the query.
   */
  async #deleteOptions(req: IncomingMessage, params: URLSearchParams): Promise<Omit<DeleteOptions, 'signal'>> {
    const body = await this.#readJson(req);
    if (body === undefined) {
      const policy = params.get('propagationPolicy') ?? undefined;
      return {
        ...(policy === 'Orphan' || policy === 'Background' || policy === 'Foreground' ? { propagationPolicy: policy } : {}),
        ...optional('gracePeriodSeconds', intParam(params, 'gracePeriodSeconds')),
        ...(dryRunParam(params, 'DELETE') ? { dryRun: true } : {}),
      };
    }
    const opts = isRecord(body) ? body : {};
    const pre = isRecord(opts['preconditions']) ? opts['preconditions'] : undefined;
    const preconditions =
      pre === undefined
        ? undefined
        : {
            ...optional('uid', typeof pre['uid'] === 'string' ? pre['uid'] : undefined),
            ...optional('resourceVersion', typeof pre['resourceVersion'] === 'string' ? pre['resourceVersion'] : undefined),
          };
    const policy = opts['propagationPolicy'];
    const grace = typeof opts['gracePeriodSeconds'] === 'number' ? opts['gracePeriodSeconds'] : undefined;
    const dry = Array.isArray(opts['dryRun']) ? opts['dryRun'].map(String) : [];
    const dryParams = new URLSearchParams(dry.map((v): [string, string] => ['dryRun', v]));
    return {
      ...optional('preconditions', preconditions),
      ...(policy === 'Orphan' || policy === 'Background' || policy === 'Foreground' ? { propagationPolicy: policy } : {}),
      ...optional('gracePeriodSeconds', grace),
      ...(dryRunParam(dryParams, 'DELETE') ? { dryRun: true } : {}),
    };
  }

  #sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
  }

  #sendError(res: ServerResponse, err: unknown): void {
    const error = err instanceof KubeApiError ? err : apiErrors.internal(errorMessage(err));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const status: ApiStatus = error.toStatus();
    const text = JSON.stringify(status);
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
    if (error.retryAfterSeconds !== undefined) headers['Retry-After'] = String(error.retryAfterSeconds);
    res.writeHead(error.status, headers);
    res.end(text);
  }
}

/** The `*Options` kind the apiserver names when it refuses a write's query parameters. */
const OPTIONS_KIND: Record<string, string> = { POST: 'CreateOptions', PUT: 'UpdateOptions', PATCH: 'PatchOptions', DELETE: 'DeleteOptions' };

/**
 * The `dryRun` query parameter of a write: absent ⇒ false; `All` ⇒ true; anything else is refused
 * as kube-apiserver refuses it (422 on the verb's `*Options`), so nothing is ever written by a
 * request that meant not to write.
 */
function dryRunParam(params: URLSearchParams, method: string): boolean {
  const values = params.getAll('dryRun');
  // Reads ignore it, as the apiserver does.
  if (values.length === 0 || OPTIONS_KIND[method] === undefined) return false;
  if (values.every((v) => v === 'All')) return true;
  const kind = OPTIONS_KIND[method] ?? 'CreateOptions';
  const shown = `[${values.map((v) => JSON.stringify(v)).join(',')}]`;
  const message = `Unsupported value: ${shown}: supported values: "All"`;
  throw new KubeApiError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: dryRun: ${message}`, {
    details: { group: 'meta.k8s.io', kind, causes: [{ reason: 'FieldValueNotSupported', message, field: 'dryRun' }] },
  });
}

/** Routes `/apis/authentication.k8s.io/v1/tokenreviews` and friends (create-only reviews). */
function reviewRoute(pathname: string): { resource: ReviewResource; namespace: string | undefined } | undefined {
  const m = /^\/apis\/([^/]+)\/v1\/(?:namespaces\/([^/]+)\/)?([^/]+)\/?$/.exec(pathname);
  if (m === null) return undefined;
  const resource = REVIEW_RESOURCES.find((r) => r.group === m[1] && r.resource === m[3]);
  if (resource === undefined || resource.namespaced !== (m[2] !== undefined)) return undefined;
  return { resource, namespace: m[2] === undefined ? undefined : decodeURIComponent(m[2]) };
}

/**
 * The user a request acts as: with `Impersonate-User` (kubectl `--as`, `--as-group`), a
 * superuser acts as that user — kube-apiserver checks an `impersonate` grant, which
 * `system:masters` has; anyone else keeps their own identity here (docs/deviations.md).
 */
function impersonated(req: IncomingMessage, user: UserInfo): UserInfo {
  const as = req.headers['impersonate-user'];
  if (typeof as !== 'string' || as === '' || !user.groups.includes(SYSTEM_MASTERS)) return user;
  const raw = req.headers['impersonate-group'];
  const given = raw === undefined ? [] : (Array.isArray(raw) ? raw : raw.split(',')).map((g) => g.trim()).filter((g) => g !== '');
  // As kube-apiserver's impersonation filter: a ServiceAccount without groups gets its
  // system:serviceaccounts groups; anonymous gets system:unauthenticated, anyone else
  // system:authenticated unless either group was asked for.
  const sa = /^system:serviceaccount:([^:]+):[^:]+$/.exec(as);
  const groups = given.length === 0 && sa !== null ? ['system:serviceaccounts', `system:serviceaccounts:${sa[1] ?? ''}`] : given;
  if (as === 'system:anonymous') return { username: as, groups: groups.includes('system:unauthenticated') ? groups : [...groups, 'system:unauthenticated'] };
  const marked = groups.includes('system:authenticated') || groups.includes('system:unauthenticated');
  return { username: as, groups: marked ? groups : [...groups, 'system:authenticated'] };
}

/** Adds a `Warning: 299 - "<message>"` header (RFC 7234 form, as kube-apiserver sends warnings). */
function addWarning(res: ServerResponse, message: string): void {
  const existing = res.getHeader('Warning');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  res.setHeader('Warning', [...list, `299 - ${JSON.stringify(message)}`]);
}
