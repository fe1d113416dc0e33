/**
 * Runs the provider-level cases against one provider and reports each as PASSED, FAILED or
 * SKIPPED (with the reason) — and, for a provider's own test suite, hands out the cases one by
 * one ({@link providerConformanceCases}).
 *
 * @module
 */
import { errorMessage } from '../log/error-message.js';
import { CaseSkipped, PROVIDER_CASES } from './cases.js';
import type { ConformanceCase } from './cases.js';
import type { ConformanceFixture } from './fixture.js';
import type { ConformanceTarget } from './world.js';

/** The outcome of one case. */
export type CaseStatus = 'passed' | 'failed' | 'skipped';

/** One case's result. */
export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly group: ConformanceCase['group'];
  readonly upstream: string;
  readonly status: CaseStatus;
  /** Why it failed or was skipped. */
  readonly message?: string | undefined;
  /** Wall-clock milliseconds it took (virtual time passes much faster). */
  readonly durationMs: number;
}

/** The results of a run. */
export interface ConformanceReport {
  /** Which level ran (absent: provider). */
  readonly level?: 'provider' | 'cluster' | undefined;
  /** The provider's name, or the cluster's (its API server) at the cluster level. */
  readonly provider: string;
  readonly results: readonly CaseResult[];
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
}

/** Options of {@link runProviderConformance}. */
export interface RunProviderConformanceOptions {
  readonly target: ConformanceTarget;
  readonly fixture: ConformanceFixture;
  /** Only the cases whose id contains one of these (default: all). */
  readonly only?: readonly string[] | undefined;
  /** Told when a case starts (`result` undefined) and when it ends. */
  readonly onProgress?: ((c: ConformanceCase, index: number, total: number, result?: CaseResult) => void) | undefined;
  /** Wall clock for durations (default `performance.now`). */
  readonly now?: (() => number) | undefined;
}

/** A case ready to run in a test runner: `run()` resolves with its result and never throws. */
export interface RunnableCase {
  readonly id: string;
  readonly title: string;
  readonly upstream: string;
  /** Set when the fixture already rules the case out. */
  readonly skipReason: string | undefined;
  run(): Promise<CaseResult>;
}

async function runCase(c: ConformanceCase, target: ConformanceTarget, fixture: ConformanceFixture, now: () => number): Promise<CaseResult> {
  const base = { id: c.id, title: c.title, group: c.group, upstream: c.upstream };
  const reason = c.skipReason(fixture);
  if (reason !== undefined) return { ...base, status: 'skipped', message: reason, durationMs: 0 };
  const start = now();
  try {
    await c.run({ fixture, target });
    return { ...base, status: 'passed', durationMs: now() - start };
  } catch (err) {
    if (err instanceof CaseSkipped) return { ...base, status: 'skipped', message: err.message, durationMs: now() - start };
    return { ...base, status: 'failed', message: errorMessage(err), durationMs: now() - start };
  }
}

/**
 * The cases `only` selects (all without it).
 * @throws Error when an entry selects no case: a typo would otherwise run nothing and report no failure.
 */
function selected(only: readonly string[] | undefined): readonly ConformanceCase[] {
  if (only === undefined || only.length === 0) return PROVIDER_CASES;
  const unknown = only.filter((o) => !PROVIDER_CASES.some((c) => c.id.includes(o)));
  if (unknown.length > 0) {
    throw new Error(`--only ${unknown.map((u) => JSON.stringify(u)).join(', ')}: no provider case id contains it (the ids: ${PROVIDER_CASES.map((c) => c.id).join(', ')})`);
  }
  return PROVIDER_CASES.filter((c) => only.some((o) => c.id.includes(o)));
}

/**
 * The cases, each runnable on its own — for a provider's node:test (or any runner) suite.
 *
 * @example
 * ```ts
 * import { it } from 'node:test';
 * import assert from 'node:assert/strict';
 * import { providerConformanceCases } from 'outrigger/conformance';
 *
 * for (const c of providerConformanceCases({ target: { cloudProvider: 'acme', providers: [acme] }, fixture })) {
 *   it(`${c.id}: ${c.title}`, { skip: c.skipReason ?? false }, async (t) => {
 *     const r = await c.run();
 *     if (r.status === 'skipped') t.skip(r.message);
 *     else assert.equal(r.status, 'passed', r.message);
 *   });
 * }
 * ```
 */
export function providerConformanceCases(o: Omit<RunProviderConformanceOptions, 'onProgress'>): RunnableCase[] {
  const now = o.now ?? (() => performance.now());
  return selected(o.only).map((c) => ({
    id: c.id,
    title: c.title,
    upstream: c.upstream,
    skipReason: c.skipReason(o.fixture),
    run: () => runCase(c, o.target, o.fixture, now),
  }));
}

/**
 * Runs every case (one fresh simulated cluster and manager each) and reports.
 *
 * @example
 * ```ts
 * const report = await runProviderConformance({ target: { cloudProvider: 'fake', cloudConfig: 'fake.json' }, fixture });
 * console.log(formatConformanceTable(report));
 * ```
 */
export async function runProviderConformance(o: RunProviderConformanceOptions): Promise<ConformanceReport> {
  const now = o.now ?? (() => performance.now());
  const cases = selected(o.only);
  const results: CaseResult[] = [];
  for (const [i, c] of cases.entries()) {
    o.onProgress?.(c, i, cases.length);
    const result = await runCase(c, o.target, o.fixture, now);
    results.push(result);
    o.onProgress?.(c, i, cases.length, result);
  }
  const count = (s: CaseStatus): number => results.filter((r) => r.status === s).length;
  return { provider: o.target.cloudProvider, results, passed: count('passed'), failed: count('failed'), skipped: count('skipped') };
}
