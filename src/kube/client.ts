/**
 * The Kubernetes access seam. Controllers, the event recorder, informers and leader election see
 * only {@link KubeClient}; two implementations sit behind it: the adapter to a real apiserver
 * (`kube/client-node/`) and the simulated API server (`kube/memory/`). Both must behave alike —
 * a shared conformance suite pins that.
 *
 * Objects travel in their raw JSON shape (the `kubernetes-types` interfaces: string timestamps,
 * unknown fields preserved), never as decoded class instances.
 *
 * @module
 */
import type { Event, KubeObject, Lease, Node, ResourceType, Service } from './resources.js';

/** Identifies one object: `namespace` is required for namespaced resources and absent otherwise. */
export interface ObjectKey {
  readonly namespace?: string;
  readonly name: string;
}

/** Options every request accepts. */
export interface RequestOptions {
  /** Aborts the request (and, for watches, closes the stream). */
  readonly signal?: AbortSignal;
  /**
   * Called at the last moment before the request goes out — after client-side throttling and
   * credentials, right before the bytes are written; throwing stops it unsent. The write fence
   * checks leadership here: a check made earlier could pass, then the process pause, and the
   * request leave after another replica took over.
   */
  readonly precondition?: () => void;
}

/** Options for create, update and patch. */
export interface WriteOptions extends RequestOptions {
  /** Name of the actor making the change, recorded in managedFields by a real apiserver. */
  readonly fieldManager?: string;
  /** `dryRun=All`: validate and answer as if done, persist nothing, notify no watch. */
  readonly dryRun?: boolean;
}

/** Options for list. */
export interface ListOptions extends RequestOptions {
  /** Restricts to one namespace; omitted means all namespaces (or a cluster-scoped resource). */
  readonly namespace?: string;
  /** Label selector in the apiserver syntax: `a=b,c!=d,e in (f,g),!h`. */
  readonly labelSelector?: string;
  /** Field selector: `metadata.name=x,spec.type!=ClusterIP`; only fields the resource supports. */
  readonly fieldSelector?: string;
  /** `''`/omitted: most recent; `'0'`: any (may be served from cache). */
  readonly resourceVersion?: string;
  /** Maximum number of items in one page. */
  readonly limit?: number;
  /** Continue token from the previous page's `metadata.continue`. */
  readonly continue?: string;
}

/** Options for watch. */
export interface WatchOptions extends RequestOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /**
   * Start after this resourceVersion. Omitted or `'0'`: synthetic ADDED events for every current
   * object, then changes. A version older than the server's retained history fails with 410.
   */
  readonly resourceVersion?: string;
  /** Ask for BOOKMARK events carrying the latest resourceVersion. */
  readonly allowWatchBookmarks?: boolean;
  /** The server ends the stream (cleanly) after this many seconds. */
  readonly timeoutSeconds?: number;
}

/** Options for delete. */
export interface DeleteOptions extends RequestOptions {
  /** Fail with 409 Conflict unless the object still has this uid / resourceVersion. */
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  readonly gracePeriodSeconds?: number;
  /** `dryRun=All`: check the delete as if done (existence, preconditions), delete nothing. */
  readonly dryRun?: boolean;
}

/** One page of a list. */
export interface ObjectList<T extends KubeObject> {
  readonly items: T[];
  readonly metadata: {
    /** The collection's resourceVersion: start a watch from here to see every later change. */
    readonly resourceVersion: string;
    /** Present when more pages follow. */
    readonly continue?: string;
    readonly remainingItemCount?: number;
  };
}

/** Watch event types. Server-side ERROR events are not delivered: the stream throws a KubeApiError. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** One change seen by a watch. BOOKMARK objects carry only `metadata.resourceVersion`. */
export interface WatchEvent<T extends KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

/**
 * An open watch. Iterate it for events; iteration ends when the server closes the stream
 * (timeout, shutdown) and throws a {@link KubeApiError} for ERROR events (410 ⇒ relist).
 */
export interface WatchStream<T extends KubeObject> extends AsyncIterable<WatchEvent<T>> {
  /** Closes the stream; a pending iteration ends normally. Idempotent. */
  close(): void;
}

/** A JSON Patch (RFC 6902) operation. */
export type JsonPatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly from: string; readonly path: string };

/**
 * A patch with its type, which decides the content type and merge semantics:
 * - `merge`: JSON merge patch (RFC 7386), `application/merge-patch+json` — lists are replaced;
 * - `strategic`: strategic merge patch, `application/strategic-merge-patch+json` — lists merge by
 *   the merge keys of the built-in types (conditions by type, finalizers as a set, …) and honour
 *   directives such as `$patch: replace`;
 * - `json`: JSON Patch (RFC 6902), `application/json-patch+json`.
 */
export type Patch =
  | { readonly type: 'merge'; readonly body: Readonly<Record<string, unknown>> }
  | { readonly type: 'strategic'; readonly body: Readonly<Record<string, unknown>> }
  | { readonly type: 'json'; readonly body: readonly JsonPatchOperation[] };

/** The content type a patch is sent with. */
export function patchContentType(type: Patch['type']): string {
  switch (type) {
    case 'merge':
      return 'application/merge-patch+json';
    case 'strategic':
      return 'application/strategic-merge-patch+json';
    case 'json':
      return 'application/json-patch+json';
  }
}

/**
 * Typed access to one resource. Every method rejects with a `KubeApiError` when the server
 * answers with a failure Status.
 */
export interface ResourceClient<T extends KubeObject> {
  /** The resource this client talks to. */
  readonly type: ResourceType<T>;
  get(key: ObjectKey, options?: RequestOptions): Promise<T>;
  list(options?: ListOptions): Promise<ObjectList<T>>;
  /** Opens a watch; resolves once the server has accepted it. */
  watch(options?: WatchOptions): Promise<WatchStream<T>>;
  /** Creates the object; its namespace comes from `metadata.namespace`. */
  create(object: T, options?: WriteOptions): Promise<T>;
  /**
   * Replaces the object (spec and metadata; status is ignored where a status subresource exists).
   * With `metadata.resourceVersion` set, a stale version fails with 409 Conflict.
   */
  update(object: T, options?: WriteOptions): Promise<T>;
  /** Replaces status (and metadata) through the `/status` subresource; spec is ignored. */
  updateStatus(object: T, options?: WriteOptions): Promise<T>;
  /** Patches the main resource (status changes are ignored where a status subresource exists). */
  patch(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T>;
  /** Patches through the `/status` subresource (status and metadata; spec is ignored). */
  patchStatus(key: ObjectKey, patch: Patch, options?: WriteOptions): Promise<T>;
  /**
   * Deletes the object. With finalizers present it is only marked (deletionTimestamp set) and
   * disappears when the last finalizer is removed.
   */
  delete(key: ObjectKey, options?: DeleteOptions): Promise<void>;
  /**
   * POSTs `body` to a subresource of one object — `serviceaccounts/<name>/token` (a TokenRequest)
   * is the one the manager uses — and returns the server's answer, typed as the request (as
   * client-go's `CreateToken` answers a TokenRequest with a TokenRequest). A subresource the
   * server does not serve fails with 404 NotFound.
   */
  createSubresource<R extends object>(key: ObjectKey, subresource: string, body: R, options?: WriteOptions): Promise<R>;
}

/** Typed clients for the resources the cloud-controller-manager touches, plus a generic path. */
export interface KubeClient {
  readonly nodes: ResourceClient<Node>;
  readonly services: ResourceClient<Service>;
  readonly events: ResourceClient<Event>;
  readonly leases: ResourceClient<Lease>;
  /** A client for any resource the server knows; unknown resources fail with 404 NotFound. */
  resource<T extends KubeObject>(type: ResourceType<T>): ResourceClient<T>;
}
