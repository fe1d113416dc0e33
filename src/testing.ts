/**
 * Test doubles for provider authors and Outrigger's own tests: the simulated API server (an
 * in-process stand-in for kube-apiserver — never a substitute for a real cluster), the virtual
 * clock and an in-memory log sink.
 *
 * @example
 * ```ts
 * import { FakeClock, SimulatedApiServer } from 'outrigger/testing';
 *
 * const clock = new FakeClock();
 * const server = new SimulatedApiServer({ clock });
 * const kube = server.client({ userAgent: 'my-test' });
 * await kube.nodes.create({ metadata: { name: 'n1' } });
 * ```
 *
 * @module
 */
export { FakeClock } from './kube/clock.js';
export { SimulatedApiServer } from './kube/memory/index.js';
export type { FaultInjector, FaultSpec, RequestCount, SimulatedApiServerOptions, Verb } from './kube/memory/index.js';
export { MemoryLogSink } from './log/logger.js';
export { HttpApiServer, kubeconfigFor } from './kube/memory/http/index.js';
export type { HttpApiServerOptions, HttpFaultAction, HttpFaultInjector, HttpFaultSpec, KubeconfigOptions, RecordedRequest } from './kube/memory/http/index.js';
export { runKubeClientConformance, simulatedConformanceServer } from './kube/conformance/index.js';
export {
  FakeCloudProvider,
  FakeConfigError,
  fakeProviderFactory,
  parseFakeConfig,
  registerFakeProvider,
} from './providers/fake/index.js';
export type * from './providers/fake/index.js';
export {
  ADMIN_USER,
  AUDIT_POLICY_YAML,
  countBy,
  findKubeBinaries,
  KUBE_BIN_DIR_ENV,
  parseAuditLog,
  readAuditLog,
  startKubeTestCluster,
  WRITE_VERBS,
} from './testing/kube-test-cluster/index.js';
export type { ConformanceServer, KubeClientConformanceFixture, KubeClientConformanceOptions, ConformanceSkip } from './kube/conformance/index.js';
export type { ApiResponse, AuditedWrite, KubeBinaries, KubeTestCluster, KubeTestClusterOptions, KubeTestUser } from './testing/kube-test-cluster/index.js';
// The scenario runner behind `outrigger simulate`: drive your own provider through the real
// controllers on a virtual clock (pass it in `registry`).
export { formatReport, runScenario, SimulationSetupError } from './simulation/runner/index.js';
export type { ExpectationResult, LiveSimulation, ReplicaReport, ReplicaStop, RunScenarioOptions, SettleResult, SimulationProgress, SimulationReport } from './simulation/runner/index.js';
export { loadScenario, ScenarioError } from './simulation/scenario/index.js';
export type { Expectation, ManagerExpectation, ReplicaAction, ScenarioFile, Step, StopKind } from './simulation/scenario/index.js';
