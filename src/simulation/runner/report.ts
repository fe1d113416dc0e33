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

/** How a manager replica stopped on its own (before the run ended). */
export interface ReplicaStop {
  /** Virtual ms since the start when its run ended (it may still have been winding down before). */
  readonly at?: number;
  readonly kind: 'lease-lost' | 'failed' | 'shutdown';
  /** The exit code its process would end with. */
  readonly exitCode: number;
  /** Why, in one line (`leaderelection lost: kube-system/cloud-controller-manager (…)`). */
  readonly reason: string;
  /** A `manager` expectation asked for this stop, and held; an unexpected stop fails the run. */
  readonly expected: boolean;
}

/** One manager replica's part in the run. */
export interface ReplicaReport {
  readonly index: number;
  /** Its leader-election identity. */
  readonly identity: string;
  /** At the end of the steps: still running, paused, killed by a step, or stopped on its own. */
  readonly state: 'running' | 'paused' | 'killed' | 'stopped';
  /** When the main Lease named it (virtual ms since the start; `to` absent when it still did). */
  readonly led: readonly { readonly from: number; readonly to?: number }[];
  /** Writes the API accepted from it, Leases excluded (Events included). */
  readonly writes: number;
  /** Of those, the ones accepted while the Lease named another holder: 0 unless fencing failed. */
  readonly deposedWrites: number;
  /** When a step killed it. */
  readonly killedAt?: number;
  /** When a step paused it, if it still is. */
  readonly pausedAt?: number;
  /**
   * Set when the simulator froze it for spinning: more than a million API requests at one virtual
   * instant (a retry loop without a delay). The run fails: a manager bug, not the scenario's.
   */
  readonly livelock?: { readonly at: number; readonly requests: number; readonly last: string };
  readonly stopped?: ReplicaStop;
}

/** The full report of a run. */
export interface SimulationReport {
  readonly name: string;
  readonly seed: number;
  /** Every expectation held, every settle settled, and no replica stopped unexpectedly. */
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
  /** Virtual work: the distinct virtual times at which timers fired during the steps (bounded per run). */
  readonly timerInstants: number;
  /** Every manager replica (one unless the scenario asks for `replicas`). */
  readonly replicas: readonly ReplicaReport[];
  /**
   * The exit code of the first replica that stopped on its own without an expectation asking for
   * it (a failure of the run).
   */
  readonly managerExit?: number;
  /** Why that replica stopped (with {@link managerExit}), naming the replica when there are several. */
  readonly managerStopped?: string;
}

/** Kind-agnostic view of a snapshot object for lookups. */
export type AnyObject = KubeObject & Record<string, unknown>;
