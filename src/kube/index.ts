/**
 * Kubernetes access: the KubeClient seam, typed API errors, resource descriptors, and the
 * client-go machinery written to client-go semantics (informers, work queue, rate limiters,
 * event recorder, backoff and retry, the Clock seam).
 *
 * @module
 */
export type {
  DeleteOptions,
  JsonPatchOperation,
  KubeClient,
  ListOptions,
  ObjectKey,
  ObjectList,
  Patch,
  RequestOptions,
  ResourceClient,
  WatchEvent,
  WatchEventType,
  WatchOptions,
  WatchStream,
  WriteOptions,
} from './client.js';
export { patchContentType } from './client.js';
export type { Clock, Timer } from './clock.js';
export { RealClock } from './clock.js';
export {
  apiErrors,
  groupResource,
  isAlreadyExists,
  isBadRequest,
  isConflict,
  isInvalid,
  isNotFound,
  isResourceExpired,
  isTooManyRequests,
  KubeApiError,
  reasonForHttpStatus,
} from './errors.js';
export type { ApiStatus, KubeApiErrorOptions, StatusCause, StatusDetails, StatusReason } from './errors.js';
export {
  apiVersionOf,
  BUILTIN_RESOURCES,
  defineResource,
  EVENTS,
  keyOf,
  LEASES,
  NODES,
  objectKeyString,
  parseObjectKey,
  SERVICES,
} from './resources.js';
export type { Event, KubeObject, Lease, Node, ObjectMeta, ResourceType, Service } from './resources.js';
export { DeletedFinalStateUnknown, Informer, isDeletedFinalStateUnknown, objectFromTombstone } from './informer.js';
export type {
  EventHandlerOptions,
  EventHandlerRegistration,
  IndexFunc,
  InformerEventHandler,
  InformerOptions,
} from './informer.js';
export { SharedInformerFactory } from './shared-informers.js';
export type { InformerScope, SharedInformerFactoryOptions } from './shared-informers.js';
export { EventBroadcaster } from './events.js';
export type { EventBroadcasterOptions, EventRecorder, EventSourceInfo, EventType } from './events.js';
export { WorkQueue } from './work-queue.js';
export type { WorkQueueMetrics, WorkQueueOptions } from './work-queue.js';
export {
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  TokenBucket,
} from './rate-limiter.js';
export type { RateLimiter } from './rate-limiter.js';
export { exponentialBackoff, jitter, WaitTimeoutError } from './backoff.js';
export type { Backoff, BackoffDeps } from './backoff.js';
export { DEFAULT_BACKOFF, DEFAULT_RETRY, onError, retryOnConflict } from './retry.js';
