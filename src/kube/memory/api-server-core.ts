/**
 * The request semantics of the simulated API server (a test double): resource registry, object
 * lifecycle (create, update, status subresource, patch, finalizers, delete), list with pagination
 * and watch, all against one global resourceVersion. Every operation here runs synchronously, so
 * requests are serialised exactly in arrival order; request accounting, faults and cancellation
 * are layered on top by the client views.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import type { DeleteOptions, ListOptions, ObjectKey, Patch, WatchOptions } from '../client.js';
import { apiErrors, KubeApiError } from '../errors.js';
import type { StatusCause } from '../errors.js';
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError, strategicSchemaFor } from '../patch/index.js';
import { apiVersionOf, BUILTIN_RESOURCES, EVENTS, NAMESPACES, objectKeyString } from '../resources.js';
import type { KubeObject, ResourceType } from '../resources.js';
import { cloneJson, isJsonObject, jsonEqual } from '../json-value.js';
import type { CloneJsonOptions, JsonObject } from '../json-value.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { ExpiryQueue } from './event-expiry.js';
import { strategyFor } from './kind-strategies.js';
import type { KindStrategy, Subresource } from './kind-strategies.js';
import { compileFilter } from './object-filter.js';
import { ResourceStore } from './store.js';
import type { ChangeType } from './store.js';
import { validateObject, validateUpdate } from './validation.js';
import { ServiceAllocations } from './service-allocations.js';
import type { ServiceRanges } from './service-allocations.js';
import { formatMetav1Time } from '../metav1-time.js';
import { omitEmptyListsOf, omitNullMembersInPlace, toStoredForm, writableTop } from './stored-form.js';
import { bodyTypeMismatch } from './body-type.js';
import { SimulatedWatchStream, WatchHub, eventFor } from './watch-hub.js';

/** Dependencies of the core. */
export interface ApiServerCoreOptions {
  readonly clock: Clock;
  readonly historyLimit: number;
  readonly newUid: () => string;
  readonly random: () => number;
  /** Time to live of core/v1 Events after each write (`--event-ttl`); 0 keeps them for ever. */
  readonly eventTtlMs: number;
  /**
   * kube-apiserver's NamespaceLifecycle admission: creates of namespaced objects need their
   * Namespace to exist and not be terminating; `default`, `kube-system` and `kube-public` cannot
   * be deleted; deleting a Namespace deletes its content (see {@link ApiServerCore.delete}).
   */
  readonly namespaceLifecycle?: boolean;
  /** ClusterIP and node-port ranges of Services. */
  readonly serviceRanges?: ServiceRanges;
}

/** The namespaces kube-apiserver creates at start-up (the system namespaces controller). */
export const SYSTEM_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'] as const;
/** The namespaces NamespaceLifecycle refuses to delete (its immortal set). */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** One served resource. */
interface ResourceEntry {
  readonly type: ResourceType;
  readonly strategy: KindStrategy;
  readonly store: ResourceStore;
  readonly hub: WatchHub;
}

/** A list answer before it is typed for the caller; its items are the stored, deep-frozen objects. */
export interface RawList {
  readonly items: JsonObject[];
  readonly metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
}

/** Characters of generated name suffixes, as apiserver's `utilrand.String` (no vowels, no 0/1/3). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_SUFFIX_LENGTH = 5;
/** Longest generateName base kept, so base + suffix fits a 63-character label. */
const MAX_GENERATE_NAME_BASE = 63 - GENERATED_SUFFIX_LENGTH;
/** Attempts at a free generated name before answering AlreadyExists (upstream retries too). */
const GENERATE_NAME_ATTEMPTS = 8;

/**
 * How what a client sends (a body, a patch's result) becomes what is stored: as the apiserver's
 * decode into Go structs and encode with `omitempty`, null members vanish. Everything stored is in
 * this form already, so copies of stored objects need no options.
 */
const STORED_FORM: CloneJsonOptions = { omitNullMembers: true };

const OPTIMISTIC_LOCK_MESSAGE = 'the object has been modified; please apply your changes to the latest version and try again';
const UNKNOWN_RESOURCE_MESSAGE = 'the server could not find the requested resource';

function typeKey(type: Pick<ResourceType, 'group' | 'version' | 'resource'>): string {
  return `${type.group}/${type.version}/${type.resource}`;
}

/** The metadata object of `obj`, created when missing. */
function metaOf(obj: JsonObject): JsonObject {
  const meta = obj['metadata'];
  if (isJsonObject(meta)) return meta;
  const created: JsonObject = {};
  obj['metadata'] = created;
  return created;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function finalizersOf(meta: JsonObject): string[] {
  const f = meta['finalizers'];
  return Array.isArray(f) ? f.filter((x): x is string => typeof x === 'string') : [];
}

function unknownResource(): KubeApiError {
  return new KubeApiError(404, 'NotFound', UNKNOWN_RESOURCE_MESSAGE, { details: { causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }] } });
}

/** Implements the apiserver semantics over in-memory stores. */
export class ApiServerCore {
  readonly #clock: Clock;
  readonly #historyLimit: number;
  readonly #newUid: () => string;
  readonly #random: () => number;
  readonly #entries = new Map<string, ResourceEntry>();
  /** ClusterIPs and node ports, as the apiserver's Service REST storage allocates them. */
  readonly #serviceAllocations: ServiceAllocations;
  /** The global resourceVersion, shared by every resource as etcd's revision is; starts at 1 like etcd. */
  #rv = 1;
  /** Events due to expire (`--event-ttl`), checked at every request. */
  readonly #eventExpiry: ExpiryQueue | undefined;
  readonly #namespaceLifecycle: boolean;

  constructor(options: ApiServerCoreOptions) {
    this.#namespaceLifecycle = options.namespaceLifecycle === true;
    this.#serviceAllocations = new ServiceAllocations(options.serviceRanges);
    this.#clock = options.clock;
    this.#historyLimit = options.historyLimit;
    this.#newUid = options.newUid;
    this.#random = options.random;
    this.#eventExpiry = options.eventTtlMs > 0 ? new ExpiryQueue(options.eventTtlMs) : undefined;
    for (const type of BUILTIN_RESOURCES) this.register(type);
  }

  /** Serves a resource. Registering the same descriptor twice is a no-op; a different one throws. */
  register(type: ResourceType): void {
    const key = typeKey(type);
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      const a = existing.type;
      if (a.kind === type.kind && a.namespaced === type.namespaced && a.hasStatus === type.hasStatus) return;
      throw new Error(`simulated API server: resource ${key} is already registered with a different kind, scope or status`);
    }
    this.#entries.set(key, {
      type: Object.freeze({ group: type.group, version: type.version, resource: type.resource, kind: type.kind, namespaced: type.namespaced, hasStatus: type.hasStatus }),
      strategy: strategyFor(type),
      store: new ResourceStore(this.#historyLimit, this.#rv),
      hub: new WatchHub(),
    });
  }

  /** Creates the system namespaces (once Namespaces are registered), as kube-apiserver does at start-up. */
  createSystemNamespaces(): void {
    for (const name of SYSTEM_NAMESPACES) {
      if (this.#entry(NAMESPACES, 'main').store.get(name) === undefined) this.create(NAMESPACES, { metadata: { name } });
    }
  }

  /** The current global resourceVersion. */
  get resourceVersion(): number {
    return this.#rv;
  }

  /** Whether `type` is served (built in or registered). */
  knows(type: ResourceType): boolean {
    return this.#entries.has(typeKey(type));
  }

  // --- reads ------------------------------------------------------------------------------------

  get(type: ResourceType, key: ObjectKey): JsonObject {
    this.#expireEvents();
    const entry = this.#entry(type, 'main');
    const stored = entry.store.get(this.#storeKey(entry, key.namespace, key.name));
    if (stored === undefined) throw this.#notFound(entry, key.name);
    return cloneJson(stored);
  }

  list(type: ResourceType, options: ListOptions): RawList {
    this.#expireEvents();
    const entry = this.#entry(type, 'main');
    const namespace = this.#queryNamespace(entry, options.namespace);
    const filter = compileFilter(entry.type, { namespace, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector });
    const requested = options.resourceVersion ?? '';
    let listRv = this.#rv;
    let after = '';
    let entries: readonly (readonly [string, JsonObject])[];
    if (options.continue !== undefined && options.continue !== '') {
      if (requested !== '' && requested !== '0') throw apiErrors.badRequest('specifying resource version is not allowed when using continue');
      const position = decodeContinue(options.continue);
      const snapshot = entry.store.entriesAt(position.rv);
      if (snapshot === undefined || position.rv > this.#rv) {
        throw apiErrors.gone(
          'The provided continue parameter is too old to display a consistent list result. Start a new list without the continue parameter.',
        );
      }
      entries = snapshot;
      listRv = position.rv;
      after = position.after;
    } else {
      // Any version not newer than ours is served from the latest state (NotOlderThan semantics).
      if (requested !== '' && requested !== '0') this.#checkNotTooLarge(this.#parseRv(requested));
      entries = entry.store.entries();
    }
    const limit = options.limit !== undefined && Number.isInteger(options.limit) && options.limit > 0 ? options.limit : undefined;
    // A page starts after the continue key (found by bisection: entries are sorted by key) and
    // takes the stored objects themselves: deep-frozen, so nobody can change them, and an
    // informer's initial list shares them instead of holding a second copy of the cluster.
    const items: JsonObject[] = [];
    let lastKey = '';
    let matched = 0;
    for (let i = after === '' ? 0 : firstKeyAfter(entries, after); i < entries.length; i++) {
      const [key, obj] = entries[i] as readonly [string, JsonObject];
      if (!filter.matches(obj)) continue;
      matched++;
      if (limit === undefined || items.length < limit) {
        items.push(obj);
        lastKey = key;
      } else if (filter.hasSelectors) {
        break; // one more exists; the count is not reported with selectors, so stop looking
      }
    }
    const metadata: RawList['metadata'] = { resourceVersion: String(listRv) };
    if (limit !== undefined && matched > limit) {
      metadata.continue = encodeContinue({ rv: listRv, after: lastKey });
      // As upstream, the count is only known when nothing is filtered out by selectors.
      if (!filter.hasSelectors) metadata.remainingItemCount = matched - limit;
    }
    return { items, metadata };
  }

  /**
   * Opens a watch: replays what the client has not seen (synthetic ADDED for all objects when no
   * version is given, else the retained changes after it) then follows live changes. A version
   * older than the retained history yields an ERROR 410 Expired on the stream, as the watch cache.
   */
  watch(type: ResourceType, options: WatchOptions): SimulatedWatchStream<KubeObject> {
    this.#expireEvents();
    const entry = this.#entry(type, 'main');
    const namespace = this.#queryNamespace(entry, options.namespace);
    const filter = compileFilter(entry.type, { namespace, labelSelector: options.labelSelector, fieldSelector: options.fieldSelector });
    const requested = options.resourceVersion ?? '';
    const stream = new SimulatedWatchStream<KubeObject>();
    if (requested === '' || requested === '0') {
      for (const [, obj] of entry.store.entries()) if (filter.matches(obj)) stream.push('ADDED', obj);
    } else {
      const from = this.#parseRv(requested);
      this.#checkNotTooLarge(from);
      const changes = entry.store.changesSince(from);
      if (changes === undefined) {
        stream.fail(apiErrors.gone(`too old resource version: ${from} (${entry.store.historyStart})`));
        return stream;
      }
      for (const change of changes) {
        const event = eventFor(change, filter.matches);
        if (event !== undefined) stream.push(event.type, event.object);
      }
    }
    entry.hub.add({ stream, matches: filter.matches, allowBookmarks: options.allowWatchBookmarks === true });
    const timeout = options.timeoutSeconds;
    if (timeout !== undefined && timeout > 0) {
      const timer = this.#clock.setTimer(timeout * 1000, () => stream.end());
      stream.onEnd(() => timer.cancel());
    }
    return stream;
  }

  // --- writes -----------------------------------------------------------------------------------

  /** Creates an object; `dryRun` validates and answers as if created, storing nothing. */
  create(type: ResourceType, input: unknown, dryRun = false): JsonObject {
    this.#expireEvents();
    const entry = this.#entry(type, 'main');
    const body = this.#decode(entry, input);
    return this.#insert(entry, body, dryRun);
  }

  update(type: ResourceType, input: unknown, subresource: Subresource, dryRun = false): JsonObject {
    this.#expireEvents();
    const entry = this.#entry(type, subresource);
    const body = this.#decode(entry, input);
    const meta = metaOf(body);
    const name = this.#requireName(str(meta['name']));
    const key = this.#storeKey(entry, str(meta['namespace']), name);
    const requestRv = str(meta['resourceVersion']) ?? '';
    const stored = entry.store.get(key);
    if (stored === undefined) {
      if (subresource === 'main' && entry.strategy.allowCreateOnUpdate && requestRv === '') return this.#insert(entry, body, dryRun);
      throw this.#notFound(entry, name);
    }
    this.#checkResourceVersion(entry, name, requestRv, stored);
    return this.#finishUpdate(entry, key, stored, entry.strategy.prepareForUpdate(body, stored, subresource), false, dryRun);
  }

  patch(type: ResourceType, objectKey: ObjectKey, patch: Patch, subresource: Subresource, dryRun = false): JsonObject {
    this.#expireEvents();
    const entry = this.#entry(type, subresource);
    const name = this.#requireName(objectKey.name);
    const key = this.#storeKey(entry, objectKey.namespace, name);
    const stored = entry.store.get(key);
    if (stored === undefined) throw this.#notFound(entry, name);
    // The patch engines answer a fresh copy: brought to the stored form in place, not copied again.
    const patched = omitNullMembersInPlace(this.#applyPatch(entry, name, stored, patch));
    if (!isJsonObject(patched)) {
      throw apiErrors.invalid(entry.type.kind, entry.type.group, name, [{ reason: 'FieldValueInvalid', field: 'patch', message: 'the patched document is not an object' }]);
    }
    // A patch that leaves metadata alone shares the stored (frozen) metadata; the server sets
    // members of it below (name, namespace, uid, generation, resourceVersion), never inside one.
    writableTop(patched, 'metadata');
    const meta = metaOf(patched);
    // As upstream's patch handler: the patched object must still be the one named by the URL.
    const patchedName = str(meta['name']) ?? '';
    if (patchedName === '') meta['name'] = name;
    else if (patchedName !== name) throw apiErrors.badRequest(`the name of the object (${patchedName}) does not match the name on the URL (${name})`);
    const wantNamespace = entry.type.namespaced ? (objectKey.namespace ?? '') : '';
    const patchedNamespace = str(meta['namespace']) ?? '';
    if (patchedNamespace === '' && wantNamespace !== '') meta['namespace'] = wantNamespace;
    else if (patchedNamespace !== wantNamespace) {
      throw apiErrors.badRequest(`the namespace of the object (${patchedNamespace}) does not match the namespace on the request (${wantNamespace})`);
    }
    // A decode failure of the patched object is a 422 (not a 400 as for a body). Types only: the
    // rules run once, on the object as it will be stored.
    const typeErrors = validateObject(entry.type.group, entry.type.kind, patched, 'types').typeErrors;
    if (typeErrors.length > 0) throw apiErrors.invalid(entry.type.kind, entry.type.group, name, typeErrors);
    // A resourceVersion left in the patched object acts as a precondition.
    this.#checkResourceVersion(entry, name, str(meta['resourceVersion']) ?? '', stored);
    return this.#finishUpdate(entry, key, stored, entry.strategy.prepareForUpdate(patched, stored, subresource), true, dryRun);
  }

  /** Deletes (or marks) an object; `dryRun` checks existence and preconditions and changes nothing. */
  delete(type: ResourceType, objectKey: ObjectKey, options: DeleteOptions, dryRun = false): void {
    this.#expireEvents();
    const entry = this.#entry(type, 'main');
    const name = this.#requireName(objectKey.name);
    const key = this.#storeKey(entry, objectKey.namespace, name);
    const stored = entry.store.get(key);
    if (stored === undefined) throw this.#notFound(entry, name);
    const meta = metaOf(stored);
    const pre = options.preconditions;
    // As kube-apiserver's rest.BeforeDelete: the conflict names the Kind, not the resource.
    if (pre?.uid !== undefined && pre.uid !== meta['uid']) {
      throw apiErrors.conflict(
        entry.type.kind,
        entry.type.group,
        name,
        `the UID in the precondition (${pre.uid}) does not match the UID in record (${str(meta['uid']) ?? ''}). The object might have been deleted and then recreated`,
      );
    }
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== meta['resourceVersion']) {
      throw apiErrors.conflict(
        entry.type.kind,
        entry.type.group,
        name,
        `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${str(meta['resourceVersion']) ?? ''}). The object might have been modified`,
      );
    }
    if (isNamespaceEntry(entry) && this.#namespaceLifecycle && IMMORTAL_NAMESPACES.has(name)) {
      throw new KubeApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, { details: { name, kind: 'namespaces' } });
    }
    if (dryRun) return;
    if (isNamespaceEntry(entry)) {
      this.#deleteNamespace(entry, key, stored);
      return;
    }
    // propagationPolicy and gracePeriodSeconds have no effect: there is no garbage collector and
    // none of these kinds deletes gracefully.
    if (finalizersOf(meta).length === 0) {
      this.#remove(entry, key, stored);
      return;
    }
    // As upstream's markAsDeleting: finalizers hold the object, now marked as being deleted.
    if (meta['deletionTimestamp'] !== undefined) return;
    const next = withOwnMetadata(stored);
    const nextMeta = metaOf(next);
    nextMeta['deletionTimestamp'] = formatMetav1Time(this.#clock.now());
    nextMeta['deletionGracePeriodSeconds'] = 0;
    const generation = nextMeta['generation'];
    if (typeof generation === 'number' && generation > 0) nextMeta['generation'] = generation + 1;
    this.#write(entry, 'MODIFIED', key, next, stored);
  }

  // --- server-wide ------------------------------------------------------------------------------

  /** Sends a BOOKMARK at the current resourceVersion to every watch that asked for them. */
  sendBookmarks(): void {
    for (const entry of this.#entries.values()) {
      entry.hub.bookmark({
        apiVersion: apiVersionOf(entry.type),
        kind: entry.type.kind,
        metadata: { resourceVersion: String(this.#rv) },
      });
    }
  }

  /** Ends every open watch from the server side. */
  closeWatches(): void {
    for (const entry of this.#entries.values()) entry.hub.endAll();
  }

  /** Forgets all retained history: older watch and continue versions then get 410. */
  compactHistory(): void {
    for (const entry of this.#entries.values()) entry.store.compact(this.#rv);
  }

  /** All stored objects of a resource, sorted by key: the deep-frozen objects themselves. */
  objects(type: ResourceType): JsonObject[] {
    this.#expireEvents();
    return this.#entry(type, 'main')
      .store.entries()
      .map(([, obj]) => obj);
  }

  /** How many stored objects of a resource satisfy `predicate` (the frozen objects themselves). */
  count(type: ResourceType, predicate: (obj: JsonObject) => boolean): number {
    this.#expireEvents();
    let n = 0;
    for (const obj of this.#entry(type, 'main').store.values()) if (predicate(obj)) n++;
    return n;
  }

  /** Copies of all objects of a resource, sorted by key. */
  snapshot(type: ResourceType): JsonObject[] {
    this.#expireEvents();
    return this.#entry(type, 'main')
      .store.entries()
      .map(([, obj]) => cloneJson(obj));
  }

  // --- internals --------------------------------------------------------------------------------

  #entry(type: ResourceType, subresource: Subresource): ResourceEntry {
    const entry = this.#entries.get(typeKey(type));
    if (entry === undefined) throw unknownResource();
    if (subresource === 'status' && !entry.type.hasStatus) throw unknownResource();
    return entry;
  }

  #notFound(entry: ResourceEntry, name: string): KubeApiError {
    return apiErrors.notFound(entry.type.resource, entry.type.group, name);
  }

  #conflict(entry: ResourceEntry, name: string, why: string): KubeApiError {
    return apiErrors.conflict(entry.type.resource, entry.type.group, name, why);
  }

  #invalid(entry: ResourceEntry, name: string, causes: readonly StatusCause[]): KubeApiError {
    return apiErrors.invalid(entry.type.kind, entry.type.group, name, causes);
  }

  #requireName(name: string | undefined): string {
    if (name === undefined || name === '') throw apiErrors.badRequest('resource name may not be empty');
    return name;
  }

  /** The namespace a list/watch is restricted to (`''`: all); a namespace on a cluster-scoped resource is refused. */
  #queryNamespace(entry: ResourceEntry, namespace: string | undefined): string {
    if (namespace !== undefined && namespace !== '' && !entry.type.namespaced) {
      throw apiErrors.badRequest(`${entry.type.resource} is cluster-scoped: a namespace may not be given`);
    }
    return namespace ?? '';
  }

  /** The store key of an object, enforcing the resource's scope. */
  #storeKey(entry: ResourceEntry, namespace: string | undefined, name: string): string {
    const ns = namespace ?? '';
    if (entry.type.namespaced && ns === '') {
      throw apiErrors.badRequest(`a namespace is required for the namespaced resource ${entry.type.resource}`);
    }
    if (!entry.type.namespaced && ns !== '') {
      throw apiErrors.badRequest(`${entry.type.resource} is cluster-scoped: a namespace may not be given`);
    }
    return objectKeyString(ns, name);
  }

  #parseRv(text: string): number {
    if (!/^[0-9]+$/.test(text)) throw apiErrors.badRequest(`invalid resource version: ${JSON.stringify(text)}`);
    return Number(text);
  }

  /** As the watch cache: a version from the future is answered with 504 (immediately here, not after 3 s). */
  #checkNotTooLarge(rv: number): void {
    if (rv > this.#rv) {
      throw new KubeApiError(504, 'Timeout', `Too large resource version: ${rv}, current: ${this.#rv}`, {
        details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 },
      });
    }
  }

  /** Optimistic concurrency: a non-empty resourceVersion must be the stored one. */
  #checkResourceVersion(entry: ResourceEntry, name: string, requestRv: string, stored: JsonObject): void {
    if (requestRv === '') return; // unconditional update, as the built-in strategies allow
    this.#parseRv(requestRv);
    if (requestRv !== metaOf(stored)['resourceVersion']) throw this.#conflict(entry, name, OPTIMISTIC_LOCK_MESSAGE);
  }

  /** Copies a request body; JSON type errors are decode failures: 400, as the apiserver answers. */
  #decode(entry: ResourceEntry, input: unknown): JsonObject {
    const { kind, version } = entry.type;
    const body = cloneJson(input, STORED_FORM);
    if (!isJsonObject(body)) throw apiErrors.badRequest(`${kind} in version "${version}" cannot be handled as a ${kind}: the body is not a JSON object`);
    const mismatch = bodyTypeMismatch(entry.type, body, (apiVersion, otherKind) => this.#serves(apiVersion, otherKind));
    if (mismatch !== undefined) throw apiErrors.badRequest(mismatch);
    // Types only, as the apiserver's decode: the rules run once, on the object as it will be stored.
    const typeErrors = validateObject(entry.type.group, kind, body, 'types').typeErrors;
    if (typeErrors.length > 0) {
      const first = typeErrors[0] as StatusCause;
      throw new KubeApiError(400, 'BadRequest', `${kind} in version "${version}" cannot be handled as a ${kind}: ${first.field ?? ''}: ${first.message ?? ''}`, {
        details: { kind, causes: typeErrors },
      });
    }
    return body;
  }

  /** Whether some served resource has this apiVersion and kind. */
  #serves(apiVersion: string, kind: string): boolean {
    for (const entry of this.#entries.values()) if (entry.type.kind === kind && apiVersionOf(entry.type) === apiVersion) return true;
    return false;
  }

  #stampTypeMeta(entry: ResourceEntry, obj: JsonObject): void {
    obj['apiVersion'] = apiVersionOf(entry.type);
    obj['kind'] = entry.type.kind;
  }

  /** The create path shared by create and create-on-update (rest.BeforeCreate, then storage). */
  #insert(entry: ResourceEntry, body: JsonObject, dryRun: boolean): JsonObject {
    const meta = metaOf(body);
    const requestRv = str(meta['resourceVersion']) ?? '';
    const namespace = str(meta['namespace']) ?? '';
    if (entry.type.namespaced && namespace === '') {
      throw apiErrors.badRequest(`a namespace is required for the namespaced resource ${entry.type.resource}`);
    }
    if (!entry.type.namespaced && namespace !== '') {
      throw apiErrors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (entry.type.namespaced) this.#admitToNamespace(entry, namespace, str(meta['name']) ?? '');
    // System fields belong to the server: clients cannot set uid, timestamps or deletion state.
    for (const field of ['resourceVersion', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'managedFields', 'selfLink']) delete meta[field];
    meta['uid'] = this.#newUid();
    meta['creationTimestamp'] = formatMetav1Time(this.#clock.now());
    if (entry.strategy.tracksGeneration) meta['generation'] = 1;
    else delete meta['generation'];
    if (!entry.type.namespaced) delete meta['namespace'];
    this.#stampTypeMeta(entry, body);
    entry.strategy.prepareForCreate(body);
    entry.strategy.applyDefaults(body);

    const generateName = str(meta['generateName']) ?? '';
    const generate = (str(meta['name']) ?? '') === '' && generateName !== '';
    for (let attempt = 1; ; attempt++) {
      if (generate) meta['name'] = generateName.slice(0, MAX_GENERATE_NAME_BASE) + this.#randomSuffix();
      const name = str(meta['name']) ?? '';
      const key = objectKeyString(namespace, name);
      const causes = [...validateObject(entry.type.group, entry.type.kind, body).errors];
      if (causes.length === 0 && isServiceEntry(entry)) causes.push(...this.#serviceAllocations.assign(key, body, undefined));
      if (causes.length > 0) throw this.#invalid(entry, name, causes);
      // As the etcd3 storage layer: a create must not carry a resourceVersion (a 500 upstream).
      if (requestRv !== '') throw apiErrors.internal('resourceVersion should not be set on objects to be created');
      if (entry.store.get(key) !== undefined) {
        if (generate && attempt < GENERATE_NAME_ATTEMPTS) continue;
        throw apiErrors.alreadyExists(entry.type.resource, entry.type.group, name);
      }
      omitEmptyListsOf(entry.type.group, body);
      // As the apiserver's dry run: the answer has no resourceVersion and nothing is reserved.
      if (dryRun) return cloneJson(body);
      const written = this.#write(entry, 'ADDED', key, body, undefined);
      if (isServiceEntry(entry)) this.#serviceAllocations.commit(key, written);
      return cloneJson(written);
    }
  }

  #randomSuffix(): string {
    let out = '';
    for (let i = 0; i < GENERATED_SUFFIX_LENGTH; i++) {
      const index = Math.min(NAME_ALPHABET.length - 1, Math.floor(this.#random() * NAME_ALPHABET.length));
      out += NAME_ALPHABET[index] as string;
    }
    return out;
  }

  #applyPatch(entry: ResourceEntry, name: string, stored: JsonObject, patch: Patch): unknown {
    try {
      switch (patch.type) {
        case 'merge':
          return applyMergePatch(stored, patch.body);
        case 'json':
          return applyJsonPatch(stored, patch.body);
        case 'strategic': {
          const schema = strategicSchemaFor(entry.type.group, entry.type.kind);
          if (schema === undefined) {
            // Custom resources do not support strategic merge patch.
            throw apiErrors.unsupportedMediaType(
              'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
            );
          }
          return applyStrategicMergePatch(stored, patch.body, schema);
        }
      }
    } catch (err) {
      if (!(err instanceof PatchError)) throw err;
      const cause: StatusCause = { reason: 'FieldValueInvalid', field: err.field ?? 'patch', message: err.message };
      if (err.kind === 'invalid') throw this.#invalid(entry, name, [cause]);
      throw new KubeApiError(400, 'BadRequest', err.message, { details: { causes: [cause] }, cause: err });
    }
  }

  /**
   * Completes an update or patch as rest.BeforeUpdate and the registry store do: system fields
   * come from the stored object, defaults and validation run, a deleting object whose last
   * finalizer went away is deleted, and a write that changes nothing is not written at all.
   */
  #finishUpdate(entry: ResourceEntry, key: string, stored: JsonObject, candidate: JsonObject, fromPatch: boolean, dryRun: boolean): JsonObject {
    const meta = metaOf(candidate);
    const old = metaOf(stored);
    const name = str(old['name']) ?? '';
    if ((str(meta['uid']) ?? '') === '') meta['uid'] = old['uid'];
    for (const field of ['creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'generation', 'name', 'namespace']) {
      if (old[field] === undefined) delete meta[field];
      else meta[field] = old[field];
    }
    delete meta['managedFields'];
    delete meta['selfLink'];
    this.#stampTypeMeta(entry, candidate);
    entry.strategy.applyDefaults(candidate);

    const result = validateObject(entry.type.group, entry.type.kind, candidate, 'full', stored);
    if (result.typeErrors.length > 0) {
      // Only reachable through a patch: bodies were type-checked when decoded.
      if (fromPatch) throw this.#invalid(entry, name, result.typeErrors);
      throw apiErrors.badRequest(`${entry.type.kind} cannot be decoded: ${result.typeErrors[0]?.message ?? ''}`);
    }
    const causes = [...result.errors, ...validateUpdate(entry.type.group, entry.type.kind, candidate, stored)];
    // A spec shared with the stored object (a status write) holds exactly what it was allocated.
    const allocate = isServiceEntry(entry) && candidate['spec'] !== stored['spec'];
    if (causes.length === 0 && allocate) causes.push(...this.#serviceAllocations.assign(key, candidate, stored));
    if (causes.length > 0) throw this.#invalid(entry, name, causes);

    const generation = old['generation'];
    if (entry.strategy.tracksGeneration && typeof generation === 'number' && entry.strategy.specChanged(stored, candidate)) {
      meta['generation'] = generation + 1;
    }
    omitEmptyListsOf(entry.type.group, candidate);
    // The candidate may share members with the stored object: answers are copies.
    if (dryRun) return cloneJson(candidate);
    if (old['deletionTimestamp'] !== undefined && finalizersOf(meta).length === 0) {
      // As the registry store: emptying the finalizers of a deleting object deletes it instead.
      const rv = this.#remove(entry, key, stored);
      meta['resourceVersion'] = String(rv);
      return cloneJson(candidate);
    }
    if (jsonEqual(candidate, stored)) return cloneJson(stored); // no-op: no new resourceVersion, no event
    const written = this.#write(entry, 'MODIFIED', key, candidate, stored);
    if (allocate) this.#serviceAllocations.commit(key, written);
    return cloneJson(written);
  }

  /** Deletes an object; the DELETED event carries its last state at the deletion's version, as etcd's watch. */
  #remove(entry: ResourceEntry, key: string, stored: JsonObject): number {
    if (isServiceEntry(entry)) this.#serviceAllocations.release(key);
    const last = withOwnMetadata(stored);
    this.#write(entry, 'DELETED', key, last, stored);
    const namespace = str(metaOf(stored)['namespace']);
    if (entry.type.namespaced && namespace !== undefined) this.#finishNamespaceIfEmpty(namespace);
    return this.#rv;
  }

  /**
   * NamespaceLifecycle admission of a create in `namespace`: 404 when it does not exist, 403 while
   * it is being deleted — in kube-apiserver's words.
   */
  #admitToNamespace(entry: ResourceEntry, namespace: string, name: string): void {
    if (!this.#namespaceLifecycle) return;
    const namespaces = this.#entries.get(typeKey(NAMESPACES));
    const ns = namespaces?.store.get(namespace);
    if (ns === undefined) throw apiErrors.notFound('namespaces', '', namespace);
    if (metaOf(ns)['deletionTimestamp'] !== undefined) {
      const message = `unable to create new content in namespace ${namespace} because it is being terminated`;
      throw new KubeApiError(403, 'Forbidden', `${groupResourceOf(entry.type)} "${name}" is forbidden: ${message}`, {
        details: {
          name,
          ...(entry.type.group === '' ? {} : { group: entry.type.group }),
          kind: entry.type.resource,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
        },
      });
    }
  }

  /**
   * Deletes a Namespace as the namespace controller finishes it, synchronously: the Namespace is
   * marked Terminating, every object in it is deleted (finalizers still hold theirs), and the
   * Namespace goes once it is empty — at once, or when the last held object goes.
   */
  #deleteNamespace(entry: ResourceEntry, key: string, stored: JsonObject): void {
    const name = str(metaOf(stored)['name']) ?? '';
    if (metaOf(stored)['deletionTimestamp'] === undefined) {
      const next = withOwnMetadata(stored);
      metaOf(next)['deletionTimestamp'] = formatMetav1Time(this.#clock.now());
      metaOf(next)['deletionGracePeriodSeconds'] = 0;
      next['status'] = { ...(isJsonObject(stored['status']) ? stored['status'] : {}), phase: 'Terminating' };
      this.#write(entry, 'MODIFIED', key, next, stored);
    }
    for (const other of this.#entries.values()) {
      if (!other.type.namespaced) continue;
      for (const [, obj] of other.store.entries()) {
        if (str(metaOf(obj)['namespace']) !== name) continue;
        this.delete(other.type, { namespace: name, name: str(metaOf(obj)['name']) ?? '' }, {});
      }
    }
    this.#finishNamespaceIfEmpty(name);
  }

  /** Removes a terminating Namespace that holds nothing any more. */
  #finishNamespaceIfEmpty(namespace: string): void {
    const entry = this.#entries.get(typeKey(NAMESPACES));
    const ns = entry?.store.get(namespace);
    if (entry === undefined || ns === undefined || metaOf(ns)['deletionTimestamp'] === undefined) return;
    for (const other of this.#entries.values()) {
      if (other.type.namespaced && other.store.entries().some(([, obj]) => metaOf(obj)['namespace'] === namespace)) return;
    }
    this.#remove(entry, namespace, ns);
  }

  /**
   * Assigns the next resourceVersion, brings the object to its stored form (deep-frozen: stored
   * objects never change, every answer but a watch event is a copy, and watch events share the
   * frozen object itself; members shared with the stored object are frozen already), stores the
   * change and tells the watches. Returns the stored object.
   */
  #write(entry: ResourceEntry, type: ChangeType, key: string, owned: JsonObject, prev: JsonObject | undefined): JsonObject {
    this.#rv++;
    metaOf(owned)['resourceVersion'] = String(this.#rv);
    const object = toStoredForm(owned);
    const change = { rv: this.#rv, type, key, object, prev };
    entry.store.commit(change);
    entry.hub.dispatch(change);
    // As the Event storage's TTLFunc: every create and update (re)starts the Event's lease.
    if (type !== 'DELETED' && this.#eventExpiry !== undefined && isCoreEventEntry(entry)) this.#eventExpiry.written(key, this.#rv, this.#clock.now());
    return object;
  }

  /**
   * Deletes the Events whose TTL ran out (etcd's lease expiry: a DELETED watch event at a new
   * resourceVersion, finalizers or not) unless a later write renewed them.
   */
  #expireEvents(): void {
    const queue = this.#eventExpiry;
    if (queue === undefined || queue.length === 0) return;
    queue.expire(this.#clock.now(), (key, rv) => {
      const entry = this.#entries.get(typeKey(EVENTS));
      const stored = entry?.store.get(key);
      if (entry !== undefined && stored !== undefined && metaOf(stored)['resourceVersion'] === String(rv)) this.#remove(entry, key, stored);
    });
  }
}

/** Whether `entry` is core/v1 Events (stored with a TTL by kube-apiserver). */
function isCoreEventEntry(entry: ResourceEntry): boolean {
  return entry.type.group === '' && entry.type.resource === 'events';
}

/**
 * A new version of a stored object whose top level and metadata (where the resourceVersion and
 * deletion fields go) are its own, sharing every other member with `stored` (deep-frozen).
 */
function withOwnMetadata(stored: JsonObject): JsonObject {
  const next: JsonObject = { ...stored };
  if (isJsonObject(stored['metadata'])) next['metadata'] = { ...stored['metadata'] };
  return next;
}

/** Whether `entry` is core/v1 Namespaces. */
function isNamespaceEntry(entry: ResourceEntry): boolean {
  return entry.type.group === '' && entry.type.resource === 'namespaces';
}

/** `resource` or `resource.group`, as apimachinery prints a GroupResource. */
function groupResourceOf(type: ResourceType): string {
  return type.group === '' ? type.resource : `${type.resource}.${type.group}`;
}

/** Whether `entry` is core/v1 Services (the kind with allocated ClusterIPs and node ports). */
function isServiceEntry(entry: ResourceEntry): boolean {
  return entry.type.group === '' && entry.type.resource === 'services';
}

/** The index of the first entry whose key sorts after `key` (entries are sorted by key). */
function firstKeyAfter(entries: readonly (readonly [string, JsonObject])[], key: string): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((entries[mid] as readonly [string, JsonObject])[0] <= key) low = mid + 1;
    else high = mid;
  }
  return low;
}
