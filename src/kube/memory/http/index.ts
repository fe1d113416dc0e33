/**
 * The HTTP face of the simulated API server (a test double and sandbox): the Kubernetes REST
 * paths over plain HTTP on loopback, discovery, health, HTTP-level faults and a kubeconfig writer.
 *
 * @module
 */
export { HttpApiServer } from './http-api-server.js';
export type { HttpApiServerOptions, HttpFaultInjector, RecordedRequest } from './http-api-server.js';
export type { HttpFaultAction, HttpFaultSpec } from './http-faults.js';
export { kubeconfigFor } from './kubeconfig.js';
export type { KubeconfigOptions } from './kubeconfig.js';
