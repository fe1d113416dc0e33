/**
 * The validated shape of a scenario file: what `loadScenario` returns and the simulator runner
 * executes. Durations are already milliseconds; manifests are raw wire objects.
 *
 * @module
 */
import type { KubeObject } from '../../kube/resources.js';

/** Names one object of a kind the simulator knows (`Node`, `Service`, `Event`, `Lease`). */
export interface ObjectRef {
  kind: string;
  /** Absent for cluster-scoped kinds; the runner treats it as `default` for namespaced ones. */
  namespace?: string;
  name: string;
}

/** How lists compare in a partial match: same length and order (`equal`) or any-order subset (`contains`). */
export type ListMode = 'equal' | 'contains';

/** One check of an `expect` step: an object, the cloud's state, or a recorded Event. */
export type Expectation =
  | { kind: string; namespace?: string; name: string; match?: unknown; absent?: boolean; listMode?: ListMode }
  | { cloud: unknown; listMode?: ListMode }
  | {
      event: {
        reason: string;
        type?: 'Normal' | 'Warning';
        object?: { kind: string; name: string; namespace?: string };
        messageContains?: string;
        minCount?: number;
        maxCount?: number;
      };
    };

/** API fault injection for the simulated apiserver (`fault` step). */
export interface ApiFault {
  /** Request verb (`get`, `list`, `watch`, `create`, `update`, `patch`, `delete`); absent = any. */
  verb?: string;
  /** Plural resource (`nodes`, `services`, `events`, `leases`); absent = any. */
  resource?: string;
  /** How many matching requests fail; absent = every one until the scenario ends. */
  times?: number;
  /** HTTP status of the injected error (default chosen by the runner, e.g. 500). */
  status?: number;
  /** Status reason (`InternalError`, `ServiceUnavailable`, `Conflict`, …). */
  reason?: string;
  message?: string;
  /** Added latency in ms (a duration in the file). */
  latency?: number;
}

/** One step of a scenario, executed in order; exactly one key per step. */
export type Step =
  | { apply: KubeObject[] }
  | { patch: ObjectRef & { type: 'merge' | 'strategic' | 'json'; patch: unknown } }
  | { delete: ObjectRef }
  | { cloud: Record<string, unknown> }
  | { fault: { api?: ApiFault; dropWatches?: boolean; compactHistory?: boolean } }
  | { advance: number }
  | { settle: { within: number } }
  | { expect: Expectation[] };

/** A parsed, validated scenario file. */
export interface ScenarioFile {
  name: string;
  /** Free text for the reader; the runner ignores it. */
  description?: string;
  /** Seed of the runner's deterministic `random()`; default 1. */
  seed: number;
  provider: { name: string; config?: unknown };
  /** Manager flags by upstream name without dashes (`node-monitor-period: 5s`). */
  manager: Record<string, string | number | boolean | string[]>;
  /** Objects present before the manager starts. */
  objects: KubeObject[];
  steps: Step[];
}
