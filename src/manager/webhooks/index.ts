/**
 * Cloud-provider admission webhooks (KEP-2699, feature gate `CloudControllerManagerWebhook`).
 *
 * @module
 */
export type { AdmissionRequest, AdmissionResponse, AdmissionReview, AdmissionWebhook, GroupVersionKind, GroupVersionResource } from './admission.js';
export { enabledWebhooks, WebhookRegistrationError } from './enabled-webhooks.js';
export { DEFAULT_WEBHOOK_PORT, startWebhookServing } from './serve-webhooks.js';
export type { WebhookServingHandle, WebhookServingOptions } from './serve-webhooks.js';
