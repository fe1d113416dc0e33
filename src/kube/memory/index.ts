/**
 * The simulated Kubernetes API server — a test double and demo sandbox, not an apiserver.
 *
 * It serves the {@link KubeClient} seam in process with kube-apiserver semantics for what the
 * cloud-controller-manager touches, because it is the only apiserver Outrigger's tests have:
 * - one global, monotonically increasing resourceVersion; uid, creationTimestamp, generation
 *   (registered kinds only: the built-in strategies of Services and Nodes never set it); optimistic concurrency (409 Conflict on a stale version);
 * - the `/status` subresource split (main writes keep status, status writes keep spec but take
 *   metadata such as finalizers); no-op writes are not written; immutable uid;
 * - finalizers: delete marks (deletionTimestamp) and the object goes when the last finalizer does;
 * - JSON merge, JSON and strategic merge patches (the shared `kube/patch` engines), with a
 *   resourceVersion in the patch acting as a precondition;
 * - validation of names, labels, annotations, finalizers, Node taints/addresses/conditions,
 *   Service type/ports/load-balancer status, Lease durations (422 with field causes; wrong JSON
 *   types are 400 as decode errors in bodies, 422 in patch results); defaults Service
 *   `spec.type` ClusterIP, port protocol TCP and LoadBalancer ingress `ipMode` VIP;
 * - Service ClusterIPs (10.96.0.0/16) and node ports (30000–32767, plus `healthCheckNodePort` for
 *   `externalTrafficPolicy: Local`) allocated on write, kept across updates that omit them,
 *   freed on delete, 422 when another Service holds one — lowest free first, where the apiserver
 *   picks at random;
 * - list with label/field selectors, namespace filter and consistent limit/continue pages (limit is
 *   honoured for every resourceVersion, including '0');
 * - watch from a resourceVersion with selector transitions, bookmarks, timeouts and a bounded
 *   history (410 Expired once evicted);
 * - Events expire `eventTtlMs` (default 1 h, kube-apiserver's `--event-ttl`) after their last
 *   write, on the server's clock, with a DELETED watch event — at the first request at or after
 *   that instant (there is no timer);
 * - request accounting per user agent and fault injection (errors, latency, dropped watches);
 * - stored state cannot be changed through an answer: get, list, create, update, patch and
 *   `snapshot()` return private mutable copies, and watch events carry the stored object itself,
 *   deep-frozen (one object shared by every watch and the store; copy it before modifying, as
 *   the informer's cache objects).
 *
 * - for kubectl (docs/simulated-api.md): ConfigMaps, Secrets, Endpoints, EndpointSlices,
 *   events.k8s.io Events and RBAC kinds stored; NamespaceLifecycle with the system namespaces
 *   when `namespaceLifecycle` is set; Service defaults and configurable ClusterIP/node-port ranges;
 *   the HTTP face adds discovery with short names, Table answers, OpenAPI v3 with field
 *   validation, watch-list, and the review APIs decided by an RBAC evaluator.
 *
 * Deliberately absent: enforcement of authorization on its own requests and admission beyond
 * NamespaceLifecycle (namespaces need not exist unless `namespaceLifecycle` is set),
 * defaulting beyond the fields above (no `node.kubernetes.io/not-ready` taint on Node create), managedFields and
 * server-side apply, garbage collection (propagationPolicy is ignored), graceful deletion,
 * periodic bookmarks (call `sendBookmarks()`), the apiserver's default watch timeout and its
 * 3-second wait on resourceVersions from the future (answered 504 at once).
 *
 * @module
 */
export { SimulatedApiServer } from './simulated-api-server.js';
export type { SimulatedApiServerOptions } from './simulated-api-server.js';
export type { FaultInjector, FaultSpec } from './faults.js';
export type { RequestCount, Verb } from './request-counts.js';
