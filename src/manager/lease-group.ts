/**
 * The Leases a manager campaigns for. The main lock (`--leader-elect-resource-name`) and the
 * leader-migration lock (KEP-2436) are two instances of {@link ManagedLease}: each has its own
 * elector and its own run signal, reports a *lost* lease separately from a *stopped* one, and hands
 * its Lease back only when its owner says the controllers under it drained.
 *
 * @module
 */
import type { KubeClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import type { EventRecorder } from '../kube/events.js';
import { LeaderElector } from '../kube/leader-election.js';
import type { Logger } from '../log/logger.js';

/** What every Lease of one manager shares. */
export interface LeaseSettings {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly identity: string;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
  /** The `leader_election_master_status` gauge, per Lease name. */
  readonly onLeaderStatus: (lease: string, leading: boolean) => void;
  /** Where the `LeaderElection` events go (upstream: the manager's own recorder). */
  readonly recorder: EventRecorder;
}

/** Callbacks of one campaign. */
export interface CampaignCallbacks {
  /** Called once when the Lease is acquired; `leading` aborts the instant leadership ends. */
  readonly onLeading: (leading: AbortSignal) => void;
  /** Called when a different holder is seen. */
  readonly onNewLeader?: (identity: string) => void;
}

/** One Lease this manager campaigns for, leads under, and either loses or hands back. */
export class ManagedLease {
  /** `namespace/name`. */
  readonly description: string;
  readonly #elector: LeaderElector;
  /** Ends the campaign: only {@link stop} aborts it, never a lost renew. */
  readonly #stop = new AbortController();
  readonly #lost = new AbortController();
  readonly #failed = new AbortController();
  #releaseOnStop = false;
  #done: Promise<void> = Promise.resolve();

  constructor(settings: LeaseSettings, name: string) {
    this.description = `${settings.namespace}/${name}`;
    this.#elector = new LeaderElector({
      client: settings.client,
      namespace: settings.namespace,
      name,
      identity: settings.identity,
      leaseDurationMs: settings.leaseDurationMs,
      renewDeadlineMs: settings.renewDeadlineMs,
      retryPeriodMs: settings.retryPeriodMs,
      // Decided at stop time: the Lease goes back only after a drain that finished in time.
      releaseOnCancel: () => this.#releaseOnStop,
      clock: settings.clock,
      random: settings.random,
      logger: settings.logger.withName('leader-election').withValues({ lease: this.description }),
      onLeaderStatus: (leading) => settings.onLeaderStatus(name, leading),
      recorder: settings.recorder,
    });
  }

  /**
   * Campaigns in the background until {@link stop}. When leadership, once held, ends without a
   * stop (a renew that failed past the deadline), {@link lost} aborts with the reason; when the
   * campaign itself fails (an error, not a lost race), {@link failed} does.
   */
  campaign(callbacks: CampaignCallbacks): void {
    let led = false;
    this.#done = this.#elector
      .run(this.#stop.signal, {
        onStartedLeading: (leading) => {
          led = true;
          leading.addEventListener(
            'abort',
            () => {
              if (!this.#stop.signal.aborted) this.#lost.abort(leading.reason);
            },
            { once: true },
          );
          callbacks.onLeading(leading);
        },
        onStoppedLeading: () => {
          if (led && !this.#stop.signal.aborted) this.#lost.abort(new Error('leadership ended'));
        },
        ...(callbacks.onNewLeader === undefined ? {} : { onNewLeader: callbacks.onNewLeader }),
      })
      .catch((err: unknown) => {
        if (!this.#stop.signal.aborted) this.#failed.abort(err);
      });
  }

  /** Aborted when the Lease, once held, was lost before {@link stop}. */
  get lost(): AbortSignal {
    return this.#lost.signal;
  }

  /** Aborted when the campaign failed with an error before {@link stop}. */
  get failed(): AbortSignal {
    return this.#failed.signal;
  }

  /** Leading right now (see {@link LeaderElector.isLeader}). */
  isLeader(): boolean {
    return this.#elector.isLeader();
  }

  /** Still holding the Lease by the clock: check before every write (see {@link LeaderElector.holdsLease}). */
  holdsLease(): boolean {
    return this.#elector.holdsLease();
  }

  /** The holder last seen on the Lease. */
  leader(): string | undefined {
    return this.#elector.leader();
  }

  /** The healthz watchdog: an error when we hold a record we should have renewed long ago. */
  check(): Error | undefined {
    return this.#elector.check();
  }

  /**
   * Ends the campaign and resolves when it has ended. With `release` (every controller under this
   * Lease has stopped writing), a Lease still held is handed back so a standby takes over in about
   * one retry period; a lost Lease is never written again.
   */
  async stop(reason: unknown, o: { release: boolean }): Promise<void> {
    this.#releaseOnStop = o.release && !this.#lost.signal.aborted;
    this.#stop.abort(reason);
    await this.#done;
  }
}
