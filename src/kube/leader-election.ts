/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go `tools/leaderelection`
 * semantics: candidates poll the Lease every retry period (jittered ×1.2) and take it over only
 * after observing the same record unchanged for a full lease duration on their own clock; the
 * leader renews every retry period and gives up when it cannot renew within the renew deadline.
 * Writes use the Lease's resourceVersion, so a stale writer gets 409 Conflict and loses the race.
 *
 * @module
 */
import type { LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { formatMetav1MicroTime } from './metav1-time.js';
import type { Clock } from './clock.js';
import type { KubeClient } from './client.js';
import { isConflict, isNotFound } from './errors.js';
import type { EventRecorder } from './events.js';
import type { Lease } from './resources.js';
import { jitter } from './backoff.js';
import type { Logger } from '../log/logger.js';
import { noopLogger } from '../log/logger.js';

/** Tries of a release that meets conflicts (client-go: one). */
const RELEASE_ATTEMPTS = 3;

/** client-go `JitterFactor`: candidates wait retryPeriod plus up to 1.2 × retryPeriod between tries. */
export const LEADER_ELECTION_JITTER_FACTOR = 1.2;

/** Callbacks of a {@link LeaderElector} run. */
export interface LeaderCallbacks {
  /** Called once leadership is acquired; `leading` aborts the instant leadership ends. */
  onStartedLeading(leading: AbortSignal): void;
  /** Called when the run ends, whether or not this candidate ever led (as client-go). */
  onStoppedLeading(): void;
  /** Called when a different (non-empty) holder is observed, including the first one seen. */
  onNewLeader?(identity: string): void;
}

/** Options of a {@link LeaderElector}; durations in milliseconds. */
export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** This candidate's identity, written as `spec.holderIdentity` (see {@link leaderIdentity}). */
  identity: string;
  /** How long followers wait on an unchanged record before taking over (default 15000). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failing renew before giving up (default 10000). */
  renewDeadlineMs?: number;
  /** Interval between tries (default 2000). */
  retryPeriodMs?: number;
  /** On abort of the run signal while leading, hand the Lease back (empty holder, 1 s duration). */
  releaseOnCancel?: boolean | (() => boolean);
  clock: Clock;
  /** Uniform [0, 1) source for the acquire jitter. */
  random: () => number;
  logger?: Logger;
  /** Told when leading starts/stops (for the `leader_election_master_status` gauge). */
  onLeaderStatus?(leading: boolean): void;
  /**
   * Where to record client-go's `LeaderElection` events on the Lease ("<identity> became leader",
   * "<identity> stopped leading"); none are recorded without one.
   */
  recorder?: EventRecorder;
}

/** The reason client-go's Lease lock gives its events. */
export const LEADER_ELECTION_EVENT_REASON = 'LeaderElection';

/** The leader identity upstream uses: `hostname_uuid`. */
export function leaderIdentity(hostname: string, uuid: string): string {
  return `${hostname}_${uuid}`;
}

/** Options a {@link LeaderElector} rejects, with the field at fault. */
export class LeaderElectionConfigError extends Error {
  override readonly name = 'LeaderElectionConfigError';
}

/** client-go's `LeaderElectionRecord`, the part of a Lease spec leader election reads and writes. */
interface ElectionRecord {
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: string;
  readonly renewTime: string;
  readonly leaseTransitions: number;
}

/** Reads a Lease spec as client-go's `LeaseSpecToLeaderElectionRecord` does (absent ⇒ zero value). */
function recordOf(spec: LeaseSpec | undefined): ElectionRecord {
  return {
    holderIdentity: spec?.holderIdentity ?? '',
    leaseDurationSeconds: spec?.leaseDurationSeconds ?? 0,
    acquireTime: spec?.acquireTime ?? '',
    renewTime: spec?.renewTime ?? '',
    leaseTransitions: spec?.leaseTransitions ?? 0,
  };
}

/** A stable serialisation used to tell "the record changed" (client-go compares raw records). */
function rawOf(record: ElectionRecord): string {
  return JSON.stringify([
    record.holderIdentity,
    record.leaseDurationSeconds,
    record.acquireTime,
    record.renewTime,
    record.leaseTransitions,
  ]);
}

/** Aborts when `parent` aborts or `ms` of clock time pass; `done()` drops the timer and listener. */
function timeoutSignal(clock: Clock, ms: number, parent: AbortSignal): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  const timer = clock.setTimer(ms, () => controller.abort(new Error(`leader election request timed out after ${ms}ms`)));
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      timer.cancel();
      parent.removeEventListener('abort', onAbort);
    },
  };
}

function validate(o: { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number; identity: string; name: string; namespace: string }): void {
  // The same checks, in the same order, as client-go's NewLeaderElector.
  if (o.leaseDurationMs <= o.renewDeadlineMs) {
    throw new LeaderElectionConfigError(`leaseDuration (${o.leaseDurationMs}ms) must be greater than renewDeadline (${o.renewDeadlineMs}ms)`);
  }
  if (o.renewDeadlineMs <= LEADER_ELECTION_JITTER_FACTOR * o.retryPeriodMs) {
    throw new LeaderElectionConfigError(
      `renewDeadline (${o.renewDeadlineMs}ms) must be greater than retryPeriod*JitterFactor (${o.retryPeriodMs}ms*${LEADER_ELECTION_JITTER_FACTOR})`,
    );
  }
  if (!(o.leaseDurationMs > 0)) throw new LeaderElectionConfigError(`leaseDuration must be greater than zero, got ${o.leaseDurationMs}ms`);
  if (!(o.renewDeadlineMs > 0)) throw new LeaderElectionConfigError(`renewDeadline must be greater than zero, got ${o.renewDeadlineMs}ms`);
  if (!(o.retryPeriodMs > 0)) throw new LeaderElectionConfigError(`retryPeriod must be greater than zero, got ${o.retryPeriodMs}ms`);
  // Beyond client-go: the Lease stores whole seconds (client-go truncates), and followers time
  // out on the stored value; if truncation dropped it to renewDeadline or below, two candidates
  // could lead at once.
  if (Math.floor(o.leaseDurationMs / 1000) * 1000 <= o.renewDeadlineMs) {
    throw new LeaderElectionConfigError(
      `leaseDuration (${o.leaseDurationMs}ms), truncated to whole seconds as stored in the Lease, must be greater than renewDeadline (${o.renewDeadlineMs}ms)`,
    );
  }
  if (o.identity === '') throw new LeaderElectionConfigError('identity must not be empty');
  if (o.name === '') throw new LeaderElectionConfigError('lease name must not be empty');
  if (o.namespace === '') throw new LeaderElectionConfigError('lease namespace must not be empty');
}

/**
 * A leader-election candidate (client-go `LeaderElector`) on one Lease.
 *
 * @example
 * ```ts
 * const elector = new LeaderElector({ client, namespace: 'kube-system', name: 'cloud-controller-manager',
 *   identity: leaderIdentity(os.hostname(), randomUUID()), clock, random: Math.random });
 * await elector.run(signal, { onStartedLeading: (leading) => startControllers(leading), onStoppedLeading: () => {} });
 * ```
 */
export class LeaderElector {
  readonly #client: KubeClient;
  readonly #namespace: string;
  readonly #name: string;
  readonly #identity: string;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  readonly #releaseOnCancel: () => boolean;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #log: Logger;
  readonly #onLeaderStatus: ((leading: boolean) => void) | undefined;
  readonly #recorder: EventRecorder | undefined;
  readonly #describe: string;

  /** The Lease as last read or written: its resourceVersion guards the next update. */
  #lease: Lease | undefined;
  #observed: ElectionRecord | undefined;
  #observedRaw: string | undefined;
  /** When #observed last changed, on our clock (client-go `observedTime`). */
  #observedTime = 0;
  #reportedLeader = '';
  #leading = false;
  /** Until when (clock ms) the last successful write lets us lead: its send time + renewDeadline. */
  #validUntil = 0;
  #running = false;

  constructor(o: LeaderElectorOptions) {
    const leaseDurationMs = o.leaseDurationMs ?? 15_000;
    const renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    const retryPeriodMs = o.retryPeriodMs ?? 2_000;
    validate({ leaseDurationMs, renewDeadlineMs, retryPeriodMs, identity: o.identity, name: o.name, namespace: o.namespace });
    this.#client = o.client;
    this.#namespace = o.namespace;
    this.#name = o.name;
    this.#identity = o.identity;
    this.#leaseDurationMs = leaseDurationMs;
    this.#renewDeadlineMs = renewDeadlineMs;
    this.#retryPeriodMs = retryPeriodMs;
    const release = o.releaseOnCancel ?? false;
    this.#releaseOnCancel = typeof release === 'function' ? release : () => release;
    this.#clock = o.clock;
    this.#random = o.random;
    this.#describe = `${o.namespace}/${o.name}`;
    this.#log = (o.logger ?? noopLogger).withValues({ lock: this.#describe, identity: o.identity });
    this.#onLeaderStatus = o.onLeaderStatus === undefined ? undefined : (leading) => o.onLeaderStatus?.(leading);
    this.#recorder = o.recorder;
  }

  /** Whether this candidate is leading right now (between acquiring and losing or releasing). */
  isLeader(): boolean {
    return this.#leading;
  }

  /**
   * Whether this candidate still holds the Lease *by the clock*: leading, and the renew deadline
   * counted from the last successful write's send time has not passed. Unlike {@link isLeader},
   * which ends only when a timer fires, this is exact at the moment of asking — after a process
   * pause (SIGSTOP, a long GC) it is false before any queued I/O or timer has run. Check it before
   * every write a leader makes.
   */
  holdsLease(): boolean {
    return this.#clock.now() < this.#validUntil;
  }

  /** The holder identity last observed on the Lease, or `undefined` when none was seen. */
  leader(): string | undefined {
    const holder = this.#observed?.holderIdentity;
    return holder === undefined || holder === '' ? undefined : holder;
  }

  /**
   * The healthz watchdog (client-go `HealthzAdaptor`): an error when the last observed record
   * names us and it is older than leaseDuration + `toleranceMs` — a leader that should have
   * renewed or stepped down long ago.
   */
  check(toleranceMs = 20_000): Error | undefined {
    if (this.#observed?.holderIdentity !== this.#identity) return undefined;
    if (this.#clock.now() - this.#observedTime > this.#leaseDurationMs + toleranceMs) {
      return new Error(`failed election to renew leadership on lease ${this.#name}`);
    }
    return undefined;
  }

  /**
   * Campaigns until leadership is acquired, then renews until it is lost or `signal` aborts.
   * Resolves after `onStoppedLeading` ran (and after the release when `releaseOnCancel`).
   */
  async run(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<void> {
    if (this.#running) throw new Error(`LeaderElector ${this.#describe}: run is already in progress`);
    this.#running = true;
    this.#setStatus(false);
    try {
      const acquiredAt = await this.#acquire(signal, callbacks);
      if (acquiredAt === undefined) return;
      await this.#lead(signal, callbacks, acquiredAt);
    } finally {
      this.#running = false;
      callbacks.onStoppedLeading();
    }
  }

  #setStatus(leading: boolean): void {
    this.#leading = leading;
    this.#onLeaderStatus?.(leading);
  }

  /** client-go `acquire`: try now, then every jittered retry period; returns the send time of the winning write. */
  async #acquire(signal: AbortSignal, callbacks: LeaderCallbacks): Promise<number | undefined> {
    this.#log.info('Attempting to acquire leader lease...');
    while (!signal.aborted) {
      const sentAt = this.#clock.now();
      // The lock client's timeout is the renew deadline, as upstream's CCM sets it.
      const request = timeoutSignal(this.#clock, this.#renewDeadlineMs, signal);
      let ok: boolean;
      try {
        ok = await this.#tryAcquireOrRenew(request.signal);
      } finally {
        request.done();
      }
      this.#maybeReportTransition(callbacks);
      // A write that returned only after its own deadline would give no time to lead safely.
      if (ok && !signal.aborted && this.#clock.now() < sentAt + this.#renewDeadlineMs) {
        this.#validUntil = sentAt + this.#renewDeadlineMs;
        this.#recordEvent('became leader');
        this.#log.info('Successfully acquired lease');
        return sentAt;
      }
      this.#log.v(4).info('Failed to acquire lease');
      try {
        await this.#clock.sleep(jitter(this.#retryPeriodMs, LEADER_ELECTION_JITTER_FACTOR, this.#random), signal);
      } catch {
        break;
      }
    }
    return undefined;
  }

  /** Leads until the renew deadline passes without a successful renew, or `signal` aborts. */
  async #lead(signal: AbortSignal, callbacks: LeaderCallbacks, acquiredAt: number): Promise<void> {
    const leading = new AbortController();
    // Cancelled only when our stop came while still leading: a stop that arrives after a lost
    // renew must neither be logged as a cancel nor release a Lease someone else may now hold.
    let cancelled = false;
    const onCancel = (): void => {
      if (!leading.signal.aborted) cancelled = true;
      leading.abort(signal.reason);
    };
    signal.addEventListener('abort', onCancel, { once: true });
    // client-go times renewDeadline per renew poll, which starts a retry period after the last
    // success; we time it from when the last successful write was *sent*. A follower cannot have
    // observed that record before then, and renewDeadline < leaseDuration, so leadership ends
    // strictly before anyone else may take over, even when retryPeriod + renewDeadline ≥
    // leaseDuration. The timer aborts `leading` at once: controller writes stop that instant.
    let deadline = this.#clock.setTimer(acquiredAt + this.#renewDeadlineMs - this.#clock.now(), () =>
      leading.abort(new Error('failed to renew lease within the renew deadline')),
    );
    this.#validUntil = acquiredAt + this.#renewDeadlineMs;
    this.#setStatus(true);
    try {
      try {
        callbacks.onStartedLeading(leading.signal);
      } catch (err) {
        this.#log.error(err, 'onStartedLeading failed; stopping leading');
        leading.abort(err);
      }
      while (!leading.signal.aborted) {
        try {
          await this.#clock.sleep(this.#retryPeriodMs, leading.signal);
        } catch {
          break;
        }
        const sentAt = this.#clock.now();
        const ok = await this.#tryAcquireOrRenew(leading.signal);
        this.#maybeReportTransition(callbacks);
        if (leading.signal.aborted) break;
        if (ok) {
          deadline.cancel();
          this.#validUntil = sentAt + this.#renewDeadlineMs;
          deadline = this.#clock.setTimer(sentAt + this.#renewDeadlineMs - this.#clock.now(), () =>
            leading.abort(new Error('failed to renew lease within the renew deadline')),
          );
          this.#log.v(5).info('Successfully renewed lease');
        }
      }
    } finally {
      deadline.cancel();
      this.#validUntil = 0;
      signal.removeEventListener('abort', onCancel);
      leading.abort(new Error('leader election ended'));
      this.#setStatus(false);
      // As client-go's renew loop, on every way out of leading (lost renew or cancel).
      this.#recordEvent('stopped leading');
    }
    if (cancelled) {
      this.#log.info('Stopped leading: run cancelled');
      // As client-go, release only a lease we still hold; only on cancel (never after a lost renew,
      // when another candidate may already hold it).
      if (this.#releaseOnCancel()) await this.#release();
    } else {
      this.#log.info('Failed to renew lease', { err: String(leading.signal.reason) });
    }
  }

  /** client-go `release`: hand the Lease back with an empty holder and a 1 s duration; retries conflicts. */
  async #release(): Promise<void> {
    const never = new AbortController().signal;
    const request = timeoutSignal(this.#clock, this.#renewDeadlineMs, never);
    try {
      // client-go makes one attempt; a conflict (our own renew racing the release) earns a few
      // more, never an unbounded loop.
      for (let attempt = 1; ; attempt++) {
        let current: Lease;
        try {
          current = await this.#client.leases.get({ namespace: this.#namespace, name: this.#name }, { signal: request.signal });
        } catch (err) {
          if (isNotFound(err)) this.#log.info('lease lock not found');
          else this.#log.error(err, 'error retrieving resource lock');
          return;
        }
        this.#lease = current;
        // Only a Lease that still names us is handed back, as the server has it now.
        if (current.spec?.holderIdentity !== this.#identity) return;
        const now = formatMetav1MicroTime(this.#clock.now());
        const record: ElectionRecord = {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: recordOf(current.spec).leaseTransitions,
        };
        try {
          await this.#write(record, request.signal);
          this.#observe(record);
          this.#log.info('Released lease');
          return;
        } catch (err) {
          if (isConflict(err) && !request.signal.aborted && attempt < RELEASE_ATTEMPTS) continue;
          this.#log.error(err, 'Failed to release lease');
          return;
        }
      }
    } finally {
      request.done();
    }
  }

  /** client-go `tryAcquireOrRenew`; never throws. */
  async #tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const now = this.#clock.now();
    const fresh: ElectionRecord = {
      holderIdentity: this.#identity,
      leaseDurationSeconds: Math.floor(this.#leaseDurationMs / 1000),
      acquireTime: formatMetav1MicroTime(now),
      renewTime: formatMetav1MicroTime(now),
      leaseTransitions: 0,
    };
    // 1. Fast path: the leader updates optimistically from the Lease it last saw.
    const observed = this.#observed;
    if (observed !== undefined && observed.holderIdentity === this.#identity && this.#leaseValid(now)) {
      const record = { ...fresh, acquireTime: observed.acquireTime, leaseTransitions: observed.leaseTransitions };
      try {
        await this.#write(record, signal);
        this.#observe(record);
        return true;
      } catch (err) {
        if (signal.aborted) return false;
        this.#log.v(2).info('Failed to update lease optimistically, falling back to slow path', { err: String(err) });
      }
    }
    // 2. Read (or create) the Lease.
    let current: Lease;
    try {
      current = await this.#client.leases.get({ namespace: this.#namespace, name: this.#name }, { signal });
    } catch (err) {
      if (!isNotFound(err)) {
        if (!signal.aborted) this.#log.error(err, 'Error retrieving lease lock');
        return false;
      }
      try {
        this.#lease = await this.#client.leases.create(this.#leaseObject(fresh, undefined), { signal });
      } catch (createErr) {
        if (!signal.aborted) this.#log.error(createErr, 'Error initially creating lease lock');
        return false;
      }
      this.#observe(fresh);
      return true;
    }
    this.#lease = current;
    // 3. Observed-time semantics: the clock restarts whenever the record changes.
    const record = recordOf(current.spec);
    const raw = rawOf(record);
    if (raw !== this.#observedRaw) {
      this.#observe(record);
      this.#observedRaw = raw;
    }
    const isLeader = record.holderIdentity === this.#identity;
    if (record.holderIdentity !== '' && this.#leaseValid(now) && !isLeader) {
      this.#log.v(4).info('Lease is held by and has not yet expired', { holder: record.holderIdentity });
      return false;
    }
    // 4. Take over (a new term counts a transition) or renew keeping acquireTime.
    const next = isLeader
      ? { ...fresh, acquireTime: record.acquireTime, leaseTransitions: record.leaseTransitions }
      : { ...fresh, leaseTransitions: record.leaseTransitions + 1 };
    try {
      await this.#write(next, signal);
    } catch (err) {
      if (!signal.aborted) this.#log.error(err, 'Failed to update lease');
      return false;
    }
    this.#observe(next);
    return true;
  }

  /** Updates the Lease from the last one seen, so a concurrent writer makes this fail with 409. */
  async #write(record: ElectionRecord, signal: AbortSignal): Promise<void> {
    this.#lease = await this.#client.leases.update(this.#leaseObject(record, this.#lease), { signal });
    this.#observedRaw = rawOf(record);
  }

  #leaseObject(record: ElectionRecord, base: Lease | undefined): Lease {
    const spec: LeaseSpec = {
      holderIdentity: record.holderIdentity,
      leaseDurationSeconds: record.leaseDurationSeconds,
      acquireTime: record.acquireTime,
      renewTime: record.renewTime,
      leaseTransitions: record.leaseTransitions,
    };
    if (base !== undefined) return { ...base, spec: { ...base.spec, ...spec } };
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { namespace: this.#namespace, name: this.#name },
      spec,
    };
  }

  /** client-go `LeaseLock.RecordEvent`: a Normal event on the Lease as last seen, naming us. */
  #recordEvent(what: string): void {
    if (this.#recorder === undefined) return;
    const metadata = this.#lease?.metadata ?? { namespace: this.#namespace, name: this.#name };
    const subject: Lease = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata };
    this.#recorder.event(subject, 'Normal', LEADER_ELECTION_EVENT_REASON, `${this.#identity} ${what}`);
  }

  #observe(record: ElectionRecord): void {
    this.#observed = record;
    this.#observedTime = this.#clock.now();
  }

  /** client-go `isLeaseValid`: observedTime + the record's duration is still ahead of `now`. */
  #leaseValid(now: number): boolean {
    if (this.#observed === undefined) return false;
    return this.#observedTime + this.#observed.leaseDurationSeconds * 1000 > now;
  }

  #maybeReportTransition(callbacks: LeaderCallbacks): void {
    const holder = this.#observed?.holderIdentity ?? '';
    if (holder === this.#reportedLeader) return;
    this.#reportedLeader = holder;
    // client-go also reports the empty holder of a released lease; there is no one to name.
    if (holder === '') return;
    try {
      callbacks.onNewLeader?.(holder);
    } catch (err) {
      this.#log.error(err, 'onNewLeader failed');
    }
  }
}
