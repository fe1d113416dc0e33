/**
 * The differential runner: every parity case through upstream's CCM and through Outrigger, one
 * after the other on the same real test cluster (wiped before each run), then the normalised
 * results compared and every difference classified against the pinned expected differences.
 *
 * Design: one kube-apiserver + etcd for the whole run, wiped (Nodes, Services, Events deleted and
 * seen gone) before each CCM run, instead of a fresh cluster per run: a cluster start costs
 * 5–15 s on 2 cores, which for 45+ cases × 2 CCMs alone would exceed the e2e budget. Each CCM
 * run still starts from the same fresh objects and a fresh cloud (a new process reading the same
 * config), with its own user so the audit log attributes its writes.
 *
 * @module
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeTestCluster } from '../../src/testing.js';
import { ensureKubeBinaries, referenceCcmBinary } from '../reference-ccm/start-reference-ccm.js';
import type { ParityCase } from './cases.js';
import { EXPECTED_DIFFERENCES } from './expected-differences.js';
import type { ExpectedDifference } from './expected-differences.js';
import { runCase } from './run-case.js';
import type { ParityCluster, RunOutcome } from './run-case.js';
import { diffSnapshots } from './snapshot.js';
import type { Difference } from './snapshot.js';

export type Verdict = 'equal' | 'expected difference' | 'unexpected difference' | 'failed';

/** The result of one case. */
export interface CaseResult {
  readonly case: ParityCase;
  readonly verdict: Verdict;
  readonly expected: readonly { readonly difference: Difference; readonly entry: ExpectedDifference }[];
  readonly unexpected: readonly Difference[];
  /** Why a run failed (crash, no quiet), with the CCM's last lines. */
  readonly failure?: string;
  readonly upstreamMs?: number;
  readonly outriggerMs?: number;
}

/** Classifies the differences of one case. */
export function classify(c: ParityCase, differences: readonly Difference[], entries: readonly ExpectedDifference[] = EXPECTED_DIFFERENCES): Pick<CaseResult, 'verdict' | 'expected' | 'unexpected'> {
  const expected: { difference: Difference; entry: ExpectedDifference }[] = [];
  const unexpected: Difference[] = [];
  for (const difference of differences) {
    const entry = entries.find((e) => e.cases.test(c.name) && e.path.test(difference.path));
    if (entry === undefined) unexpected.push(difference);
    else expected.push({ difference, entry });
  }
  const verdict: Verdict = unexpected.length > 0 ? 'unexpected difference' : expected.length > 0 ? 'expected difference' : 'equal';
  return { verdict, expected, unexpected };
}

/** Options of {@link runParity}. */
export interface ParityOptions {
  readonly cases: readonly ParityCase[];
  /** Called after each case (progress output). */
  readonly onResult?: (result: CaseResult, index: number) => void;
}

/** A started test cluster with a CCM identity per side, and a work dir for configs and logs. */
export interface ParityRig {
  readonly pc: ParityCluster;
  readonly workDir: string;
  /** Stops the cluster and removes the work dir. */
  close(): Promise<void>;
}

/** Builds (or finds) the binaries and starts the test cluster the cases run on. */
export async function openParityRig(): Promise<ParityRig> {
  // Build (or find) both before any cluster is started.
  ensureKubeBinaries();
  referenceCcmBinary();
  const users = { upstream: 'ccm-upstream', outrigger: 'ccm-outrigger' } as const;
  const cluster = await startKubeTestCluster({ users: Object.values(users).map((name) => ({ name, groups: ['system:masters'] })) });
  try {
    const workDir = await mkdtemp(join(tmpdir(), 'outrigger-parity-'));
    const pc: ParityCluster = {
      cluster,
      user: users,
      kubeconfig: {
        upstream: await cluster.writeKubeconfig(users.upstream, cluster.tokenFor(users.upstream)),
        outrigger: await cluster.writeKubeconfig(users.outrigger, cluster.tokenFor(users.outrigger)),
      },
    };
    return {
      pc,
      workDir,
      async close() {
        await cluster.stop();
        await rm(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Runs one case through upstream's CCM, then Outrigger, and compares; never throws for a CCM's failure. */
export async function runParityCase(rig: ParityRig, c: ParityCase, index: number): Promise<CaseResult> {
  const attempt = async (which: 'upstream' | 'outrigger'): Promise<RunOutcome> => {
    try {
      return await runCase(rig.pc, c, which, rig.workDir, index);
    } catch (err) {
      return { ok: false, reason: `${which} run failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
  const up = await attempt('upstream');
  const ours = await attempt('outrigger');
  if (!up.ok || !ours.ok) {
    const failure = [up, ours].filter((r): r is Extract<RunOutcome, { ok: false }> => !r.ok).map((r) => r.reason).join('\n');
    return { case: c, verdict: 'failed', expected: [], unexpected: [], failure };
  }
  return { case: c, ...classify(c, diffSnapshots(up.snapshot, ours.snapshot)), upstreamMs: up.elapsedMs, outriggerMs: ours.elapsedMs };
}

/** Starts a test cluster, runs every case through both CCMs, stops the cluster. */
export async function runParity(options: ParityOptions): Promise<CaseResult[]> {
  const rig = await openParityRig();
  try {
    const results: CaseResult[] = [];
    for (const [index, c] of options.cases.entries()) {
      const result = await runParityCase(rig, c, index);
      results.push(result);
      options.onResult?.(result, index);
    }
    return results;
  } finally {
    await rig.close();
  }
}

/** The pinned entries no case needed in this run (only meaningful when every case ran). */
export function unusedEntries(results: readonly CaseResult[]): ExpectedDifference[] {
  const used = new Set(results.flatMap((r) => r.expected.map((e) => e.entry)));
  return EXPECTED_DIFFERENCES.filter((e) => !used.has(e));
}

/** The results as a Markdown table: case | source | verdict. */
export function resultTable(results: readonly CaseResult[]): string {
  const rows = results.map((r) => {
    const anchors = [...new Set(r.expected.map((e) => e.entry.doc))].sort();
    const detail = r.verdict === 'expected difference' ? ` (${anchors.map((a) => `[${a}](deviations/upstream-parity.md#${a})`).join(', ')})` : '';
    return `| ${r.case.name.replace(/\|/g, '\\|')} | ${r.case.source} | ${r.verdict}${detail} |`;
  });
  return ['| case | source | result |', '|---|---|---|', ...rows].join('\n');
}

/** Counts by verdict. */
export function summary(results: readonly CaseResult[]): Record<Verdict, number> {
  const counts: Record<Verdict, number> = { equal: 0, 'expected difference': 0, 'unexpected difference': 0, failed: 0 };
  for (const r of results) counts[r.verdict]++;
  return counts;
}

/** A case's differences and failure, for the console. */
export function describeResult(r: CaseResult): string {
  const lines = [`${r.verdict.padEnd(21)} ${r.case.name}${r.upstreamMs === undefined ? '' : ` (quiet after ${(r.upstreamMs / 1000).toFixed(1)} s upstream, ${((r.outriggerMs ?? 0) / 1000).toFixed(1)} s outrigger)`}`];
  for (const d of r.unexpected) lines.push(`    UNEXPECTED ${d.path}\n      upstream:  ${d.upstream}\n      outrigger: ${d.outrigger}`);
  for (const e of r.expected) lines.push(`    expected   ${e.difference.path} (${e.entry.doc})`);
  if (r.failure !== undefined) lines.push(r.failure.split('\n').map((l) => `    ${l}`).join('\n'));
  return lines.join('\n');
}
