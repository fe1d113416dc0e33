/**
 * The simulator's runner: scenarios against the real manager wiring on a virtual clock.
 *
 * @module
 */
export { MAX_TIMER_INSTANTS, runScenario, SimulationSetupError } from './run-scenario.js';
export type { LiveSimulation, RunScenarioOptions, SimulationProgress } from './run-scenario.js';
export type { ExpectationResult, ReplicaReport, ReplicaStop, SettleResult, SimulationReport } from './report.js';
export { CloudCallLog } from './cloud-call-log.js';
export type { CloudCallEntry } from './cloud-call-log.js';
export { applyFakeCloudStep, CloudStepError } from './cloud-steps.js';
export { formatReport } from './format-report.js';
export { limitHeapGrowthForSimulation, SIMULATOR_HEAP_GROWING_PERCENT } from './heap-growth.js';
export { QueueWatch } from './queue-watch.js';
export { ProcessClock, ProcessGate } from './process-gate.js';
export type { ProcessState } from './process-gate.js';
export { replicaIdentity, SIMULATOR_IDENTITY } from './replica.js';
export { REFUSED_SCENARIO_FLAGS, SCENARIO_SAFE_FLAGS } from './scenario-flags.js';
export { seededRandom, seededUid } from './seeded-random.js';
