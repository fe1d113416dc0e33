/**
 * The adapter to a real Kubernetes API server — the only code that imports
 * `@kubernetes/client-node` (1.4.0, used for kubeconfig loading and credentials only; requests go
 * over one keep-alive `node:http(s)` agent as raw JSON, see `http-transport.ts` for why).
 *
 * @module
 */
export { createKubeClient } from './create-kube-client.js';
export type { ClientNodeKubeClient, CreateKubeClientOptions } from './create-kube-client.js';
export type { BearerTokenSource } from './http-transport.js';
export { loadKubeConfig } from './load-kube-config.js';
export type { KubeConfigSource, LoadedKubeConfig } from './load-kube-config.js';
export { KubeConfigError } from './kube-config-error.js';
export type { KubeConfigErrorOptions } from './kube-config-error.js';
export { KubeTransportError } from './kube-transport-error.js';
export type { KubeTransportErrorOptions, TransportFailure } from './kube-transport-error.js';
export { InMemoryRequestMetrics } from './request-metrics.js';
export type { RequestMetrics, RequestMetricTotals, RequestObservation } from './request-metrics.js';
