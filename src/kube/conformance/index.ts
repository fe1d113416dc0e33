/**
 * Conformance suites for Outrigger's pluggable contracts; today the KubeClient suite.
 *
 * @module
 */
export { KUBE_CLIENT_CONFORMANCE_CASES, runKubeClientConformance } from './kube-client-conformance.js';
export type { ConformanceSkip, KubeClientConformanceFixture, KubeClientConformanceOptions } from './kube-client-conformance.js';
