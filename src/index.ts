/**
 * Outrigger: the Kubernetes cloud provider framework and cloud-controller-manager.
 *
 * This entry point exports the provider contract (what a provider implements and how it is
 * registered and loaded), the Kubernetes access seam and client-go machinery, the controller
 * idiom and the logger facade. Test doubles live in `outrigger/testing`.
 *
 * @example
 * ```ts
 * import { defaultRegistry, InstanceNotFoundError, type CloudProvider } from 'outrigger';
 *
 * defaultRegistry.register('acme', ({ contents }) => new AcmeCloud(contents));
 * ```
 *
 * @module
 */
export * from './cloud/index.js';
export * from './kube/index.js';
export { ControllerLoop } from './controllers/controller-loop.js';
export type {
  ControllerLoopOptions,
  ReconcileContext,
  ReconcileObserver,
  ReconcileResult,
  Reconciler,
} from './controllers/controller-loop.js';
export type { Controller, ControllerContext } from './controllers/context.js';
export { createLogger, klogJsonSink, klogTextSink, noopLogger } from './log/logger.js';
export type { LogRecord, LogSink, LogValues, Logger } from './log/logger.js';
export { CloudNodeController } from './controllers/node/index.js';
export type { CloudNodeControllerMetrics, CloudNodeControllerOptions } from './controllers/node/index.js';
export { CloudNodeLifecycleController } from './controllers/node-lifecycle/index.js';
export type { CloudNodeLifecycleControllerOptions } from './controllers/node-lifecycle/index.js';
export { ServiceController } from './controllers/service/index.js';
export type { ServiceControllerMetrics, ServiceControllerOptions } from './controllers/service/index.js';
export { RouteController, RouteControllerConfigError } from './controllers/route/index.js';
export type { RouteControllerOptions } from './controllers/route/index.js';
// The manager process lives in `outrigger/manager` (and Outrigger's providers in
// `outrigger/providers`), so that importing the contract loads neither.
