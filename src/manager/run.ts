/**
 * `outrigger run` / `cloud-controller-manager`: the whole process, as upstream's
 * `app.Run`: flags ⇒ logger ⇒ provider ⇒ clients ⇒ metrics and serving ⇒ leader election (with
 * optional leader migration) ⇒ on leading, `initialize` once, shared informers, controllers ⇒
 * on losing a lease exit 1; on SIGTERM/SIGINT stop leading, drain, close, exit 0. Bad input exits
 * 2 with one message naming the flag or file.
 *
 * @module
 */
import { randomUUID, getRandomValues } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { initCloudProvider } from '../cloud/init-cloud-provider.js';
import { loadProviderModule } from '../cloud/module-loader.js';
import type { ProviderModuleEntry } from '../cloud/module-loader.js';
import type { ClientBuilder, CloudProvider } from '../cloud/provider.js';
import { CloudConfigFileError, ProviderInitError, ProviderModuleError, ProviderRegistrationError, UnknownProviderError } from '../cloud/registry-errors.js';
import { defaultRegistry } from '../cloud/registry.js';
import type { ProviderRegistry } from '../cloud/registry.js';
import type { Controller, ControllerContext } from '../controllers/context.js';
import { RouteControllerConfigError } from '../controllers/route/index.js';
import type { BearerTokenSource } from '../kube/client-node/index.js';
import { ServiceAccountTokenSource } from './service-account-credentials.js';
import { lazyKubeClient } from './lazy-kube-client.js';
import { tlsServerOptions } from './serving/tls-options.js';
import { enabledWebhooks, startWebhookServing, WebhookRegistrationError } from './webhooks/index.js';
import type { AdmissionWebhook } from './webhooks/index.js';
// The client-node adapter (and `@kubernetes/client-node` under it, ~70 MB of RSS) is loaded only
// when a real cluster is used: the simulator and tests hand in their own clients.
import type { KubeClient } from '../kube/client.js';
import type { createKubeClient as CreateKubeClient } from '../kube/client-node/create-kube-client.js';
import { KubeConfigError } from '../kube/client-node/kube-config-error.js';
import type { Clock } from '../kube/clock.js';
import { RealClock } from '../kube/clock.js';
import { EventBroadcaster } from '../kube/events.js';
import { fencedClient, WriteFence } from '../kube/write-fence.js';
import { LeaderElector, leaderIdentity } from '../kube/leader-election.js';
import { SharedInformerFactory } from '../kube/shared-informers.js';
import type { WorkQueueMetrics } from '../kube/work-queue.js';
import type { Logger } from '../log/logger.js';
import { createLogger, klogJsonSink, klogTextSink } from '../log/logger.js';
import { CCM_USER_AGENT, CONTROLLER_CATALOG, MANAGED_CONTROLLERS, userAgentFor } from './controllers.js';
import type { ManagedController } from './controllers.js';
import { classifyControllers, defaultLeaderMigrationConfig, LeaderMigrationConfigError, parseLeaderMigrationConfig } from './leader-migration/index.js';
import type { LeaderMigrationConfiguration } from './leader-migration/index.js';
import { createManagerMetrics } from './metrics/index.js';
import type { ManagerMetrics } from './metrics/index.js';
import { FlagError } from './options/flag-error.js';
import { enabledControllers, resolveControllerAliases } from './options/controller-selection.js';
import { componentConfig, configzBody } from './component-config.js';
import type { ManagerOptions } from './options/manager-options.js';
import { optionsFromFlags, validateOptions } from './options/manager-options.js';
import { formatHelp, parseFlags } from './options/parse-flags.js';
import { DelegatedAuth } from './serving/delegated-auth.js';
import { startServing } from './serving/index.js';
import type { HealthCheck } from './serving/index.js';

/** Something text can be written to (process.stdout/stderr or a test buffer). */
export interface TextSink {
  write(text: string): unknown;
}

/** Options of {@link runCloudControllerManager}. */
export interface RunCloudControllerManagerOptions {
  /** The command line without the program name (`process.argv.slice(2)`). */
  readonly argv: readonly string[];
  /** How the user invoked it, for `--help` (default `cloud-controller-manager`; the CLI passes `outrigger run`). */
  readonly commandName?: string;
  /** Providers to register before `--cloud-provider` is resolved (a provider author's own main). */
  readonly providers?: readonly ProviderModuleEntry[];
  /** Registry to use (default: the process-wide one, with the fake provider added). */
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
  /** The whole leader identity (default `<hostname>_<uuid>`); the simulator fixes it for determinism. */
  readonly identity?: string;
  /**
   * In-process API access (the simulator): builds the client of each identity from its user agent
   * instead of from `--kubeconfig`/`--master`, so the rest of the wiring is exactly `outrigger run`'s.
   */
  readonly kubeClientFor?: (userAgent: string) => KubeClient;
  /** Also receives every controller work queue's events (the simulator watches queues for idleness). */
  readonly workQueueMetrics?: WorkQueueMetrics;
  /**
   * Admission webhooks to serve (upstream `CommandBuilder.RegisterWebhook`): with
   * `--feature-gates=CloudControllerManagerWebhook=true`, the ones `--webhooks` enables are served
   * on `--webhook-bind-address:--webhook-secure-port` by every replica.
   */
  readonly webhooks?: readonly AdmissionWebhook[];
}

/** A client the manager holds: closable and with a server URL when it talks HTTP. */
type ManagedClient = KubeClient & { readonly server?: string; close?(): void };

/** Exit codes, as upstream: 0 clean shutdown, 1 runtime failure or lost lease, 2 bad input. */
export const EXIT_OK = 0;
/** Runtime failure, including a lost lease (upstream exits 1 on "leaderelection lost"). */
export const EXIT_FAILURE = 1;
/** Bad command line, config file or provider selection. */
export const EXIT_USAGE = 2;

const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** Client name of the delegated-auth reviews when a separate kubeconfig is given. */
const AUTH_CLIENT = 'delegated-auth';

/** Errors that are the operator's input at fault: one line, exit 2. */
function isInputError(err: unknown): boolean {
  return (
    err instanceof FlagError ||
    err instanceof WebhookRegistrationError ||
    err instanceof UnknownProviderError ||
    err instanceof CloudConfigFileError ||
    err instanceof ProviderInitError ||
    err instanceof ProviderModuleError ||
    err instanceof ProviderRegistrationError ||
    err instanceof LeaderMigrationConfigError ||
    err instanceof KubeConfigError ||
    err instanceof RouteControllerConfigError ||
    // A provider's configuration error marks itself (`isInputError`): the manager imports no provider.
    (err instanceof Error && (err as { isInputError?: unknown }).isInputError === true)
  );
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function cryptoRandom(): number {
  return (getRandomValues(new Uint32Array(1))[0] ?? 0) / 2 ** 32;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** An AbortSignal aborted when any of `signals` is. */
function anySignal(signals: readonly AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

/** A promise that settles when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
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

/** Everything built before leader election, shared by the leading phase. */
interface Wiring {
  readonly options: ManagerOptions;
  readonly enabled: readonly string[];
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: () => number;
  readonly cloud: CloudProvider;
  readonly root: ManagedClient;
  readonly clients: ReadonlyMap<string, ManagedClient>;
  /** The admission webhooks to serve (already filtered by the gate and --webhooks). */
  readonly webhooks: readonly AdmissionWebhook[];
  /** The provider's ClientBuilder: a client per name (its own service account with --use-service-account-credentials). */
  readonly clientFor: (name: string) => KubeClient;
  readonly workQueueMetrics: WorkQueueMetrics;
  readonly metrics: ManagerMetrics;
  readonly events: EventBroadcaster;
  /** Guards every write of the controllers, the provider's clients and the event recorder. */
  readonly fence: WriteFence;
  readonly informers: SharedInformerFactory;
  /** Names of started controllers (for /healthz), filled as they start. */
  readonly started: Set<string>;
  synced: boolean;
}

/** Starts `specs` (already filtered) under `signal`; resolves with their run promises. */
function startControllers(w: Wiring, specs: readonly ManagedController[], signal: AbortSignal, fence: WriteFence = w.fence): Promise<void>[] {
  const runs: Promise<void>[] = [];
  let startDelayMs = 0;
  for (const spec of specs) {
    // Every write checks the Lease by the clock and carries the controllers' stop signal.
    const kube = fencedClient(w.clients.get(spec.clientName) ?? w.root, fence, signal);
    const log = w.logger.withValues({ controller: spec.name });
    const ctx: ControllerContext = {
      kube,
      informers: w.informers,
      cloud: w.cloud,
      recorder: w.events.newRecorder({ component: spec.eventComponent }),
      clock: w.clock,
      random: w.random,
      logger: w.logger,
      workQueueMetrics: w.workQueueMetrics,
    };
    log.info('Starting controller');
    const start = spec.start(ctx, { options: w.options, metrics: w.metrics });
    if ('skipped' in start) {
      // As upstream's startControllers: a controller that does not start is logged and skipped.
      log.info('Skipping controller', { reason: start.skipped });
      continue;
    }
    const controller: Controller = start.controller;
    w.started.add(spec.name);
    w.metrics.runningManagedControllers(spec.name, true);
    log.info('Started controller');
    const delayMs = startDelayMs;
    // --controller-start-interval: as upstream, a jittered (factor 1.0) pause after each start.
    startDelayMs += w.options.controllerStartIntervalMs * (1 + w.random());
    runs.push(
      (async (): Promise<void> => {
        if (delayMs > 0) await w.clock.sleep(delayMs, signal).catch(() => {});
        if (!signal.aborted) await controller.run(signal);
      })()
        .catch((err: unknown) => {
          log.error(err, 'Controller stopped with an error');
        })
        .finally(() => {
          w.metrics.runningManagedControllers(spec.name, false);
        }),
    );
  }
  return runs;
}

/** The real-cluster adapter, loaded on first use (see the import note at the top). */
async function loadClientNode(): Promise<{ createKubeClient: typeof CreateKubeClient }> {
  return import('../kube/client-node/create-kube-client.js');
}

/** Builds a client per identity: the root one, the informers' and each controller's. */
async function buildClients(
  o: ManagerOptions,
  env: Readonly<Record<string, string | undefined>>,
  clock: Clock,
  metrics: ManagerMetrics,
  extraNames: readonly string[],
  logger: Logger,
  kubeClientFor?: (userAgent: string) => KubeClient,
): Promise<{ root: ManagedClient; clients: Map<string, ManagedClient>; clientFor: (name: string) => KubeClient }> {
  const make = async (userAgent: string, bearerToken?: BearerTokenSource): Promise<ManagedClient> => {
    if (kubeClientFor !== undefined) return kubeClientFor(userAgent);
    const { createKubeClient } = await loadClientNode();
    return createKubeClient({
      ...(o.kubeconfig === '' ? {} : { kubeconfig: o.kubeconfig }),
      ...(o.master === '' ? {} : { master: o.master }),
      env,
      qps: o.kubeApiQps,
      burst: o.kubeApiBurst,
      userAgent,
      clock,
      metrics: metrics.restClient,
      ...(bearerToken === undefined ? {} : { bearerToken }),
    });
  };
  const root = await make(CCM_USER_AGENT);
  const clients = new Map<string, ManagedClient>();
  // As upstream: the informers always use the root credentials; with
  // --use-service-account-credentials every controller (and the provider) gets its own service account.
  clients.set('shared-informers', await make(userAgentFor('shared-informers')));
  if (o.useServiceAccountCredentials && kubeClientFor !== undefined) logger.info('--use-service-account-credentials has no effect on injected (simulated) clients');
  const tokensFor = (name: string): ServiceAccountTokenSource | undefined =>
    o.useServiceAccountCredentials && kubeClientFor === undefined ? new ServiceAccountTokenSource({ client: root, name, clock, logger: logger.withName('service-account-credentials') }) : undefined;
  const perController = new Set([...MANAGED_CONTROLLERS.map((c) => c.clientName), ...extraNames]);
  for (const name of perController) clients.set(name, await make(userAgentFor(name), tokensFor(name)));
  // Names a provider asks its ClientBuilder for: each gets its own user agent (and service
  // account), built on first use and kept in `clients` so shutdown closes it.
  // One lazy client per name, so repeated or concurrent asks build (and later close) one client
  // and share one token source.
  const lazy = new Map<string, KubeClient>();
  const clientFor = (name: string): KubeClient => {
    const known = clients.get(name) ?? lazy.get(name);
    if (known !== undefined) return known;
    const client = lazyKubeClient(async () => {
      const made = await make(userAgentFor(name), tokensFor(name));
      clients.set(name, made);
      return made;
    });
    lazy.set(name, client);
    return client;
  };
  // Delegated auth reviews go to --authorization-kubeconfig (else --authentication-kubeconfig,
  // else the main connection); one client serves both reviews.
  const authKubeconfig = o.authorizationKubeconfig !== '' ? o.authorizationKubeconfig : o.authenticationKubeconfig;
  if (authKubeconfig !== '' && kubeClientFor === undefined) {
    const { createKubeClient } = await loadClientNode();
    clients.set(AUTH_CLIENT, await createKubeClient({ kubeconfig: authKubeconfig, env, userAgent: userAgentFor(AUTH_CLIENT), clock, metrics: metrics.restClient }));
  }
  return { root, clients, clientFor };
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
  const env = run.env ?? process.env;
  const clock = run.clock ?? new RealClock();
  const random = run.random ?? cryptoRandom;
  let verbosity = 0;
  const shutdown = new AbortController();
  const onSignal = (sig: string) => (): void => {
    shutdown.abort(new Error(`received ${sig}`));
  };
  const onTerm = onSignal('SIGTERM');
  const onInt = onSignal('SIGINT');
  const handleSignals = run.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  }
  if (run.signal !== undefined) {
    if (run.signal.aborted) shutdown.abort(run.signal.reason);
    else run.signal.addEventListener('abort', () => shutdown.abort(run.signal?.reason), { once: true });
  }
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
    const log = createLogger(sink, options.verbosity);
    logger = log;
    // Names in --controllers and --webhooks are checked before anything starts.
    const enabled = enabledControllers(options.controllers, CONTROLLER_CATALOG);
    const webhooks = enabledWebhooks(run.webhooks ?? [], options.webhooks);
    log.info('Starting cloud-controller-manager', { version: packageVersion(), cloudProvider: options.cloudProvider });
    const webhookGate = options.featureGates.get('CloudControllerManagerWebhook') ?? false;
    if (webhooks.length > 0 && !webhookGate) log.info('Webhooks are not served: the CloudControllerManagerWebhook feature gate is off', { webhooks: webhooks.map((w) => w.name) });

    // Providers: the registry's (the CLI registers the built-ins), the caller's, then
    // --provider-module, then --cloud-provider.
    const registry = run.registry ?? defaultRegistry;
    for (const entry of run.providers ?? []) {
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

    // Leader migration: only with leader election on, as upstream.
    let migration: LeaderMigrationConfiguration | undefined;
    if (options.enableLeaderMigration && options.leaderElection.enabled) {
      migration =
        options.leaderMigrationConfig === ''
          ? defaultLeaderMigrationConfig()
          : parseLeaderMigrationConfig(await readFile(options.leaderMigrationConfig, 'utf8').catch((err: unknown) => {
              throw new FlagError('--leader-migration-config', options.leaderMigrationConfig, `--leader-migration-config: cannot read ${JSON.stringify(options.leaderMigrationConfig)}: ${messageOf(err)}`, { cause: err });
            }), options.leaderMigrationConfig);
    }

    const metrics = createManagerMetrics({ clock });
    const { root, clients, clientFor } = await buildClients(options, env, clock, metrics, ['cloud-provider'], log, run.kubeClientFor);
    try {
      if (root.server !== undefined) metrics.restClient.setHost(new URL(root.server).host);
    } catch {
      // A server URL we cannot parse only loses the host label.
    }
    const extraQueueMetrics = run.workQueueMetrics;
    const fence = new WriteFence();
    const informersClient = clients.get('shared-informers') ?? root;
    const wiring: Wiring = {
      options,
      enabled,
      logger: log,
      clock,
      random,
      cloud,
      root,
      clients,
      clientFor,
      // Served only with the gate on and a non-empty --webhooks, as upstream.
      webhooks: webhookGate && options.webhooks.length > 0 ? webhooks : [],
      metrics,
      workQueueMetrics: extraQueueMetrics === undefined ? metrics.workQueue : teeQueueMetrics(metrics.workQueue, extraQueueMetrics),
      // Events are writes too: a deposed leader records none.
      events: new EventBroadcaster({ client: fencedClient(root, fence), clock, random, logger: log.withName('events') }),
      fence,
      // As upstream's ResyncPeriod: a random period between --min-resync-period and twice it.
      informers: new SharedInformerFactory({ client: informersClient, clock, random, logger: log.withName('informers'), defaultResyncMs: options.minResyncPeriodMs * (1 + random()) }),
      started: new Set(),
      synced: false,
    };
    return await runLeading(wiring, migration, shutdown.signal, run);
  } catch (err) {
    const input = isInputError(err);
    const stack = verbosity >= 4 && err instanceof Error && err.stack !== undefined ? err.stack : undefined;
    if (!input && logger !== undefined) {
      logger.error(err, 'cloud-controller-manager failed', stack === undefined ? {} : { stack });
      return EXIT_FAILURE;
    }
    // One line naming the flag/file; the stack only at -v>=4.
    stderr.write(`Error: ${stack ?? messageOf(err)}\n`);
    return input ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    if (handleSignals) {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    }
  }
}

/** Serving, leader election (and migration) and the controllers; returns the exit code. */
async function runLeading(w: Wiring, migration: LeaderMigrationConfiguration | undefined, shutdown: AbortSignal, run: RunCloudControllerManagerOptions): Promise<number> {
  const { options: o, logger: log, clock, random } = w;
  const le = o.leaderElection;
  const identity = run.identity ?? leaderIdentity(run.hostname ?? osHostname(), randomUUID());
  // The main Lease is handed back on shutdown once every controller has drained (nothing in
  // flight can write after the standby takes over), so a rolling update fails over in about one
  // retry period. Upstream's CCM never releases (the KCM gate ControllerManagerReleaseLeaderElectionLockOnExit
  // is alpha and off); see docs/deviations.md. A drain that outlives the grace period keeps the
  // Lease held until it expires.
  let drainedCleanly = false;
  const releaseOnCancel = (): boolean => drainedCleanly;
  const leaseEvents = w.events.newRecorder({ component: CCM_USER_AGENT });
  const elector = (name: string): LeaderElector =>
    new LeaderElector({
      client: w.root,
      namespace: le.resourceNamespace,
      name,
      identity,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      releaseOnCancel,
      clock,
      random,
      logger: log.withName('leader-election').withValues({ lease: `${le.resourceNamespace}/${name}` }),
      onLeaderStatus: (leading) => w.metrics.leaderStatus(name, leading),
      // Upstream hands the lock the manager's own recorder (component cloud-controller-manager).
      recorder: leaseEvents,
    });
  const main = le.enabled ? elector(le.resourceName) : undefined;
  if (main !== undefined) w.fence.guard(() => main.holdsLease(), `the Lease ${le.resourceNamespace}/${le.resourceName} is no longer held (no successful renew within --leader-elect-renew-deadline)`);

  // Which controllers run under which lock (KEP-2436); without migration all are "non-migrated".
  let migrated: string[] = [];
  let nonMigrated = [...w.enabled];
  if (migration !== undefined) {
    const classes = classifyControllers(migration, w.enabled, CCM_USER_AGENT);
    migrated = classes.migrated;
    nonMigrated = classes.nonMigrated;
    if (classes.unowned.length > 0) log.info('Controllers owned by another manager will not run here', { controllers: classes.unowned });
  }
  const migrationElector = migration !== undefined && migrated.length > 0 ? elector(migration.leaderName) : undefined;

  const healthz: HealthCheck[] = [];
  if (main !== undefined) {
    healthz.push({
      name: 'leaderElection',
      check: () => {
        const err = main.check();
        if (err !== undefined) throw err;
      },
    });
  }
  // One named check per started controller, as upstream (a ping unless the controller has its own).
  const controllerChecks: HealthCheck[] = w.enabled.map((name) => ({
    name,
    check: () => {
      if (!w.started.has(name)) throw new Error(`controller ${name} is not running`);
    },
  }));
  const readyz: HealthCheck[] = [
    {
      name: 'leader-election',
      check: () => {
        if (main !== undefined && main.leader() === undefined && !main.isLeader()) throw new Error('leadership not yet known');
      },
    },
    {
      name: 'informer-sync',
      check: () => {
        const leading = main === undefined || main.isLeader();
        if (leading && !w.synced) throw new Error('informer caches not synced');
      },
    },
  ];
  let serving: { port: number; close(): Promise<void> } | undefined;
  let webhookServing: { close(): Promise<void> } | undefined;
  const closeServing = async (): Promise<void> => {
    await Promise.all([serving?.close().catch(() => {}), webhookServing?.close().catch(() => {})]);
  };
  if (w.webhooks.length > 0) {
    webhookServing = await startWebhookServing({
      bindAddress: o.webhookBindAddress,
      securePort: o.webhookSecurePort,
      ...(o.webhookTlsCertFile === '' ? {} : { tlsCertFile: o.webhookTlsCertFile }),
      ...(o.webhookTlsPrivateKeyFile === '' ? {} : { tlsPrivateKeyFile: o.webhookTlsPrivateKeyFile }),
      certDir: o.webhookCertDir,
      tls: tlsServerOptions({ minVersion: o.webhookTlsMinVersion, cipherSuites: o.webhookTlsCipherSuites, curvePreferences: o.webhookTlsCurvePreferences }, '--webhook-'),
      webhooks: w.webhooks,
      metrics: w.metrics,
      logger: log.withName('webhooks'),
    });
  }
  if (o.securePort !== 0) {
    serving = await startServing({
      bindAddress: o.bindAddress,
      securePort: o.securePort,
      ...(o.tlsCertFile === '' ? {} : { tlsCertFile: o.tlsCertFile }),
      ...(o.tlsPrivateKeyFile === '' ? {} : { tlsPrivateKeyFile: o.tlsPrivateKeyFile }),
      certDir: o.certDir,
      tls: tlsServerOptions({ minVersion: o.tlsMinVersion, cipherSuites: o.tlsCipherSuites, curvePreferences: o.tlsCurvePreferences }),
      alwaysAllowPaths: o.authorizationAlwaysAllowPaths,
      auth: new DelegatedAuth({
        kube: w.clients.get(AUTH_CLIENT) ?? w.root,
        clock,
        authnCacheTtlMs: o.authenticationTokenWebhookCacheTtlMs,
        authzAllowedTtlMs: o.authorizationWebhookCacheAuthorizedTtlMs,
        authzDeniedTtlMs: o.authorizationWebhookCacheUnauthorizedTtlMs,
      }),
      metrics: w.metrics,
      // The same array grows as controllers start: the server reads it on every request.
      healthz,
      readyz,
      livez: [{ name: 'ping', check: () => {} }],
      configz: configzBody(componentConfig(o, resolveControllerAliases(o.controllers, CONTROLLER_CATALOG), migration)),
      logger: log.withName('serving'),
    });
    log.info('Serving securely', { address: `${o.bindAddress}:${serving.port}` });
  }

  const lost = new AbortController();
  let leaseLost = false;
  let initialized = false;
  const controllerRuns: Promise<void>[] = [];
  const stopControllers = new AbortController();
  /** Ends the main election: after the controllers drained on shutdown, so the release is safe. */
  const electorStop = new AbortController();

  /** Runs once, under the main lock: initialize (ONCE, unlike upstream under migration), informers. */
  const onMainLeading = async (leading: AbortSignal): Promise<void> => {
    const signal = anySignal([leading, stopControllers.signal]);
    if (!initialized) {
      initialized = true;
      const clientBuilder: ClientBuilder = { client: (name) => fencedClient(w.clientFor(name), w.fence, signal) };
      await w.cloud.initialize?.({ signal, clientBuilder, logger: log.withName('cloud-provider'), metrics: w.metrics.registry });
      w.cloud.setInformers?.(w.informers);
    }
    const specs = MANAGED_CONTROLLERS.filter((c) => nonMigrated.includes(c.name));
    controllerRuns.push(...startControllers(w, specs, signal));
    // Only started controllers get a check, as upstream (a skipped one is not unhealthy).
    healthz.push(...controllerChecks.filter((c) => nonMigrated.includes(c.name) && w.started.has(c.name)));
    w.informers.start(signal);
    void w.informers.waitForCacheSync(signal).then((ok) => {
      if (ok) w.synced = true;
      if (ok) log.info('Caches are synced');
    });
    if (migrationElector !== undefined) {
      log.info('Leader migration: acquiring the migration lease', { lease: migration?.leaderName, controllers: migrated });
      void migrationElector
        .run(signal, {
          onStartedLeading: (migrationLeading) => {
            const both = anySignal([signal, migrationLeading]);
            // Migrated controllers write only while both Leases are held.
            const migrationFence = new WriteFence();
            migrationFence.guard(
              () => (main === undefined || main.holdsLease()) && migrationElector.holdsLease(),
              `the Leases ${le.resourceNamespace}/${le.resourceName} and ${le.resourceNamespace}/${migration?.leaderName ?? ''} are not both held`,
            );
            try {
              controllerRuns.push(...startControllers(w, MANAGED_CONTROLLERS.filter((c) => migrated.includes(c.name)), both, migrationFence));
            } catch (err) {
              lost.abort(err);
              return;
            }
            healthz.push(...controllerChecks.filter((c) => migrated.includes(c.name) && w.started.has(c.name)));
            w.informers.start(both);
          },
          onStoppedLeading: () => {
            if (!shutdown.aborted && migrationElector.isLeader() === false && initialized) {
              leaseLost = true;
              lost.abort(new Error('migration lease lost'));
            }
          },
        })
        .catch((err: unknown) => {
          log.error(err, 'Leader migration election failed');
          leaseLost = true;
          lost.abort(err);
        });
    }
  };

  const leadingDone = (async (): Promise<void> => {
    if (main === undefined) {
      await onMainLeading(shutdown);
      return;
    }
    let started = false;
    // Only a stop of ours cancels the elector: a lost renew ends its run by itself, and is then
    // logged as such ("Failed to renew lease"), never released.
    await main.run(electorStop.signal, {
      onStartedLeading: (leading) => {
        started = true;
        onMainLeading(leading).catch((err: unknown) => {
          if (!isInputError(err)) log.error(err, 'Starting controllers failed');
          lost.abort(err);
        });
        leading.addEventListener(
          'abort',
          () => {
            if (!shutdown.aborted) {
              // As upstream: "leaderelection lost", stop at once and exit non-zero.
              leaseLost = true;
              lost.abort(new Error('leaderelection lost'));
            }
          },
          { once: true },
        );
      },
      onStoppedLeading: () => {
        if (started && !shutdown.aborted) {
          leaseLost = true;
          lost.abort(new Error('leaderelection lost'));
        }
      },
      onNewLeader: (id) => {
        if (id !== identity) log.info('New leader elected', { identity: id });
      },
    });
  })();
  leadingDone.catch((err: unknown) => {
    if (!isInputError(err)) log.error(err, 'Leader election failed');
    lost.abort(err);
  });

  await Promise.race([aborted(shutdown), aborted(lost.signal)]);
  if (lost.signal.aborted && !shutdown.aborted) {
    // Stop every write at once; no drain (upstream exits immediately after flushing logs). The
    // elector stops too (already so after a lost renew) without releasing: drainedCleanly is false.
    stopControllers.abort(lost.signal.reason);
    electorStop.abort(lost.signal.reason);
    if (isInputError(lost.signal.reason)) {
      // A controller's configuration error found at start (e.g. --cluster-cidr): exit 2 with it.
      await closeServing();
      throw lost.signal.reason;
    }
    log.error(lost.signal.reason, leaseLost ? 'leaderelection lost' : 'cloud-controller-manager stopped');
    await closeServing();
    return EXIT_FAILURE;
  }
  log.info('Shutting down', { reason: messageOf(shutdown.reason) });
  stopControllers.abort(shutdown.reason);
  // Drain within the grace period: controllers finish in-flight work, the elector releases the lease if configured.
  const grace = new AbortController();
  const graceTimer = clock.setTimer(run.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS, () => grace.abort());
  await Promise.race([Promise.allSettled([...controllerRuns, w.informers.shutdown(), w.events.shutdown()]), aborted(grace.signal)]);
  drainedCleanly = !grace.signal.aborted;
  if (!drainedCleanly) log.info('Shutdown grace period elapsed with work still in flight; the Lease is left to expire');
  electorStop.abort(shutdown.reason);
  // The release is one bounded write; the rest of the grace period bounds it too.
  await Promise.race([leadingDone.catch(() => {}), aborted(grace.signal)]);
  graceTimer.cancel();
  await closeServing();
  for (const client of [w.root, ...w.clients.values()]) client.close?.();
  log.info('Stopped');
  return leaseLost ? EXIT_FAILURE : EXIT_OK;
}
