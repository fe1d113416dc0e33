/**
 * The simulator's manager: the scenario's flags parsed and validated as `outrigger run` does, the
 * same {@link buildManager} parts with in-process clients and the virtual clock, and a
 * {@link ControllerManager} to run them.
 *
 * @module
 */
import type { ProviderRegistry } from '../../cloud/registry.js';
import type { KubeClient } from '../../kube/client.js';
import type { Clock } from '../../kube/clock.js';
import type { WorkQueueMetrics } from '../../kube/work-queue.js';
import { createLogger, klogTextSink, noopLogger } from '../../log/logger.js';
import { buildManager } from '../../manager/build.js';
import { ControllerManager } from '../../manager/controller-manager.js';
import { optionsFromFlags, validateOptions } from '../../manager/options/manager-options.js';
import { parseFlags } from '../../manager/options/parse-flags.js';
import { packageVersion } from '../../manager/run.js';
import { SimulationSetupError } from './simulation-setup-error.js';
import { errorMessage } from '../../log/error-message.js';

/** Inputs of {@link startManager}. */
export interface StartManagerOptions {
  /** Manager flags: the scenario's `manager` section plus the provider. */
  readonly argv: readonly string[];
  readonly registry: ProviderRegistry;
  /** The replica's view of the virtual clock. */
  readonly clock: Clock;
  /** Its leader-election identity. */
  readonly identity: string;
  readonly random: () => number;
  /** Receives the manager's klog text lines; without it no line is even formatted. */
  readonly log?: ((text: string) => void) | undefined;
  readonly kubeClientFor: (userAgent: string) => KubeClient;
  readonly workQueueMetrics: WorkQueueMetrics;
}

/** A built manager and where its main Lease lives. */
export interface StartedManager {
  readonly manager: ControllerManager;
  /** The main Lease (`--leader-elect-resource-namespace/-name`); undefined with `--leader-elect=false`. */
  readonly lease: { readonly namespace: string; readonly name: string } | undefined;
}

/** Builds one manager replica of a scenario; bad flags or provider config throw {@link SimulationSetupError}. */
export async function startManager(o: StartManagerOptions): Promise<StartedManager> {
  const refuse = (err: unknown): never => {
    throw new SimulationSetupError(`the manager did not start: ${errorMessage(err)}`, { cause: err });
  };
  try {
    const parsed = parseFlags(o.argv);
    const options = optionsFromFlags(parsed);
    const [invalid] = validateOptions(options);
    if (invalid !== undefined) throw invalid;
    // Without a log destination nothing is formatted at all (a no-op sink would still build
    // every record: the event log lines alone are one per Event).
    const logger = o.log === undefined ? noopLogger : createLogger(klogTextSink(o.log, () => o.clock.now()), options.verbosity);
    const parts = await buildManager({
      options,
      version: packageVersion(),
      logger,
      clock: o.clock,
      random: o.random,
      env: {},
      registry: o.registry,
      kubeClientFor: o.kubeClientFor,
      workQueueMetrics: o.workQueueMetrics,
    });
    // Fixed identities for determinism (see replicaIdentity).
    const le = options.leaderElection;
    return {
      manager: new ControllerManager(parts, { identity: o.identity }),
      lease: le.enabled ? { namespace: le.resourceNamespace, name: le.resourceName } : undefined,
    };
  } catch (err) {
    return refuse(err);
  }
}
