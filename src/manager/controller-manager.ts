/**
 * The controller manager: one owner of the controllers, the Leases they run under and the
 * endpoints that report on them, with one stop path. Every cause of a stop — a signal, a lost
 * Lease, a controller that fails, a provider whose `initialize` throws — calls {@link
 * ControllerManager.stop}; the first reason wins and decides the rest: a shutdown drains the
 * controllers within the grace period and then hands the Lease back; anything else stops every
 * write at once and never writes to a Lease again.
 *
 * The shape is controller-runtime's manager (runnables under one leader election, one error
 * path), with upstream's CCM order: serve, campaign, and on leading initialize the provider once,
 * start the controllers, then the shared informers.
 *
 * @module
 */
import { errorMessage } from '../log/error-message.js';
import type { ClientBuilder } from '../cloud/provider.js';
import { isInputError } from '../cloud/input-error.js';
import type { Controller, ControllerContext } from '../controllers/context.js';
import { fencedClient, WriteFence } from '../kube/write-fence.js';
import type { ManagerParts } from './build.js';
import { CCM_USER_AGENT, MANAGED_CONTROLLERS } from './controllers.js';
import type { ManagedController } from './controllers.js';
import { classifyControllers } from './leader-migration/classify.js';
import { ManagedLease } from './lease-group.js';
import type { LeaseSettings } from './lease-group.js';
import { ProviderCallTimeoutError, withDeadline } from './provider-guard/call-deadline.js';
import { startManagerServing } from './serve.js';
import type { ManagerServing } from './serve.js';
import type { HealthCheck } from './serving/index.js';
import type { FailurePhase, StopReason } from './stop-reason.js';

/** Options of a {@link ControllerManager}. */
export interface ControllerManagerOptions {
  /** This replica's leader identity (`<hostname>_<uuid>`). */
  readonly identity: string;
  /** Time for controllers to drain their queues on shutdown (default 10 s). */
  readonly shutdownGraceMs?: number | undefined;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** The log line of each failure phase. */
const FAILURE_MESSAGES: Record<FailurePhase, string> = {
  initialize: 'Cloud provider initialize failed',
  controllers: 'Controller failed',
  'leader-election': 'Leader election failed',
  serving: 'Serving failed',
};

/** Runs the enabled controllers of one manager replica; see the module comment. */
export class ControllerManager {
  readonly #parts: ManagerParts;
  readonly #identity: string;
  readonly #graceMs: number;
  /** Aborted by {@link stop} with the first reason: every controller and informer runs under it. */
  readonly #stopped = new AbortController();
  #reason: StopReason | undefined;
  readonly #started = new Set<string>();
  #synced = false;
  readonly #runs: Promise<void>[] = [];
  readonly #healthz: HealthCheck[] = [];
  readonly #readyz: HealthCheck[];
  readonly #leases: ManagedLease[] = [];
  /** When the provider's initialize started, while it runs. */
  #initializingSince: number | undefined;
  #main: ManagedLease | undefined;
  #runningResolve: (running: boolean) => void = () => {};
  readonly #running: Promise<boolean>;
  /** Which controllers run under which lock (KEP-2436); without migration all are "non-migrated". */
  readonly #nonMigrated: readonly string[];
  readonly #migrated: readonly string[];

  constructor(parts: ManagerParts, o: ControllerManagerOptions) {
    this.#parts = parts;
    this.#identity = o.identity;
    this.#graceMs = o.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    this.#running = new Promise((resolve) => (this.#runningResolve = resolve));
    if (parts.migration === undefined) {
      this.#nonMigrated = parts.enabled;
      this.#migrated = [];
    } else {
      const classes = classifyControllers(parts.migration, parts.enabled, CCM_USER_AGENT);
      this.#nonMigrated = classes.nonMigrated;
      this.#migrated = classes.migrated;
      if (classes.unowned.length > 0) parts.logger.info('Controllers owned by another manager will not run here', { controllers: classes.unowned });
    }
    // A provider stuck in initialize past its deadline is unhealthy (the manager then also stops).
    this.#healthz.push({
      name: 'cloud-provider',
      check: () => {
        const since = this.#initializingSince;
        const limit = parts.options.cloudProviderInitializeTimeoutMs;
        if (since !== undefined && limit > 0 && parts.clock.now() - since >= limit) {
          throw new Error(`cloud provider ${JSON.stringify(parts.cloud.name)} has not finished initialize after ${Math.round((parts.clock.now() - since) / 1000)}s`);
        }
      },
    });
    this.#readyz = [
      {
        name: 'leader-election',
        check: () => {
          const main = this.#main;
          if (main !== undefined && main.leader() === undefined && !main.isLeader()) throw new Error('leadership not yet known');
        },
      },
      {
        name: 'informer-sync',
        check: () => {
          const leading = this.#main === undefined || this.#main.isLeader();
          if (leading && !this.#synced) throw new Error('informer caches not synced');
        },
      },
    ];
  }

  /**
   * Resolves `true` once this replica leads, the provider is initialised, the controllers started
   * and the informer caches synced; `false` when the manager stopped first.
   */
  whenRunning(): Promise<boolean> {
    return this.#running;
  }

  /** Why the manager stopped, once it has. */
  get stopReason(): StopReason | undefined {
    return this.#reason;
  }

  /** The one stop path: records the first reason and stops every controller's writes. */
  stop(reason: StopReason): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#stopped.abort(reason);
    this.#runningResolve(false);
  }

  /**
   * Serves, campaigns, leads until a stop, then shuts down and resolves with the reason.
   * Aborting `shutdown` is a graceful stop (SIGTERM).
   */
  async run(shutdown?: AbortSignal): Promise<StopReason> {
    if (shutdown !== undefined) {
      const onShutdown = (): void => this.stop({ kind: 'shutdown', cause: shutdown.reason });
      if (shutdown.aborted) onShutdown();
      else shutdown.addEventListener('abort', onShutdown, { once: true });
    }
    let serving: ManagerServing | undefined;
    try {
      serving = await startManagerServing(this.#parts, { healthz: this.#healthz, readyz: this.#readyz });
    } catch (err) {
      this.stop({ kind: 'failed', phase: 'serving', error: err });
    }
    if (this.#reason === undefined) {
      try {
        this.#campaign();
      } catch (err) {
        // E.g. an elector refusing its settings: still the one stop path (close serving, clients).
        this.stop({ kind: 'failed', phase: 'leader-election', error: err });
      }
    }
    await new Promise<void>((resolve) => {
      if (this.#stopped.signal.aborted) resolve();
      else this.#stopped.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    const reason = this.#reason ?? { kind: 'shutdown', cause: undefined };
    await this.#shutDown(reason);
    await serving?.close();
    this.#parts.close();
    return reason;
  }

  /** Takes the main Lease (or, with `--leader-elect=false`, leads at once). */
  #campaign(): void {
    const p = this.#parts;
    const le = p.options.leaderElection;
    if (!le.enabled) {
      this.#lead(this.#stopped.signal);
      return;
    }
    const main = this.#lease(le.resourceName);
    this.#main = main;
    p.fence.guard(() => main.holdsLease(), `the Lease ${main.description} is no longer held (no successful renew within --leader-elect-renew-deadline)`);
    this.#healthz.push({
      name: 'leaderElection',
      check: () => {
        const err = main.check();
        if (err !== undefined) throw err;
      },
    });
    main.campaign({
      onLeading: (leading) => this.#lead(leading),
      onNewLeader: (id) => {
        if (id !== this.#identity) p.logger.info('New leader elected', { identity: id });
      },
    });
  }

  /** A Lease of this manager; losing it stops the manager. */
  #lease(name: string): ManagedLease {
    const p = this.#parts;
    const le = p.options.leaderElection;
    const settings: LeaseSettings = {
      client: p.root,
      namespace: le.resourceNamespace,
      identity: this.#identity,
      leaseDurationMs: le.leaseDurationMs,
      renewDeadlineMs: le.renewDeadlineMs,
      retryPeriodMs: le.retryPeriodMs,
      clock: p.clock,
      random: p.random,
      logger: p.logger,
      onLeaderStatus: (lease, leading) => p.metrics.leaderStatus(lease, leading),
      // Upstream hands the lock the manager's own recorder (component cloud-controller-manager).
      recorder: p.events.newRecorder({ component: CCM_USER_AGENT }),
    };
    const lease = new ManagedLease(settings, name);
    this.#leases.push(lease);
    lease.lost.addEventListener('abort', () => this.stop({ kind: 'lease-lost', lease: lease.description, cause: lease.lost.reason }), { once: true });
    lease.failed.addEventListener('abort', () => this.stop({ kind: 'failed', phase: 'leader-election', error: lease.failed.reason }), { once: true });
    return lease;
  }

  /** Leading under the main Lease (once per run): initialize, controllers, informers, migration. */
  #lead(leading: AbortSignal): void {
    const signal = AbortSignal.any([leading, this.#stopped.signal]);
    this.#leadUnder(signal).catch((err: unknown) => {
      // #leadUnder reports its own phases; this is a bug guard.
      this.stop({ kind: 'failed', phase: 'controllers', error: err });
    });
  }

  async #leadUnder(signal: AbortSignal): Promise<void> {
    // A Lease acquired while the manager was already stopping: nothing to start.
    if (signal.aborted) return;
    const p = this.#parts;
    const log = p.logger;
    try {
      const clientBuilder: ClientBuilder = { client: (name) => fencedClient(p.clientFor(name), p.fence, signal) };
      const timeoutMs = p.options.cloudProviderInitializeTimeoutMs;
      this.#initializingSince = p.clock.now();
      // ONCE per process, also under migration (upstream may call it again; see docs/deviations.md).
      // The provider keeps `signal` (it aborts when the manager stops); the deadline only bounds the wait.
      await withDeadline(async () => p.cloud.initialize?.({ signal, clientBuilder, logger: log.withName('cloud-provider'), metrics: p.metrics.registry }), {
        clock: p.clock,
        timeoutMs,
        timeoutError: () => new ProviderCallTimeoutError(p.cloud.name, 'initialize', timeoutMs, '--cloud-provider-initialize-timeout'),
      });
      this.#initializingSince = undefined;
      p.cloud.setInformers?.(p.informers);
    } catch (err) {
      this.stop({ kind: 'failed', phase: 'initialize', error: err });
      return;
    }
    if (signal.aborted) return;
    if (!this.#startControllers(this.#nonMigrated, signal, p.fence)) return;
    p.informers.start(signal);
    void p.informers.waitForCacheSync(signal).then((ok) => {
      if (!ok) return;
      this.#synced = true;
      log.info('Caches are synced');
      this.#runningResolve(true);
    });
    if (p.migration !== undefined && this.#migrated.length > 0) this.#campaignForMigration(p.migration.leaderName, signal);
  }

  /** The migration Lease: the migrated controllers write only while both Leases are held. */
  #campaignForMigration(leaderName: string, mainLeading: AbortSignal): void {
    const p = this.#parts;
    const lease = this.#lease(leaderName);
    const main = this.#main;
    p.logger.info('Leader migration: acquiring the migration lease', { lease: lease.description, controllers: this.#migrated });
    lease.campaign({
      onLeading: (migrationLeading) => {
        const both = AbortSignal.any([mainLeading, migrationLeading]);
        const fence = new WriteFence();
        fence.guard(
          () => (main === undefined || main.holdsLease()) && lease.holdsLease(),
          `the Leases ${main?.description ?? ''} and ${lease.description} are not both held`,
        );
        if (this.#startControllers(this.#migrated, both, fence)) p.informers.start(both);
      },
    });
  }

  /**
   * Starts `names` (in catalog order) under `signal`, each with its own fenced client; false when
   * one could not start (the manager is then stopping).
   */
  #startControllers(names: readonly string[], signal: AbortSignal, fence: WriteFence): boolean {
    const p = this.#parts;
    const specs = MANAGED_CONTROLLERS.filter((c) => names.includes(c.name));
    let startDelayMs = 0;
    for (const spec of specs) {
      let controller: Controller | undefined;
      try {
        controller = this.#startOne(spec, signal, fence);
      } catch (err) {
        this.stop({ kind: 'failed', phase: 'controllers', error: err });
        return false;
      }
      if (controller === undefined) continue;
      const delayMs = startDelayMs;
      // --controller-start-interval: as upstream, a jittered (factor 1.0) pause after each start.
      startDelayMs += p.options.controllerStartIntervalMs * (1 + p.random());
      this.#runs.push(this.#runOne(spec, controller, delayMs, signal));
    }
    return true;
  }

  /** Builds one controller; undefined when it skips itself (logged, as upstream's startControllers). */
  #startOne(spec: ManagedController, signal: AbortSignal, fence: WriteFence): Controller | undefined {
    const p = this.#parts;
    const log = p.logger.withValues({ controller: spec.name });
    const ctx: ControllerContext = {
      // Every write checks the Lease by the clock and carries the controllers' stop signal.
      kube: fencedClient(p.clients.get(spec.clientName) ?? p.root, fence, signal),
      informers: p.informers,
      cloud: p.cloud,
      recorder: p.events.newRecorder({ component: spec.eventComponent }),
      clock: p.clock,
      random: p.random,
      logger: p.logger,
      workQueueMetrics: p.workQueueMetrics,
    };
    log.info('Starting controller');
    const start = spec.start(ctx, { options: p.options, metrics: p.metrics });
    if ('skipped' in start) {
      log.info('Skipping controller', { reason: start.skipped });
      return undefined;
    }
    this.#started.add(spec.name);
    p.metrics.runningManagedControllers(spec.name, true);
    // Only started controllers get a check, as upstream (a skipped one is not unhealthy).
    this.#healthz.push({
      name: spec.name,
      check: () => {
        if (!this.#started.has(spec.name)) throw new Error(`controller ${spec.name} is not running`);
      },
    });
    log.info('Started controller');
    return start.controller;
  }

  /** Runs one controller; one that fails while the manager is not stopping stops the manager. */
  async #runOne(spec: ManagedController, controller: Controller, delayMs: number, signal: AbortSignal): Promise<void> {
    const p = this.#parts;
    try {
      if (delayMs > 0) await p.clock.sleep(delayMs, signal).catch(() => {});
      if (!signal.aborted) await controller.run(signal);
    } catch (err) {
      if (!this.#stopped.signal.aborted) this.stop({ kind: 'failed', phase: 'controllers', error: new ControllerFailedError(spec.name, err) });
    } finally {
      this.#started.delete(spec.name);
      p.metrics.runningManagedControllers(spec.name, false);
    }
  }

  /** After the first stop reason: drain (shutdown only), end the campaigns, log. */
  async #shutDown(reason: StopReason): Promise<void> {
    const p = this.#parts;
    const log = p.logger;
    if (reason.kind !== 'shutdown') {
      // Stop every write at once; no drain (upstream exits right after flushing logs). The Leases
      // are never written again: a lost one may be someone else's, and a failure is no handover.
      if (reason.kind === 'lease-lost') log.error(reason.cause, 'leaderelection lost', { lease: reason.lease });
      else if (!isInputError(reason.error)) log.error(reason.error, FAILURE_MESSAGES[reason.phase]);
      await Promise.all(this.#leases.map((l) => l.stop(reason, { release: false })));
      // No drain, but no timers left behind either (event retries); the fence refuses what is queued.
      void p.events.shutdown().catch(() => {});
      return;
    }
    log.info('Shutting down', { reason: errorMessage(reason.cause) });
    // The main Lease is handed back once every controller drained (nothing in flight can write
    // after the standby takes over), so a rolling update fails over in about one retry period.
    // Upstream's CCM never releases (see docs/deviations.md). A drain that outlives the grace
    // period leaves the Lease to expire.
    const grace = new AbortController();
    const timer = p.clock.setTimer(this.#graceMs, () => grace.abort());
    const graceOver = new Promise<void>((resolve) => grace.signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([Promise.allSettled([...this.#runs, p.informers.shutdown(), p.events.shutdown()]), graceOver]);
    const drained = !grace.signal.aborted;
    if (!drained) log.info('Shutdown grace period elapsed with work still in flight; the Lease is left to expire');
    // The migration Lease first, then the main one (its controllers are a subset). Each release
    // is one bounded write; the rest of the grace period bounds them too.
    const ends = (async (): Promise<void> => {
      for (const lease of [...this.#leases].reverse()) await lease.stop(reason.cause, { release: drained });
    })();
    await Promise.race([ends, graceOver]);
    timer.cancel();
    log.info('Stopped');
  }
}

/** A controller's run ended with an error: the manager stops (exit 1). */
export class ControllerFailedError extends Error {
  override readonly name = 'ControllerFailedError';
  /** The controller's canonical name. */
  readonly controller: string;

  constructor(controller: string, cause: unknown) {
    super(`controller ${controller} stopped with an error: ${errorMessage(cause)}`, { cause });
    this.controller = controller;
  }
}
