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

/** Why a manager replica stopped, as the manager's stop reasons name it. */
export type StopKind = 'lease-lost' | 'failed' | 'shutdown';

/** A check of one manager replica (a `manager` expectation). */
export interface ManagerExpectation {
  /** Which replica (default 0). */
  replica?: number;
  /** Alive: neither stopped nor killed (a paused replica is alive). */
  running?: boolean;
  /** The main Lease names this replica, and it is alive. */
  leading?: boolean;
  /** It stopped on its own for this reason; a stop that no expectation asks for fails the run. */
  stopped?: StopKind;
  /** With `stopped`: the exit code its process ends with. */
  exitCode?: number;
  /** With `stopped`: text in the description of why it stopped. */
  messageContains?: string;
  /** Writes (Leases excluded) the API accepted from it while the Lease named another replica. */
  deposedWrites?: number;
}

/** One check of an `expect` step: an object, a manager replica, the cloud's state, or a recorded Event. */
export type Expectation =
  | { kind: string; namespace?: string; name: string; match?: unknown; absent?: boolean; listMode?: ListMode }
  | { manager: ManagerExpectation }
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
  | { replica: ReplicaAction }
  | { expect: Expectation[] };

/** A `replica` step: exactly one of the three, naming a replica by index. */
export type ReplicaAction = { kill: number } | { pause: number } | { resume: number };

/** Where a loaded scenario's fields are in its text, for messages about them while it runs. */
export interface ScenarioSource {
  /** The file name used in messages. */
  readonly file: string;
  /** 1-based line and column of the field at `path` (`['steps', 3, 'patch']`), when known. */
  position(path: readonly (string | number)[]): { readonly line: number; readonly column: number } | undefined;
}

/** A parsed, validated scenario file. */
export interface ScenarioFile {
  name: string;
  /** Free text for the reader; the runner ignores it. */
  description?: string;
  /** Seed of the runner's deterministic `random()`; default 1. */
  seed: number;
  provider: { name: string; config?: unknown };
  /**
   * Manager replicas sharing the simulated API server and cloud (default 1), identities
   * `outrigger-simulator-<i>` (a single replica is `outrigger-simulator`).
   */
  replicas?: number;
  /** Manager flags by upstream name without dashes (`node-monitor-period: 5s`). */
  manager: Record<string, string | number | boolean | string[]>;
  /** Objects present before the manager starts. */
  objects: KubeObject[];
  steps: Step[];
  /** Set by `loadScenario`: positions of the fields, so errors while running name `file:line`. */
  source?: ScenarioSource;
}
