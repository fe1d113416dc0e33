/**
 * One manager replica of a simulation: a {@link ControllerManager} in a simulated process (see
 * {@link ProcessGate}) with its own clients, queues and clock view, sharing the simulated API
 * server, the cloud and virtual time with the other replicas. It keeps what the report says
 * about it: when it led, what it wrote, and how it ended.
 *
 * @module
 */
import type { ControllerManager } from '../../manager/controller-manager.js';
import type { StopReason } from '../../manager/stop-reason.js';
import { exitCodeFor } from '../../manager/exit.js';
import { describeStop } from '../../manager/stop-reason.js';
import type { Clock } from '../../kube/clock.js';
import { ProcessClock, ProcessGate } from './process-gate.js';
import { QueueWatch } from './queue-watch.js';
import type { ReplicaReport } from './report.js';

/** The identity every replica of a one-replica run has; replica `i` of several is `<this>-<i>`. */
export const SIMULATOR_IDENTITY = 'outrigger-simulator';

/** The leader identity of replica `index` of `count`. */
export function replicaIdentity(index: number, count: number): string {
  return count === 1 ? SIMULATOR_IDENTITY : `${SIMULATOR_IDENTITY}-${index}`;
}

/** A leadership interval in virtual ms since the run started; `to` is absent while it lasts. */
interface Term {
  readonly from: number;
  to?: number;
}

/**
 * Who the main Lease names over time, read from the simulated API server after every Lease write
 * of a replica and after every step (scenario steps may write the Lease too).
 */
export class LeaseHolders {
  readonly #read: () => string | undefined;
  readonly #now: () => number;
  #holder: string | undefined;
  readonly #terms = new Map<string, Term[]>();

  /** @param read - the main Lease's `holderIdentity` now (undefined when none or no Lease). */
  constructor(read: () => string | undefined, now: () => number) {
    this.#read = read;
    this.#now = now;
  }

  /** The holder when last observed. */
  get holder(): string | undefined {
    return this.#holder;
  }

  /** Reads the Lease and records a change of holder. */
  observe(): void {
    const holder = this.#read();
    if (holder === this.#holder) return;
    const now = this.#now();
    if (this.#holder !== undefined) {
      const last = this.#terms.get(this.#holder)?.at(-1);
      if (last !== undefined && last.to === undefined) last.to = now;
    }
    this.#holder = holder;
    if (holder !== undefined) {
      const terms = this.#terms.get(holder) ?? [];
      terms.push({ from: now });
      this.#terms.set(holder, terms);
    }
  }

  /** The intervals `identity` was named holder. */
  terms(identity: string): readonly Term[] {
    return (this.#terms.get(identity) ?? []).map((t) => ({ ...t }));
  }
}

/**
 * API requests one replica may send at one virtual instant before the simulator calls it a
 * livelock (a retry loop without a delay never lets virtual time move): far above a 10,000-node
 * cluster starting up, which sends tens of thousands at its first instant.
 */
export const MAX_REQUESTS_PER_INSTANT = 1_000_000;

/** A replica stopped by the simulator because it spun: requests without virtual time passing. */
export interface Livelock {
  readonly at: number;
  readonly requests: number;
  /** The last request, `verb resource`. */
  readonly last: string;
}

/** One replica; see the module comment. */
export class Replica {
  readonly index: number;
  readonly identity: string;
  readonly gate = new ProcessGate();
  readonly clock: ProcessClock;
  readonly queues = new QueueWatch();
  readonly #shutdown = new AbortController();
  readonly #elapsed: () => number;
  #manager: ControllerManager | undefined;
  #done: Promise<StopReason> | undefined;
  #finished = false;
  #ready = false;
  #endedAt: number | undefined;
  #killedAt: number | undefined;
  #pausedAt: number | undefined;
  /** Set once a `manager` expectation asked for the way it stopped, and held. */
  stopExpected = false;
  /** Writes the API accepted from it (Leases excluded). */
  writes = 0;
  /** Of {@link writes}, those accepted while the Lease named another holder. */
  deposedWrites = 0;
  #instant = Number.NaN;
  #requestsThisInstant = 0;
  #livelock: Livelock | undefined;

  readonly #maxRequestsPerInstant: number;

  /**
   * @param elapsed - virtual ms since the run started.
   * @param maxRequestsPerInstant - the livelock bound (default {@link MAX_REQUESTS_PER_INSTANT}).
   */
  constructor(index: number, count: number, clock: Clock, elapsed: () => number, maxRequestsPerInstant = MAX_REQUESTS_PER_INSTANT) {
    this.#maxRequestsPerInstant = maxRequestsPerInstant;
    this.index = index;
    this.identity = replicaIdentity(index, count);
    this.clock = new ProcessClock(clock, this.gate);
    this.#elapsed = elapsed;
  }

  get manager(): ControllerManager {
    if (this.#manager === undefined) throw new Error(`replica ${this.index} has no manager yet`);
    return this.#manager;
  }

  /** Gives it the manager it runs (built before any replica starts). */
  prepare(manager: ControllerManager): void {
    this.#manager = manager;
  }

  /** Runs its manager in this replica's process. */
  start(): void {
    void this.manager.whenRunning().then((ok) => (this.#ready = ok));
    this.#done = this.manager.run(this.#shutdown.signal).then((reason) => {
      this.#finished = true;
      this.#endedAt = this.#elapsed();
      return reason;
    });
  }

  /** Why it stopped before the simulator asked it to: a stop on its own (undefined while alive or killed). */
  get stopReason(): StopReason | undefined {
    return this.#manager?.stopReason;
  }

  /** Neither stopped nor killed (a paused replica is alive). */
  get alive(): boolean {
    return this.gate.state !== 'killed' && this.stopReason === undefined;
  }

  /** Alive and not paused: its queues count for `settle`. */
  get active(): boolean {
    return this.alive && this.gate.state === 'running';
  }

  /** It led, its provider initialised and its caches synced (it has been running its controllers). */
  get ready(): boolean {
    return this.#ready;
  }

  /** Its run has returned (it stopped and finished shutting down). */
  get finished(): boolean {
    return this.#finished;
  }

  /** One word for messages: running, paused, killed or stopped. */
  describeState(): string {
    if (this.#livelock !== undefined) return `frozen by the simulator at ${seconds(this.#livelock.at)} (livelock: ${this.#livelock.requests} requests at one instant)`;
    if (this.gate.state === 'killed') return `killed at ${seconds(this.#killedAt ?? 0)}`;
    const reason = this.stopReason;
    if (reason !== undefined) return `stopped (${describeStop(reason)})`;
    return this.gate.state === 'paused' ? `paused since ${seconds(this.#pausedAt ?? 0)}` : 'running';
  }

  /** When the simulator froze it for spinning (see {@link noteRequest}). */
  get livelock(): Livelock | undefined {
    return this.#livelock;
  }

  /**
   * Counts a request leaving the process at virtual time `now`; past
   * {@link MAX_REQUESTS_PER_INSTANT} at one instant the process is frozen for good (its loop
   * would never let virtual time move) and the livelock recorded.
   */
  noteRequest(verb: string, resource: string, now: number): void {
    if (now !== this.#instant) {
      this.#instant = now;
      this.#requestsThisInstant = 0;
    }
    if (++this.#requestsThisInstant <= this.#maxRequestsPerInstant || this.gate.state === 'killed') return;
    this.#livelock = { at: this.#elapsed(), requests: this.#requestsThisInstant, last: `${verb} ${resource}` };
    this.gate.kill();
  }

  /** SIGKILL: nothing of it runs again; no drain, no Lease release. */
  kill(): void {
    this.gate.kill();
    this.#killedAt = this.#elapsed();
  }

  /** SIGSTOP. */
  pause(): void {
    this.gate.pause();
    this.#pausedAt = this.#elapsed();
  }

  /** SIGCONT. */
  async resume(): Promise<void> {
    this.#pausedAt = undefined;
    await this.gate.resume();
  }

  /** The end of the run: a graceful stop (SIGTERM) of a replica that runs. */
  shutDown(): void {
    this.#shutdown.abort(new Error('simulation finished'));
  }

  /** Its run's end, once it finished (for awaiting after {@link shutDown}). */
  done(): Promise<StopReason> | undefined {
    return this.#done;
  }

  /** The report's view of it, given the Lease history and whether its stop was its own. */
  report(holders: LeaseHolders, stoppedOnItsOwn: StopReason | undefined): ReplicaReport {
    const state = this.gate.state === 'killed' ? 'killed' : stoppedOnItsOwn !== undefined ? 'stopped' : this.gate.state === 'paused' ? 'paused' : 'running';
    return {
      index: this.index,
      identity: this.identity,
      state,
      led: holders.terms(this.identity),
      writes: this.writes,
      deposedWrites: this.deposedWrites,
      ...(this.#killedAt === undefined ? {} : { killedAt: this.#killedAt }),
      ...(this.#pausedAt === undefined ? {} : { pausedAt: this.#pausedAt }),
      ...(this.#livelock === undefined ? {} : { livelock: { ...this.#livelock } }),
      ...(stoppedOnItsOwn === undefined
        ? {}
        : {
            stopped: {
              ...(this.#endedAt === undefined ? {} : { at: this.#endedAt }),
              kind: stoppedOnItsOwn.kind,
              exitCode: exitCodeFor(stoppedOnItsOwn),
              reason: describeStop(stoppedOnItsOwn),
              expected: this.stopExpected,
            },
          }),
    };
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}
