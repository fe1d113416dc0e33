/**
 * `outrigger/manager`: the cloud-controller-manager process as a library — a provider author's own
 * binary around upstream's flags (upstream's `CommandBuilder`), with its providers and admission
 * webhooks. The manager registers no provider of its own: pass yours in `providers`, or register
 * Outrigger's with `registerBuiltinProviders` from `outrigger/providers`.
 *
 * @example
 * ```ts
 * import { runCloudControllerManager } from 'outrigger/manager';
 * import { provider as acme } from './acme-provider.js';
 *
 * process.exitCode = await runCloudControllerManager({ argv: process.argv.slice(2), providers: [acme] });
 * ```
 *
 * @module
 */
export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCloudControllerManager } from './run.js';
export type { RunCloudControllerManagerOptions, TextSink } from './run.js';
export type { AdmissionRequest, AdmissionResponse, AdmissionReview, AdmissionWebhook, GroupVersionKind, GroupVersionResource } from './webhooks/index.js';
