/**
 * What a simulation run returns: the final state, traffic figures and every expectation's
 * outcome — the `--output json` document, and the input of the text summary.
 *
 * @module
 */
import type { CloudCallEntry } from './cloud-call-log.js';
import type { Event, KubeObject, Lease, Node, Service } from '../../kube/resources.js';

/** The outcome of one expectation. */
export interface ExpectationResult {
  /** Index of the `expect` step in `steps`. */
  readonly step: number;
  /** Index of the expectation within its step. */
  readonly index: number;
  /** What was checked, e.g. `Node n1` or `event SyncLoadBalancerFailed`. */
  readonly description: string;
  readonly ok: boolean;
  /** Why it failed (paths with expected and actual values). */
  readonly mismatches: readonly string[];
}

/** The outcome of one `settle` step. */
export interface SettleResult {
  readonly step: number;
  /** True when the cluster became idle within the bound. */
  readonly settled: boolean;
  /** Virtual time the step consumed. */
  readonly virtualMs: number;
  /** When not settled: what was still busy, e.g. `service: 1 pending, 0 in flight, 2 delayed`. */
  readonly busy?: readonly string[];
}

/** The full report of a run. */
export interface SimulationReport {
  readonly name: string;
  readonly seed: number;
  /** Every expectation held and every settle settled. */
  readonly passed: boolean;
  readonly expectations: readonly ExpectationResult[];
  readonly settles: readonly SettleResult[];
  /** Final objects (omitted for generated clusters unless asked for). */
  readonly objects?: { readonly nodes: readonly Node[]; readonly services: readonly Service[]; readonly leases: readonly Lease[] };
  /** Recorded core/v1 Events (omitted with the objects). */
  readonly events?: readonly Event[];
  /** Fake provider state: instances, load balancers, routes (with the objects only; absent for other providers). */
  readonly cloud?: { readonly instances: readonly unknown[]; readonly loadBalancers: readonly unknown[]; readonly routes: readonly unknown[] };
  /** Cloud calls by method, and their total (fake provider only). */
  readonly cloudCalls: { readonly total: number; readonly byMethod: Readonly<Record<string, number>> };
  /** The cloud calls in order (the last 10,000; with the objects only), with their outcome. */
  readonly cloudCallLog?: readonly CloudCallEntry[];
  /** API requests by verb and resource, summed over user agents. */
  readonly apiRequests: readonly { readonly verb: string; readonly resource: string; readonly count: number }[];
  /** Create/update/patch/delete requests, Leases and Events excluded (the CCM's real work). */
  readonly apiWrites: number;
  readonly nodes: { readonly total: number; readonly initialised: number };
  readonly loadBalancers: { readonly services: number; readonly ensured: number };
  readonly virtualMs: number;
  readonly wallMs: number;
  /** The manager's exit code when it stopped on its own before the scenario ended (a failure). */
  readonly managerExit?: number;
  /** Why the manager stopped on its own (with {@link managerExit}). */
  readonly managerStopped?: string;
}

/** Kind-agnostic view of a snapshot object for lookups. */
export type AnyObject = KubeObject & Record<string, unknown>;
