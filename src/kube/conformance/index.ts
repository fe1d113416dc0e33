/**
 * Conformance suites for Outrigger's pluggable contracts; today the KubeClient suite.
 *
 * @module
 */
export { KUBE_CLIENT_CONFORMANCE_CASES, runKubeClientConformance, simulatedConformanceServer } from './kube-client-conformance.js';
export type { ConformanceServer, ConformanceSkip, KubeClientConformanceFixture, KubeClientConformanceOptions } from './kube-client-conformance.js';
