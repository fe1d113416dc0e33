/**
 * The scenario language's fixed kinds and limits, apart from its schema so that the runner can
 * use them without loading the schema library (a generated run never parses a scenario file).
 *
 * @module
 */

/** The kinds a scenario may hold, with the one apiVersion the simulated apiserver serves each at. */
export const SCENARIO_KINDS: Readonly<Record<string, string>> = Object.freeze({
  Node: 'v1',
  Service: 'v1',
  Event: 'v1',
  Lease: 'coordination.k8s.io/v1',
});

/** Kinds that live in a namespace (the others are cluster-scoped). */
export const NAMESPACED_KINDS: ReadonlySet<string> = new Set(['Service', 'Event', 'Lease']);

/**
 * Longest virtual time one step may ask for (`advance`, `settle.within`, a fault's `latency`): a
 * day. Every virtual second costs wall time (lease renewals, monitor passes, resyncs fire on it),
 * so a scenario cannot ask for a run that never ends.
 */
export const MAX_STEP_DURATION_MS = 24 * 3_600_000;

/** Most manager replicas a scenario may run (each is a whole manager with its own caches). */
export const MAX_REPLICAS = 5;

/** How long `settle` may run by default: ten virtual minutes. */
export const DEFAULT_SETTLE_WITHIN_MS = 600_000;
