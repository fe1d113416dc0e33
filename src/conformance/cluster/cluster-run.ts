/**
 * Runs the cluster-level cases against a live cluster: checks the suite's own access first
 * (one SelfSubjectAccessReview per verb and resource it needs), runs each case under its own
 * deadline, and always cleans up — on success, on failure and on abort (Ctrl-C) — what it created:
 * its Services, its namespace, the exclusion label it put on a Node.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Namespace, Node } from 'kubernetes-types/core/v1.js';
import { LABEL_NODE_EXCLUDE_BALANCERS } from '../../controllers/service/node-predicates.js';
import type { KubeClient } from '../../kube/client.js';
import { RealClock } from '../../kube/clock.js';
import type { Clock } from '../../kube/clock.js';
import { KubeApiError, isAlreadyExists, isNotFound } from '../../kube/errors.js';
import { NAMESPACES, defineResource } from '../../kube/resources.js';
import type { KubeObject } from '../../kube/resources.js';
import { errorMessage } from '../../log/error-message.js';
import { CaseSkipped } from '../cases.js';
import type { ConformanceFixture } from '../fixture.js';
import type { CaseResult, CaseStatus, ConformanceReport, RunnableCase } from '../run.js';
import { CLUSTER_CASES } from './cluster-cases.js';
import type { ClusterConformanceCase } from './cluster-cases.js';
import { CaseDeadline, EXCLUDED_BY_ANNOTATION, MANAGED_BY_LABEL, MANAGED_BY_VALUE, RUN_LABEL, listNodes } from './session.js';
import type { ClusterSession } from './session.js';

/** Bad input or an unusable cluster: the run cannot start (or go on). One line, naming what. */
export class ClusterConformanceError extends Error {
  override readonly name = 'ClusterConformanceError';
}

/** Options of {@link runClusterConformance}. */
export interface RunClusterConformanceOptions {
  /** A client for the cluster (`createKubeClient({ kubeconfig })` from the adapter, or any KubeClient). */
  readonly kube: KubeClient;
  /** How the report names the cluster (default `cluster`). */
  readonly clusterName?: string | undefined;
  readonly fixture: ConformanceFixture;
  /** Only the cases whose id contains one of these (default: all). */
  readonly only?: readonly string[] | undefined;
  /** Deadline of each case, ms (default 300 000: a cloud load balancer may take minutes). */
  readonly caseTimeoutMs?: number | undefined;
  /** How long cleanup waits for the run's Services to go, ms (default: the case timeout). */
  readonly cleanupTimeoutMs?: number | undefined;
  /** Interval of the bounded polls, ms (default 500). */
  readonly pollMs?: number | undefined;
  /** Abort (Ctrl-C): the running case stops at once, the rest are skipped, cleanup still runs. */
  readonly signal?: AbortSignal | undefined;
  /** Told when a case starts (`result` undefined) and when it ends. */
  readonly onProgress?: ((c: ClusterConformanceCase, index: number, total: number, result?: CaseResult) => void) | undefined;
  /** Told about cleanup and pre-check notes (one line each). */
  readonly onNote?: ((line: string) => void) | undefined;
  /** Time source for deadlines and polls (default: the wall clock). */
  readonly clock?: Clock | undefined;
  /** The run's id (default: random), part of its namespace name and labels. */
  readonly runId?: string | undefined;
}

/** The report of a cluster run, with what cleanup could not remove. */
export interface ClusterConformanceReport extends ConformanceReport {
  readonly level: 'cluster';
  /** The run's namespace. */
  readonly namespace: string;
  /** What is still there after cleanup (each a sentence); empty when all went. */
  readonly leftovers: readonly string[];
}

const DEFAULT_CASE_TIMEOUT_MS = 300_000;
const DEFAULT_POLL_MS = 500;

interface AccessReview extends KubeObject {
  spec: { resourceAttributes: { verb: string; resource: string; group?: string; namespace?: string } };
  status?: { allowed?: boolean; denied?: boolean; reason?: string };
}

const SELF_SUBJECT_ACCESS_REVIEWS = defineResource<AccessReview>({
  group: 'authorization.k8s.io',
  version: 'v1',
  resource: 'selfsubjectaccessreviews',
  kind: 'SelfSubjectAccessReview',
  namespaced: false,
  hasStatus: false,
});

/** What the suite itself needs (cluster-wide: its namespace does not exist yet, so no RoleBinding can grant it). */
function neededAccess(fixture: ConformanceFixture): Array<[verb: string, resource: string]> {
  const out: Array<[string, string]> = [
    ['list', 'nodes'],
    ['list', 'events'],
  ];
  if (fixture.loadBalancer !== undefined) {
    out.push(['create', 'namespaces'], ['delete', 'namespaces'], ['list', 'namespaces']);
    for (const verb of ['create', 'get', 'list', 'patch', 'delete']) out.push([verb, 'services']);
  }
  if (fixture.cluster?.excludeNode !== undefined) out.push(['patch', 'nodes']);
  return out;
}

function describeFailure(err: unknown, server: string): string {
  // The adapter's transport errors already name the server and the kubeconfig.
  if (err instanceof KubeApiError || (err as { code?: unknown } | null)?.code === 'KubeTransportError') return errorMessage(err);
  return `cannot reach the cluster at ${server}: ${errorMessage(err)}`;
}

/**
 * Checks, before anything is created, that the cluster answers and that the suite may do what it
 * will do. An API server that does not serve SelfSubjectAccessReview is reported as a note, and
 * a missing grant then surfaces as the first 403 of a case.
 * @throws ClusterConformanceError `the suite may not <verb> <resource> …` or `cannot reach …`.
 */
export async function checkClusterAccess(kube: KubeClient, fixture: ConformanceFixture, o: { server?: string; signal?: AbortSignal; onNote?: (line: string) => void } = {}): Promise<void> {
  const server = o.server ?? 'the cluster';
  const reviews = kube.resource(SELF_SUBJECT_ACCESS_REVIEWS);
  const denied: string[] = [];
  for (const [verb, resource] of neededAccess(fixture)) {
    let answer: AccessReview;
    try {
      answer = await reviews.create(
        { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {}, spec: { resourceAttributes: { verb, resource, group: '' } } },
        { ...(o.signal === undefined ? {} : { signal: o.signal }) },
      );
    } catch (err) {
      if (isNotFound(err)) {
        o.onNote?.(`${server} does not serve selfsubjectaccessreviews: the suite's RBAC was not checked up front`);
        // Still prove the cluster answers, with the cheapest read the suite needs anyway.
        try {
          await kube.nodes.list({ limit: 1, ...(o.signal === undefined ? {} : { signal: o.signal }) });
        } catch (err2) {
          throw new ClusterConformanceError(describeFailure(err2, server));
        }
        return;
      }
      throw new ClusterConformanceError(describeFailure(err, server));
    }
    if (answer.status?.allowed !== true) denied.push(`${verb} ${resource}${answer.status?.reason ? ` (${answer.status.reason})` : ''}`);
  }
  if (denied.length > 0) {
    throw new ClusterConformanceError(`the suite's own credentials may not ${denied.join(', ')} (cluster-wide, checked with SelfSubjectAccessReview against ${server}); grant them (docs/conformance.md lists the ClusterRole)`);
  }
}

/**
 * The cases `only` selects (all without it).
 * @throws ClusterConformanceError when an entry selects no case: a typo would otherwise run
 *   nothing and report no failure.
 */
function selected(only: readonly string[] | undefined): readonly ClusterConformanceCase[] {
  if (only === undefined || only.length === 0) return CLUSTER_CASES;
  const unknown = only.filter((o) => !CLUSTER_CASES.some((c) => c.id.includes(o)));
  if (unknown.length > 0) {
    throw new ClusterConformanceError(`--only ${unknown.map((u) => JSON.stringify(u)).join(', ')}: no cluster case id contains it (the ids: ${CLUSTER_CASES.map((c) => c.id).join(', ')})`);
  }
  return CLUSTER_CASES.filter((c) => only.some((o) => c.id.includes(o)));
}

/** A session for one run; the namespace is created on first use. */
function newSession(o: RunClusterConformanceOptions, signal: AbortSignal, providerIDsAtStart: ReadonlyMap<string, string>): ClusterSession & { created: () => boolean } {
  const runId = o.runId ?? randomBytes(3).toString('hex');
  const namespace = `outrigger-conformance-${runId}`;
  let made: Promise<void> | undefined;
  let created = false;
  const kube = o.kube;
  return {
    kube,
    clock: o.clock ?? new RealClock(),
    namespace,
    runId,
    caseTimeoutMs: o.caseTimeoutMs ?? DEFAULT_CASE_TIMEOUT_MS,
    pollMs: o.pollMs ?? DEFAULT_POLL_MS,
    signal,
    providerIDsAtStart,
    created: () => created,
    ensureNamespace() {
      made ??= (async () => {
        const ns: Namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [RUN_LABEL]: runId } } };
        // Set before the request: a create interrupted in flight may still have landed, and
        // cleanup (which finds things by label) must then look.
        created = true;
        try {
          await kube.resource(NAMESPACES).create(ns, { signal });
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
        }
      })();
      return made;
    },
  };
}

async function runCase(c: ClusterConformanceCase, fixture: ConformanceFixture, session: ClusterSession, now: () => number): Promise<CaseResult> {
  const base = { id: c.id, title: c.title, group: c.group, upstream: c.upstream };
  const reason = c.skipReason(fixture);
  if (reason !== undefined) return { ...base, status: 'skipped', message: reason, durationMs: 0 };
  if (session.signal.aborted) return { ...base, status: 'skipped', message: `not run: ${errorMessage(session.signal.reason)}`, durationMs: 0 };
  const start = now();
  try {
    await c.run({ fixture, session, deadline: new CaseDeadline(session, c.id) });
    return { ...base, status: 'passed', durationMs: now() - start };
  } catch (err) {
    if (err instanceof CaseSkipped) return { ...base, status: 'skipped', message: err.message, durationMs: now() - start };
    if (session.signal.aborted) return { ...base, status: 'failed', message: `interrupted: ${errorMessage(session.signal.reason)}`, durationMs: now() - start };
    const message = errorMessage(err);
    return { ...base, status: 'failed', message: message.startsWith(`${c.id}:`) ? message : `${c.id}: ${message}`, durationMs: now() - start };
  }
}

/** Options of {@link cleanupClusterConformance}. */
export interface CleanupOptions {
  /** Only this run's objects (default: every run's). */
  readonly runId?: string | undefined;
  /** How long to wait for the Services to go (their finalizers are the CCM's to remove), ms (default 120 000). */
  readonly timeoutMs?: number | undefined;
  readonly clock?: Clock | undefined;
  readonly pollMs?: number | undefined;
  readonly onNote?: ((line: string) => void) | undefined;
}

/**
 * Removes what runs of the suite left behind: the exclusion label on Nodes, the Services in its
 * namespaces (waiting for the CCM to remove their finalizers — never forcing them, which would
 * leak the cloud's load balancer), then the namespaces. `--cleanup-only` is this alone.
 * @returns what is still there, each as a sentence.
 */
export async function cleanupClusterConformance(kube: KubeClient, o: CleanupOptions = {}): Promise<string[]> {
  const clock = o.clock ?? new RealClock();
  const selector = o.runId === undefined ? `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` : `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE},${RUN_LABEL}=${o.runId}`;
  const leftovers: string[] = [];
  // Nodes first: an exclusion left behind takes a Node out of every load balancer of the cluster.
  for (const n of await listNodes({ kube, signal: new AbortController().signal })) {
    const by = n.metadata?.annotations?.[EXCLUDED_BY_ANNOTATION];
    if (by === undefined || (o.runId !== undefined && by !== o.runId)) continue;
    const body = { metadata: { labels: { [LABEL_NODE_EXCLUDE_BALANCERS]: null }, annotations: { [EXCLUDED_BY_ANNOTATION]: null } } };
    await kube.nodes.patch({ name: n.metadata?.name ?? '' }, { type: 'merge', body });
    o.onNote?.(`cleanup: Node ${n.metadata?.name ?? ''}: removed the ${LABEL_NODE_EXCLUDE_BALANCERS} label of run ${by}`);
  }
  const namespaces = (await kube.resource(NAMESPACES).list({ labelSelector: selector })).items;
  for (const ns of namespaces) {
    const name = ns.metadata?.name ?? '';
    const services = (await kube.services.list({ namespace: name })).items;
    for (const s of services) {
      if (s.metadata?.deletionTimestamp !== undefined) continue;
      try {
        await kube.services.delete({ namespace: name, name: s.metadata?.name ?? '' });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const deadline = clock.now() + (o.timeoutMs ?? 120_000);
    let remaining = services;
    while (remaining.length > 0) {
      remaining = (await kube.services.list({ namespace: name })).items;
      if (remaining.length === 0 || clock.now() >= deadline) break;
      await clock.sleep(o.pollMs ?? DEFAULT_POLL_MS);
    }
    for (const s of remaining) {
      leftovers.push(`Service ${name}/${s.metadata?.name ?? ''} is still there with finalizers ${JSON.stringify(s.metadata?.finalizers ?? [])}: the CCM did not release its load balancer`);
    }
    if (remaining.length > 0) continue; // the namespace would be stuck Terminating on them
    try {
      await kube.resource(NAMESPACES).delete({ name });
      o.onNote?.(`cleanup: deleted namespace ${name}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  return leftovers;
}

/**
 * Runs the cluster-level cases and cleans up after them, whatever happens. A case the fixture
 * does not declare is SKIPPED with the reason; an abort skips the cases not yet run.
 *
 * @example
 * ```ts
 * import { createKubeClient } from 'outrigger/client-node';
 * const kube = await createKubeClient({ kubeconfig: 'kubeconfig.yaml' });
 * const report = await runClusterConformance({ kube, fixture, caseTimeoutMs: 120_000 });
 * console.log(formatConformanceTable(report));
 * ```
 * @throws ClusterConformanceError when the cluster cannot be reached or the suite lacks access
 *   (checked before anything is created).
 */
export async function runClusterConformance(o: RunClusterConformanceOptions): Promise<ClusterConformanceReport> {
  const clusterName = o.clusterName ?? 'cluster';
  const outer = o.signal ?? new AbortController().signal;
  // Bad input first, before the cluster is asked anything.
  const cases = selected(o.only);
  await checkClusterAccess(o.kube, o.fixture, { server: clusterName, signal: outer, ...(o.onNote === undefined ? {} : { onNote: o.onNote }) });
  let nodes: Node[];
  try {
    nodes = await listNodes({ kube: o.kube, signal: outer });
  } catch (err) {
    throw new ClusterConformanceError(describeFailure(err, clusterName));
  }
  const session = newSession(o, outer, new Map(nodes.map((n) => [n.metadata?.name ?? '', n.spec?.providerID ?? ''])));
  const now = (): number => performance.now();
  const results: CaseResult[] = [];
  let leftovers: string[] = [];
  try {
    for (const [i, c] of cases.entries()) {
      o.onProgress?.(c, i, cases.length);
      const result = await runCase(c, o.fixture, session, now);
      results.push(result);
      o.onProgress?.(c, i, cases.length, result);
    }
  } finally {
    try {
      if (session.created() || o.fixture.cluster?.excludeNode !== undefined) {
        leftovers = await cleanupClusterConformance(o.kube, {
          runId: session.runId,
          timeoutMs: o.cleanupTimeoutMs ?? session.caseTimeoutMs,
          clock: session.clock,
          pollMs: session.pollMs,
          ...(o.onNote === undefined ? {} : { onNote: o.onNote }),
        });
      }
    } catch (err) {
      leftovers.push(`cleanup failed: ${errorMessage(err)}; run \`outrigger conformance cluster --cleanup-only\``);
    }
  }
  const count = (s: CaseStatus): number => results.filter((r) => r.status === s).length;
  return { level: 'cluster', provider: clusterName, namespace: session.namespace, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped'), leftovers };
}

/**
 * The cluster cases, each runnable on its own in a provider's test runner. They share one
 * namespace: call `cleanup()` once after the last (an `after` hook).
 *
 * @example
 * ```ts
 * const suite = clusterConformanceCases({ kube, fixture });
 * after(() => suite.cleanup());
 * for (const c of suite.cases) it(c.id, async () => assert.equal((await c.run()).status, 'passed'));
 * ```
 */
export function clusterConformanceCases(o: Omit<RunClusterConformanceOptions, 'onProgress'>): { cases: RunnableCase[]; cleanup(): Promise<string[]> } {
  const outer = o.signal ?? new AbortController().signal;
  let started: Promise<ClusterSession & { created: () => boolean }> | undefined;
  const session = (): Promise<ClusterSession & { created: () => boolean }> =>
    (started ??= (async () => {
      await checkClusterAccess(o.kube, o.fixture, { server: o.clusterName ?? 'the cluster', signal: outer, ...(o.onNote === undefined ? {} : { onNote: o.onNote }) });
      let nodes: Node[];
      try {
        nodes = await listNodes({ kube: o.kube, signal: outer });
      } catch (err) {
        throw new ClusterConformanceError(describeFailure(err, o.clusterName ?? 'the cluster'));
      }
      return newSession(o, outer, new Map(nodes.map((n) => [n.metadata?.name ?? '', n.spec?.providerID ?? ''])));
    })());
  const now = (): number => performance.now();
  return {
    cases: selected(o.only).map((c) => ({
      id: c.id,
      title: c.title,
      upstream: c.upstream,
      skipReason: c.skipReason(o.fixture),
      run: async () => {
        let s: ClusterSession;
        try {
          s = await session();
        } catch (err) {
          // The cluster cannot be used at all: every case says why (a RunnableCase never throws).
          return { id: c.id, title: c.title, group: c.group, upstream: c.upstream, status: 'failed', message: `${c.id}: ${errorMessage(err)}`, durationMs: 0 };
        }
        return runCase(c, o.fixture, s, now);
      },
    })),
    async cleanup() {
      // A session that never started (cluster unreachable, access denied) created nothing.
      const s = await started?.catch(() => undefined);
      if (s === undefined) return [];
      return cleanupClusterConformance(o.kube, { runId: s.runId, timeoutMs: o.cleanupTimeoutMs ?? s.caseTimeoutMs, clock: s.clock, pollMs: s.pollMs });
    },
  };
}
