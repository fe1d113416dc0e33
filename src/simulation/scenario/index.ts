/**
 * The scenario language of the simulator: the file format, its loader, the partial matcher of
 * `expect` steps and the published JSON Schema.
 *
 * @module
 */
export { parseDuration, ScenarioDurationError } from './duration.js';
export { formatPath } from './field-path.js';
export { loadScenario } from './load-scenario.js';
export { matchPartial } from './match-partial.js';
export type { MatchResult } from './match-partial.js';
export { formatScenarioIssue, ScenarioError } from './scenario-error.js';
export type { ScenarioIssue } from './scenario-error.js';
export { DEFAULT_SETTLE_WITHIN_MS, MAX_REPLICAS, MAX_STEP_DURATION_MS, NAMESPACED_KINDS, SCENARIO_KINDS, scenarioSchema } from './scenario-schema.js';
export { scenarioJsonSchema } from './scenario-json-schema.js';
export type { ApiFault, Expectation, ListMode, ManagerExpectation, ObjectRef, ReplicaAction, ScenarioFile, ScenarioSource, Step, StopKind } from './scenario-types.js';
