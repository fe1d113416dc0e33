/**
 * `outrigger conformance provider`: runs the provider conformance suite (src/conformance) against
 * a built-in provider or a `--provider-module`, prints progress and a table (or JSON), and writes
 * JUnit XML and a capability matrix when asked. `outrigger conformance cluster`: the cluster level,
 * against whatever CCM runs on the cluster a kubeconfig names. Exit 0 when nothing failed, 1 when
 * a case failed, 2 for bad input, 130 when interrupted.
 *
 * @module
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { formatCaseLine, formatConformanceTable, formatJson, formatJunit, formatMatrix, parseConformanceFixture, runProviderConformance } from '../conformance/index.js';
import { errorMessage } from '../log/error-message.js';
import { CLUSTER_USAGE, runClusterConformanceCommand } from './conformance-cluster.js';

/** Usage of `outrigger conformance`. */
export const CONFORMANCE_USAGE = `Usage: outrigger conformance provider (--cloud-provider NAME | --provider-module M --cloud-provider NAME)
                                       [--cloud-config FILE] --fixture FILE
                                       [--junit out.xml] [--matrix out.md] [--output table|json] [--only ID]...

Runs the provider-level conformance cases: the provider driven through the real controllers on a
simulated API server and a virtual clock. Cases the fixture does not declare are SKIPPED.

${CLUSTER_USAGE}

See docs/conformance.md.
`;

/** Streams the command writes to. */
export interface ConformanceCommandIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  /** Ends a cluster run early (its cleanup still runs); default: SIGINT and SIGTERM of this process. */
  readonly signal?: AbortSignal | undefined;
}

/** Runs `outrigger conformance <argv>`; resolves with the exit code. */
export async function runConformanceCommand(argv: readonly string[], io: ConformanceCommandIo): Promise<number> {
  const usageError = (message: string): number => {
    io.stderr.write(`outrigger conformance: ${message}\n\n${CONFORMANCE_USAGE}`);
    return 2;
  };
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(CONFORMANCE_USAGE);
    return 0;
  }
  if (sub === 'cluster') return runClusterConformanceCommand(rest, io, usageError);
  if (sub !== 'provider') return usageError(sub === undefined ? 'which level? "provider" or "cluster"' : `unknown level ${JSON.stringify(sub)} (expected "provider" or "cluster")`);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      strict: true,
      allowPositionals: false,
      options: {
        'cloud-provider': { type: 'string' },
        'provider-module': { type: 'string', multiple: true },
        'cloud-config': { type: 'string' },
        fixture: { type: 'string' },
        junit: { type: 'string' },
        matrix: { type: 'string' },
        output: { type: 'string', default: 'table' },
        only: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    return usageError(errorMessage(err));
  }
  if (values.help === true) {
    io.stdout.write(CONFORMANCE_USAGE);
    return 0;
  }
  const cloudProvider = values['cloud-provider'];
  if (cloudProvider === undefined || cloudProvider === '') return usageError('--cloud-provider is required (with --provider-module for a provider of your own)');
  if (values.fixture === undefined) return usageError('--fixture is required');
  if (values.output !== 'table' && values.output !== 'json') return usageError(`--output must be "table" or "json", got ${JSON.stringify(values.output)}`);
  let fixture;
  try {
    fixture = parseConformanceFixture(await readFile(values.fixture, 'utf8'), values.fixture);
  } catch (err) {
    io.stderr.write(`outrigger conformance: ${errorMessage(err)}\n`);
    return 2;
  }
  const json = values.output === 'json';
  let report;
  try {
    report = await runProviderConformance({
      target: { cloudProvider, cloudConfig: values['cloud-config'], providerModules: values['provider-module'] },
      fixture,
      only: values.only,
      // Progress goes to stderr with --output json, so that stdout stays one JSON document.
      onProgress: (_c, i, total, result) => {
        if (result !== undefined) (json ? io.stderr : io.stdout).write(`${formatCaseLine(result, i, total)}\n`);
      },
    });
  } catch (err) {
    io.stderr.write(`outrigger conformance: ${errorMessage(err)}\n`);
    return 2;
  }
  // A provider that cannot be built fails every case with the same message: bad input, not a verdict.
  const first = report.results.find((r) => r.status === 'failed');
  if (first !== undefined && report.passed === 0 && /could not init cloud provider|unknown cloud provider|provider module/i.test(first.message ?? '')) {
    io.stderr.write(`outrigger conformance: ${first.message ?? ''}\n`);
    return 2;
  }
  io.stdout.write(json ? formatJson(report) : `\n${formatConformanceTable(report)}`);
  if (values.junit !== undefined) await writeFile(values.junit, formatJunit(report));
  if (values.matrix !== undefined) await writeFile(values.matrix, formatMatrix([report]));
  return report.failed === 0 ? 0 : 1;
}
