/**
 * `outrigger run` / `cloud-controller-manager`: the whole process, as upstream's `app.Run`. It
 * parses the flags, builds the parts ({@link buildManager}), runs a {@link ControllerManager}
 * until it stops, and maps why it stopped to an exit code ({@link exitCodeFor}): 0 after SIGTERM or
 * SIGINT, 1 for a lost lease or a failure, 2 for bad input with one message naming the flag or file.
 *
 * @module
 */
import { randomUUID, getRandomValues } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { isInputError } from '../cloud/input-error.js';
import type { ProviderModuleEntry } from '../cloud/module-loader.js';
import type { ProviderRegistry } from '../cloud/registry.js';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { RealClock } from '../kube/clock.js';
import { leaderIdentity } from '../kube/leader-election.js';
import type { WorkQueueMetrics } from '../kube/work-queue.js';
import type { Logger } from '../log/logger.js';
import { createLogger, klogJsonSink, klogTextSink } from '../log/logger.js';
import { buildManager } from './build.js';
import { ControllerManager } from './controller-manager.js';
import { EXIT_OK, exitCodeFor, reportError } from './exit.js';
import type { TextSink } from './exit.js';
import { optionsFromFlags, validateOptions } from './options/manager-options.js';
import { formatHelp, parseFlags } from './options/parse-flags.js';
import type { AdmissionWebhook } from './webhooks/index.js';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './exit.js';
export type { TextSink } from './exit.js';

/** Options of {@link runCloudControllerManager}. */
export interface RunCloudControllerManagerOptions {
  /** The command line without the program name (`process.argv.slice(2)`). */
  readonly argv: readonly string[];
  /** How the user invoked it, for `--help` (default `cloud-controller-manager`; the CLI passes `outrigger run`). */
  readonly commandName?: string;
  /** Providers to register before `--cloud-provider` is resolved (a provider author's own main). */
  readonly providers?: readonly ProviderModuleEntry[];
  /** Registry to use (default: the process-wide one). */
  readonly registry?: ProviderRegistry;
  /** Environment (default `process.env`): `KUBECONFIG`, in-cluster variables, `HOME`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: TextSink;
  readonly stderr?: TextSink;
  /** Aborting it is a graceful shutdown, like SIGTERM. */
  readonly signal?: AbortSignal;
  /** Listen for SIGTERM/SIGINT (default true). */
  readonly handleSignals?: boolean;
  /** Time for controllers to drain their queues on shutdown (default 10 s). */
  readonly shutdownGraceMs?: number;
  /** Time source (default: the wall clock). */
  readonly clock?: Clock;
  /** Jitter source in [0, 1) (default: crypto-backed). */
  readonly random?: () => number;
  /** This candidate's host name for the leader identity (default `os.hostname()`). */
  readonly hostname?: string;
  /** The whole leader identity (default `<hostname>_<uuid>`). */
  readonly identity?: string;
  /** In-process API access: builds the client of each identity from its user agent instead of from `--kubeconfig`/`--master`. */
  readonly kubeClientFor?: (userAgent: string) => KubeClient;
  /** Also receives every controller work queue's events. */
  readonly workQueueMetrics?: WorkQueueMetrics;
  /**
   * Admission webhooks to serve (upstream `CommandBuilder.RegisterWebhook`): with
   * `--feature-gates=CloudControllerManagerWebhook=true`, the ones `--webhooks` enables are served
   * on `--webhook-bind-address:--webhook-secure-port` by every replica.
   */
  readonly webhooks?: readonly AdmissionWebhook[];
}

function cryptoRandom(): number {
  return (getRandomValues(new Uint32Array(1))[0] ?? 0) / 2 ** 32;
}

/** The package version, for `--version` and the start-up line. */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * Resolves as `work` does, keeping the process alive meanwhile: a pending promise alone does not,
 * and Node would exit with code 13 ("unsettled top-level await") and no message. A wall-clock
 * handle, not the injected Clock: it decides nothing, it only holds the event loop open.
 */
async function holdingProcessOpen<T>(work: Promise<T>): Promise<T> {
  const handle = setInterval(() => {}, 2 ** 30); // eslint-disable-line no-restricted-syntax -- a keep-alive, not a timer
  try {
    return await work;
  } finally {
    clearInterval(handle);
  }
}

/** SIGTERM/SIGINT and the caller's signal, as one shutdown signal; `dispose` removes the listeners. */
function shutdownSignal(run: RunCloudControllerManagerOptions): { signal: AbortSignal; dispose(): void } {
  const shutdown = new AbortController();
  const onTerm = (): void => shutdown.abort(new Error('received SIGTERM'));
  const onInt = (): void => shutdown.abort(new Error('received SIGINT'));
  const handleSignals = run.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  }
  const caller = run.signal;
  if (caller !== undefined) {
    if (caller.aborted) shutdown.abort(caller.reason);
    else caller.addEventListener('abort', () => shutdown.abort(caller.reason), { once: true });
  }
  return {
    signal: shutdown.signal,
    dispose: () => {
      if (!handleSignals) return;
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    },
  };
}

/**
 * Runs the cloud-controller-manager until shutdown and returns the process exit code.
 *
 * @example
 * ```ts
 * // A provider author's own main:
 * process.exitCode = await runCloudControllerManager({
 *   argv: process.argv.slice(2),
 *   providers: [{ name: 'acme', factory: ({ contents }) => new AcmeCloud(contents) }],
 * });
 * ```
 */
export async function runCloudControllerManager(run: RunCloudControllerManagerOptions): Promise<number> {
  const stdout = run.stdout ?? process.stdout;
  const stderr = run.stderr ?? process.stderr;
  const clock = run.clock ?? new RealClock();
  const shutdown = shutdownSignal(run);
  let verbosity = 0;
  let logger: Logger | undefined;
  try {
    const parsed = parseFlags(run.argv);
    // pflag prints deprecation warnings while parsing, before any validation error.
    for (const warning of parsed.warnings) stderr.write(`${warning}\n`);
    const options = optionsFromFlags(parsed);
    verbosity = options.verbosity;
    if (options.help) {
      stdout.write(formatHelp(run.commandName ?? 'cloud-controller-manager'));
      return EXIT_OK;
    }
    if (options.version) {
      stdout.write(`outrigger ${packageVersion()}\n`);
      return EXIT_OK;
    }
    const [invalid] = validateOptions(options);
    if (invalid !== undefined) throw invalid;
    const write = (line: string): void => {
      stderr.write(line);
    };
    const sink = options.loggingFormat === 'json' ? klogJsonSink(write, () => clock.now()) : klogTextSink(write, () => clock.now());
    logger = createLogger(sink, options.verbosity);
    const parts = await buildManager({
      options,
      version: packageVersion(),
      logger,
      clock,
      random: run.random ?? cryptoRandom,
      env: run.env ?? process.env,
      registry: run.registry,
      providers: run.providers,
      kubeClientFor: run.kubeClientFor,
      workQueueMetrics: run.workQueueMetrics,
      webhooks: run.webhooks,
    });
    const manager = new ControllerManager(parts, {
      identity: run.identity ?? leaderIdentity(run.hostname ?? osHostname(), randomUUID()),
      shutdownGraceMs: run.shutdownGraceMs,
    });
    // Like upstream's final `select {}`: the process stays up until the manager stops, even when
    // nothing else holds the event loop open (no controller, serving off, leader election off).
    const reason = await holdingProcessOpen(manager.run(shutdown.signal));
    // Bad input found once running (a controller's flag, the provider's config): one line, exit 2.
    if (reason.kind === 'failed' && isInputError(reason.error)) reportError(reason.error, { stderr, verbosity });
    return exitCodeFor(reason);
  } catch (err) {
    return reportError(err, { stderr, logger, verbosity });
  } finally {
    shutdown.dispose();
  }
}
