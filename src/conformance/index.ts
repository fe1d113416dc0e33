/**
 * The provider conformance suite (`outrigger/conformance`): drives a cloud provider through the
 * real controllers on the simulated API server and a virtual clock, case by case, with every
 * case not declared in the fixture reported as skipped; and the cluster level, black-box against
 * whatever cloud-controller-manager runs on a live cluster. See docs/conformance.md.
 *
 * @module
 */
export { CaseSkipped, PROVIDER_CASES } from './cases.js';
export type { CaseContext, ConformanceCase } from './cases.js';
export { parseConformanceFixture } from './fixture.js';
export type { ConformanceFixture, FixtureInstance, FixtureLoadBalancer } from './fixture.js';
export { formatCaseLine, formatConformanceTable, formatJson, formatJunit, formatMatrix } from './format.js';
export { builtinHooks } from './hooks.js';
export type { ConformanceHooks, InspectedLoadBalancer } from './hooks.js';
export { providerConformanceCases, runProviderConformance } from './run.js';
export type { CaseResult, CaseStatus, ConformanceReport, RunnableCase, RunProviderConformanceOptions } from './run.js';
export { ConformanceCheckError } from './world.js';
export type { ConformanceTarget } from './world.js';
export { CLUSTER_CASES } from './cluster/cluster-cases.js';
export type { ClusterCaseContext, ClusterConformanceCase } from './cluster/cluster-cases.js';
export { ClusterConformanceError, checkClusterAccess, cleanupClusterConformance, clusterConformanceCases, runClusterConformance } from './cluster/cluster-run.js';
export type { CleanupOptions, ClusterConformanceReport, RunClusterConformanceOptions } from './cluster/cluster-run.js';
export { CaseDeadline, EXCLUDED_BY_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_LABEL } from './cluster/session.js';
export type { ClusterSession } from './cluster/session.js';
export type { FixtureCluster } from './fixture.js';
