/**
 * Everything a controller manager needs, built from validated options before any Lease is
 * campaigned for: the provider (registry, `--provider-module`, `--cloud-provider`,
 * `--cloud-config`), the leader-migration configuration, metrics, the API clients, the event
 * broadcaster, the shared informers and the write fence. Failures here are bad input (exit 2)
 * unless they say otherwise. `outrigger run` and the simulator build the same way; only the
 * clients differ (the simulator injects in-process ones).
 *
 * @module
 */
import { initCloudProvider } from '../cloud/init-cloud-provider.js';
import { loadProviderModule } from '../cloud/module-loader.js';
import type { ProviderModuleEntry } from '../cloud/module-loader.js';
import type { CloudProvider } from '../cloud/provider.js';
import { defaultRegistry } from '../cloud/registry.js';
import type { ProviderRegistry } from '../cloud/registry.js';
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { EventBroadcaster } from '../kube/events.js';
import { SharedInformerFactory } from '../kube/shared-informers.js';
import type { WorkQueueMetrics } from '../kube/work-queue.js';
import { fencedClient, WriteFence } from '../kube/write-fence.js';
import type { Logger } from '../log/logger.js';
import { buildClients } from './clients.js';
import type { ManagedClient } from './clients.js';
import { CCM_USER_AGENT, CONTROLLER_CATALOG } from './controllers.js';
import { guardProvider } from './provider-guard/guard-provider.js';
import { defaultLeaderMigrationConfig } from './leader-migration/default-config.js';
import type { LeaderMigrationConfiguration } from './leader-migration/index.js';
import { createManagerMetrics } from './metrics/index.js';
import type { ManagerMetrics } from './metrics/index.js';
import { enabledControllers } from './options/controller-selection.js';
import { FlagError } from './options/flag-error.js';
import type { ManagerOptions } from './options/manager-options.js';
import { enabledWebhooks } from './webhooks/index.js';
import type { AdmissionWebhook } from './webhooks/index.js';

/** Inputs of {@link buildManager}. */
export interface BuildManagerOptions {
  /** Parsed and validated flags. */
  readonly options: ManagerOptions;
  /** The version logged at start. */
  readonly version: string;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Jitter source in [0, 1). */
  readonly random: () => number;
  /** Environment: `KUBECONFIG`, in-cluster variables, `HOME`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Registry to resolve `--cloud-provider` in (default: the process-wide one). */
  readonly registry?: ProviderRegistry | undefined;
  /** Providers to register first (a provider author's own main). */
  readonly providers?: readonly ProviderModuleEntry[] | undefined;
  /** In-process API access (the simulator): a client per user agent instead of `--kubeconfig`. */
  readonly kubeClientFor?: ((userAgent: string) => KubeClient) | undefined;
  /** Also receives every work queue's events (the simulator watches queues for idleness). */
  readonly workQueueMetrics?: WorkQueueMetrics | undefined;
  /** Admission webhooks offered by the caller; `--webhooks` and the feature gate pick. */
  readonly webhooks?: readonly AdmissionWebhook[] | undefined;
}

/** What {@link buildManager} hands the controller manager. */
export interface ManagerParts {
  readonly options: ManagerOptions;
  /** The controllers `--controllers` enables, by canonical name. */
  readonly enabled: readonly string[];
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  /** The provider as the controllers see it: deadlines on calls, checked answers (see provider-guard/). */
  readonly cloud: CloudProvider;
  /** Leader migration, when enabled (with leader election on, as upstream). */
  readonly migration: LeaderMigrationConfiguration | undefined;
  /** The manager's own connection (leader election, events, delegated auth by default). */
  readonly root: ManagedClient;
  /** Every other client by name. */
  readonly clients: ReadonlyMap<string, ManagedClient>;
  /** The provider's ClientBuilder: a client per name (its own service account with --use-service-account-credentials). */
  readonly clientFor: (name: string) => KubeClient;
  /** The admission webhooks to serve (already filtered by the gate and --webhooks). */
  readonly webhooks: readonly AdmissionWebhook[];
  readonly metrics: ManagerMetrics;
  readonly workQueueMetrics: WorkQueueMetrics;
  readonly events: EventBroadcaster;
  /** Guards every write of the controllers, the provider's clients and the event recorder. */
  readonly fence: WriteFence;
  readonly informers: SharedInformerFactory;
  /** Closes every client (after the controllers stopped). */
  close(): void;
}

/** Builds the parts of a controller manager; throws bad input as errors marked `isInputError`. */
export async function buildManager(b: BuildManagerOptions): Promise<ManagerParts> {
  const { options, logger: log, clock, random } = b;
  // Names in --controllers and --webhooks are checked before anything starts.
  const enabled = enabledControllers(options.controllers, CONTROLLER_CATALOG);
  const offered = enabledWebhooks(b.webhooks ?? [], options.webhooks);
  log.info('Starting cloud-controller-manager', { version: b.version, cloudProvider: options.cloudProvider });
  // As upstream's startControllers: each controller left out is named (an empty --controllers runs none).
  for (const name of CONTROLLER_CATALOG.names) if (!enabled.includes(name)) log.warning(`${JSON.stringify(name)} is disabled`);
  const webhookGate = options.featureGates.get('CloudControllerManagerWebhook') ?? false;
  if (offered.length > 0 && !webhookGate) log.info('Webhooks are not served: the CloudControllerManagerWebhook feature gate is off', { webhooks: offered.map((w) => w.name) });

  const provider = await buildProvider(b);
  checkClusterId(provider, options, log);
  const migration = await leaderMigrationConfig(options);
  const metrics = createManagerMetrics({ clock });
  const fence = new WriteFence();
  const { root, clients, clientFor } = await buildClients(options, b.env, clock, metrics, ['cloud-provider'], log, b.kubeClientFor, fence);
  try {
    if (root.server !== undefined) metrics.restClient.setHost(new URL(root.server).host);
  } catch {
    // A server URL we cannot parse only loses the host label.
  }
  const extra = b.workQueueMetrics;
  // Events are writes too: a deposed leader records none.
  const events = new EventBroadcaster({ client: fencedClient(root, fence), clock, random, logger: log.withName('events') });
  const providerEvents = events.newRecorder({ component: CCM_USER_AGENT });
  const cloud = guardProvider(provider, {
    clock,
    callTimeoutMs: options.cloudProviderCallTimeoutMs,
    logger: log.withName('cloud-provider'),
    // A Service's timeout shows in the service controller's SyncLoadBalancerFailed event; a Node's
    // would show nowhere but the log.
    onTimeout: (err, node) => {
      const ref = nodeReference(node);
      if (ref !== undefined) providerEvents.event(ref, 'Warning', REASON_PROVIDER_CALL_TIMEOUT, err.message);
    },
  });
  return {
    options,
    enabled,
    logger: log,
    clock,
    random,
    cloud,
    migration,
    root,
    clients,
    clientFor,
    // Served only with the gate on and a non-empty --webhooks, as upstream.
    webhooks: webhookGate && options.webhooks.length > 0 ? offered : [],
    metrics,
    workQueueMetrics: extra === undefined ? metrics.workQueue : teeQueueMetrics(metrics.workQueue, extra),
    events,
    fence,
    // As upstream's ResyncPeriod: a random period between --min-resync-period and twice it.
    informers: new SharedInformerFactory({
      client: clients.get('shared-informers') ?? root,
      clock,
      random,
      logger: log.withName('informers'),
      defaultResyncMs: options.minResyncPeriodMs * (1 + random()),
    }),
    close: () => {
      for (const client of [root, ...clients.values()]) client.close?.();
    },
  };
}

/** Event reason (Warning) on a Node when a provider call about it passed its deadline (Outrigger's own). */
export const REASON_PROVIDER_CALL_TIMEOUT = 'CloudProviderCallTimeout';

/** A Node's object reference for an event, when `value` is a Node. */
function nodeReference(value: unknown): { apiVersion: string; kind: string; metadata: { name: string; uid?: string } } | undefined {
  const metadata = (value as { metadata?: { name?: unknown; uid?: unknown } } | undefined)?.metadata;
  if (typeof metadata?.name !== 'string') return undefined;
  return { apiVersion: 'v1', kind: 'Node', metadata: { name: metadata.name, ...(typeof metadata.uid === 'string' ? { uid: metadata.uid } : {}) } };
}

/** The registry's providers (the CLI registers the built-ins), the caller's, `--provider-module`, then `--cloud-provider`. */
async function buildProvider(b: BuildManagerOptions): Promise<CloudProvider> {
  const { options, logger: log } = b;
  const registry = b.registry ?? defaultRegistry;
  for (const entry of b.providers ?? []) {
    if (!registry.has(entry.name)) registry.register(entry.name, entry.factory);
  }
  for (const specifier of options.providerModules) {
    const loaded = await loadProviderModule(specifier, registry);
    log.info('Loaded provider module', { module: specifier, providers: loaded.registered });
  }
  const cloud = await initCloudProvider(registry, options.cloudProvider, options.cloudConfig, undefined, { logger: log.withName('cloud-provider') });
  if (cloud === undefined) {
    throw new FlagError('--cloud-provider', options.cloudProvider, `--cloud-provider=${options.cloudProvider}: no cloud provider runs in this process, so there is nothing to manage`);
  }
  return cloud;
}

/** A provider that needs a cluster ID and has none is refused, unless --allow-untagged-cloud (then a warning), as upstream's Run. */
function checkClusterId(cloud: CloudProvider, options: ManagerOptions, log: Logger): void {
  if (cloud.hasClusterID?.() !== false) return;
  if (options.allowUntaggedCloud) {
    log.warning('The cloud provider found no cluster ID; running untagged because of --allow-untagged-cloud, a legacy mode that will go away', { cloudProvider: cloud.name });
    return;
  }
  throw new FlagError(
    '--allow-untagged-cloud',
    'false',
    `cloud provider ${JSON.stringify(cloud.name)} found no cluster ID, which it needs to tell this cluster's resources from others': tag the cluster as the provider documents, or pass --allow-untagged-cloud to run without one`,
  );
}

/** Leader migration: only with leader election on, as upstream; the default config without a file. */
async function leaderMigrationConfig(options: ManagerOptions): Promise<LeaderMigrationConfiguration | undefined> {
  if (!options.enableLeaderMigration || !options.leaderElection.enabled) return undefined;
  const path = options.leaderMigrationConfig;
  if (path === '') return defaultLeaderMigrationConfig();
  // The file's schema (zod) is loaded only when there is a file to read.
  const { loadLeaderMigrationConfigFile } = await import('./leader-migration/config.js');
  return loadLeaderMigrationConfigFile(path);
}

/** Feeds every work queue event to both sinks. */
function teeQueueMetrics(a: WorkQueueMetrics, b: WorkQueueMetrics): WorkQueueMetrics {
  return {
    add: (name) => (a.add(name), b.add(name)),
    depth: (name, n) => (a.depth(name, n), b.depth(name, n)),
    get: (name, ms) => (a.get(name, ms), b.get(name, ms)),
    done: (name, ms) => (a.done(name, ms), b.done(name, ms)),
    retry: (name) => (a.retry(name), b.retry(name)),
    delayed: (name, n) => (a.delayed?.(name, n), b.delayed?.(name, n)),
  };
}
