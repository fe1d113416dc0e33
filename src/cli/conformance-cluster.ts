/**
 * `outrigger conformance cluster`: the cluster level of the conformance suite against the
 * cluster a kubeconfig names, whatever CCM runs there. Progress per case, then a table, JSON or
 * a Markdown matrix; JUnit XML on request. Ctrl-C stops the running case and still cleans up;
 * `--cleanup-only` removes what an interrupted run left.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { ConformanceFixture } from '../conformance/fixture.js';
import { cleanupClusterConformance, formatCaseLine, formatConformanceTable, formatJson, formatJunit, formatMatrix, parseConformanceFixture, runClusterConformance } from '../conformance/index.js';
import type { ClusterConformanceReport } from '../conformance/index.js';
import { createKubeClient } from '../kube/client-node/index.js';
import type { ClientNodeKubeClient } from '../kube/client-node/index.js';
import { errorMessage } from '../log/error-message.js';
import { parseGoDuration } from '../manager/options/duration.js';
import type { ConformanceCommandIo } from './conformance.js';

/** Usage of `outrigger conformance cluster`. */
export const CLUSTER_USAGE = `       outrigger conformance cluster --kubeconfig FILE [--context NAME] [--fixture FILE]
                                      [--junit out.xml] [--output table|json|markdown]
                                      [--case-timeout 5m] [--only ID]... [--cleanup-only]

Runs the cluster-level cases black-box against the CCM running on that cluster: read-only checks
of every Node, then LoadBalancer Services in a namespace of its own, removed afterwards (also on
failure and Ctrl-C; --cleanup-only removes what an interrupted run left).`;

/** Runs `outrigger conformance cluster <argv>`; resolves with the exit code. */
export async function runClusterConformanceCommand(argv: readonly string[], io: ConformanceCommandIo, usageError: (message: string) => number): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        kubeconfig: { type: 'string' },
        context: { type: 'string' },
        fixture: { type: 'string' },
        junit: { type: 'string' },
        output: { type: 'string', default: 'table' },
        'case-timeout': { type: 'string', default: '5m' },
        only: { type: 'string', multiple: true },
        'cleanup-only': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usageError(errorMessage(err));
  }
  if (values.help === true) {
    io.stdout.write(`Usage: ${CLUSTER_USAGE.trimStart()}\n\nSee docs/conformance.md.\n`);
    return 0;
  }
  const output = values.output;
  if (output !== 'table' && output !== 'json' && output !== 'markdown') return usageError(`--output must be "table", "json" or "markdown", got ${JSON.stringify(output)}`);
  if (values.kubeconfig === undefined || values.kubeconfig === '') return usageError('--kubeconfig is required (the cluster whose CCM is checked)');
  let caseTimeoutMs: number;
  try {
    caseTimeoutMs = parseGoDuration(values['case-timeout']);
  } catch (err) {
    return usageError(`--case-timeout: ${errorMessage(err)}`);
  }
  if (!(caseTimeoutMs > 0)) return usageError(`--case-timeout must be positive, got ${JSON.stringify(values['case-timeout'])}`);
  const fail = (message: string): number => {
    io.stderr.write(`outrigger conformance cluster: ${message}\n`);
    return 2;
  };
  let fixture: ConformanceFixture = {};
  if (values.fixture !== undefined) {
    try {
      fixture = parseConformanceFixture(await readFile(values.fixture, 'utf8'), values.fixture, 'cluster');
    } catch (err) {
      return fail(errorMessage(err));
    }
  }
  let kube: ClientNodeKubeClient;
  try {
    kube = await createKubeClient({ kubeconfig: values.kubeconfig, ...(values.context === undefined ? {} : { context: values.context }), userAgent: 'outrigger-conformance', timeoutMs: 30_000, maxRetries: 2 });
  } catch (err) {
    return fail(errorMessage(err));
  }
  const note = (line: string): void => void io.stderr.write(`${line}\n`);
  const { signal, release } = interruption(io.signal);
  try {
    if (values['cleanup-only']) {
      const leftovers = await cleanupClusterConformance(kube, { timeoutMs: caseTimeoutMs, onNote: note });
      for (const l of leftovers) note(`left: ${l}`);
      return leftovers.length === 0 ? 0 : 1;
    }
    const progress = output === 'table' ? io.stdout : io.stderr;
    let report: ClusterConformanceReport;
    try {
      report = await runClusterConformance({
        kube,
        clusterName: kube.server,
        fixture,
        only: values.only,
        caseTimeoutMs,
        signal,
        onNote: note,
        onProgress: (_c, i, total, result) => {
          if (result !== undefined) progress.write(`${formatCaseLine(result, i, total)}\n`);
        },
      });
    } catch (err) {
      return fail(errorMessage(err));
    }
    io.stdout.write(output === 'json' ? formatJson(report) : output === 'markdown' ? formatMatrix([report]) : `\n${formatConformanceTable(report)}`);
    for (const l of report.leftovers) note(`left: ${l}`);
    if (values.junit !== undefined) await writeFile(values.junit, formatJunit(report));
    if (signal.aborted) return 130;
    return report.failed === 0 ? 0 : 1;
  } finally {
    release();
    kube.close();
  }
}

/** The run's abort signal: the caller's, or SIGINT/SIGTERM of this process while the run lasts. */
function interruption(given: AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
  if (given !== undefined) return { signal: given, release: () => undefined };
  const ac = new AbortController();
  const onSignal = (name: NodeJS.Signals): void => {
    if (ac.signal.aborted) process.exit(130); // a second Ctrl-C: leave now; --cleanup-only finishes
    ac.abort(new Error(`${name}: interrupted, cleaning up (press Ctrl-C again to leave at once, then run --cleanup-only)`));
    process.stderr.write(`${errorMessage(ac.signal.reason)}\n`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
