/**
 * What a cluster-level case works with: the client, the run's own namespace and labels, and the
 * waits — bounded polling, each with an explicit deadline, failing with a message that names the
 * case and what never showed up.
 *
 * @module
 */
import type { Event, Node, Service } from 'kubernetes-types/core/v1.js';
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../kube/clock.js';
import { isNotFound } from '../../kube/errors.js';
import { ConformanceCheckError } from '../world.js';

/** Label on everything the suite creates, so `--cleanup-only` finds leftovers of any run. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Value of {@link MANAGED_BY_LABEL}. */
export const MANAGED_BY_VALUE = 'outrigger-conformance';
/** Label naming the run that created an object. */
export const RUN_LABEL = 'conformance.outrigger.dev/run';
/** Annotation on a Node the suite excluded from load balancers (value: the run id), to undo it after a crash. */
export const EXCLUDED_BY_ANNOTATION = 'conformance.outrigger.dev/excluded-by';

/** One run's state shared by its cases. */
export interface ClusterSession {
  readonly kube: KubeClient;
  readonly clock: Clock;
  /** The run's namespace (created before the first load-balancer case). */
  readonly namespace: string;
  readonly runId: string;
  /** Per-case deadline, ms. */
  readonly caseTimeoutMs: number;
  /** Interval of the bounded polls, ms. */
  readonly pollMs: number;
  /** Aborted on Ctrl-C: every wait ends at once. */
  readonly signal: AbortSignal;
  /** providerID of every Node when the run started (the stability check compares with it). */
  readonly providerIDsAtStart: ReadonlyMap<string, string>;
  /** Makes sure the namespace exists (the node cases do not need it). */
  ensureNamespace(): Promise<void>;
}

/** Fails the current case. */
export function fail(message: string): never {
  throw new ConformanceCheckError(message);
}

/** Fails the current case unless `ok`. */
export function check(ok: boolean, message: string): void {
  if (!ok) fail(message);
}

/** A case's deadline: one per case, shared by all its waits. */
export class CaseDeadline {
  readonly #s: ClusterSession;
  readonly #at: number;
  readonly #caseId: string;

  constructor(s: ClusterSession, caseId: string) {
    this.#s = s;
    this.#caseId = caseId;
    this.#at = s.clock.now() + s.caseTimeoutMs;
  }

  /**
   * Polls `probe` until it answers a value (not `undefined`) or the deadline passes.
   * @throws ConformanceCheckError `<case>: <what> not seen within <timeout> (last: <detail>)`.
   */
  async until<T>(what: string, probe: () => Promise<T | undefined>, last?: () => string): Promise<T> {
    for (;;) {
      this.#s.signal.throwIfAborted();
      const value = await probe();
      if (value !== undefined) return value;
      const left = this.#at - this.#s.clock.now();
      if (left <= 0) {
        const detail = last?.();
        fail(`${this.#caseId}: ${what} not seen within ${Math.round(this.#s.caseTimeoutMs / 1000)} s${detail === undefined ? '' : ` (last seen: ${detail})`}`);
      }
      await this.#s.clock.sleep(Math.min(this.#s.pollMs, left), this.#s.signal);
    }
  }
}

/** The Service, or undefined once it is gone. */
export async function getService(s: ClusterSession, name: string): Promise<Service | undefined> {
  try {
    return await s.kube.services.get({ namespace: s.namespace, name }, { signal: s.signal });
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every Node of the cluster. */
export async function listNodes(s: Pick<ClusterSession, 'kube' | 'signal'>): Promise<Node[]> {
  return (await s.kube.nodes.list({ signal: s.signal })).items;
}

/**
 * How many times the CCM has reported `reason` about the object with `uid`: the sum of the
 * `count` of its Events (the recorder folds repeats into one Event and raises its count).
 */
export async function eventCount(s: ClusterSession, uid: string, reason: string): Promise<number> {
  const events: Event[] = (await s.kube.events.list({ namespace: s.namespace, signal: s.signal })).items;
  let n = 0;
  for (const e of events) {
    if (e.involvedObject.uid === uid && e.reason === reason) n += Math.max(1, e.count ?? e.series?.count ?? 1);
  }
  return n;
}

/** The labels every object the suite creates carries. */
export function suiteLabels(s: Pick<ClusterSession, 'runId'>): Record<string, string> {
  return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_LABEL]: s.runId };
}

/** JSON for messages. */
export const json = (v: unknown): string => JSON.stringify(v);
