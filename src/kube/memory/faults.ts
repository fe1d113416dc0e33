/**
 * Fault injection for the simulated API server (a test double): make matching requests fail or
 * wait, and drop open watches as an apiserver restart would — the failure modes controllers
 * must survive.
 *
 * @module
 */
import type { Clock } from '../clock.js';
import type { KubeApiError } from '../errors.js';
import type { Verb } from './request-counts.js';

/** Which requests a fault applies to and what it does to them. */
export interface FaultSpec {
  /** Only requests of this verb; any verb when omitted. */
  readonly verb?: Verb;
  /**
   * Only this resource, matched exactly: `services` is the main resource, `services/status` the
   * status subresource. Any resource when omitted.
   */
  readonly resource?: string;
  /** Only requests in this namespace (list/watch: the namespace they are restricted to). */
  readonly namespace?: string;
  /** Only requests naming this object (never matches list/watch/create-by-generateName). */
  readonly name?: string;
  /** How many matching requests it affects before it expires (default 1; `Infinity` allowed). */
  readonly times?: number;
  /** The error a matching request fails with; a function makes a fresh error per request. */
  readonly error?: KubeApiError | (() => KubeApiError);
  /** Delay before a matching request is served (on the server's Clock, honouring its signal). */
  readonly latencyMs?: number;
}

/** Fault hooks of a {@link SimulatedApiServer}. */
export interface FaultInjector {
  /** Adds a fault; faults apply in the order they were injected. */
  inject(fault: FaultSpec): void;
  /** Ends every open watch stream normally (as an apiserver restart would); clients must re-watch. */
  closeWatches(): void;
  /** Removes every pending fault. */
  clear(): void;
}

/** The request a fault is matched against. */
export interface FaultRequest {
  readonly verb: Verb;
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
}

interface ActiveFault {
  readonly spec: FaultSpec;
  remaining: number;
}

/** Holds injected faults and applies them to requests. */
export class FaultRegistry implements FaultInjector {
  readonly #clock: Clock;
  readonly #closeWatches: () => void;
  #faults: ActiveFault[] = [];

  constructor(clock: Clock, closeWatches: () => void) {
    this.#clock = clock;
    this.#closeWatches = closeWatches;
  }

  inject(fault: FaultSpec): void {
    const times = fault.times ?? 1;
    if (!(times >= 1) || (!Number.isInteger(times) && times !== Infinity)) {
      throw new RangeError(`fault injection: times must be a positive integer or Infinity, got ${times}`);
    }
    if (fault.latencyMs !== undefined && !(fault.latencyMs >= 0 && Number.isFinite(fault.latencyMs))) {
      throw new RangeError(`fault injection: latencyMs must be a finite number >= 0, got ${fault.latencyMs}`);
    }
    if (fault.error === undefined && fault.latencyMs === undefined) {
      throw new TypeError('fault injection: a fault needs an error, a latencyMs or both');
    }
    this.#faults.push({ spec: { ...fault }, remaining: times });
  }

  closeWatches(): void {
    this.#closeWatches();
  }

  clear(): void {
    this.#faults = [];
  }

  /**
   * Applies the faults matching `request`: each consumes one of its `times` (at once, so
   * concurrent requests are affected in arrival order), their latencies add up, and the first one
   * carrying an error fails the request after the delay. Rejects with the signal's reason when
   * the request is aborted while delayed.
   */
  async apply(request: FaultRequest, signal: AbortSignal | undefined): Promise<void> {
    // Every request of every simulation passes here, almost always with nothing injected.
    if (this.#faults.length === 0) return;
    let latency = 0;
    let error: KubeApiError | undefined;
    for (const fault of this.#faults) {
      if (!matches(fault.spec, request)) continue;
      fault.remaining--;
      latency += fault.spec.latencyMs ?? 0;
      const e = fault.spec.error;
      if (error === undefined && e !== undefined) error = typeof e === 'function' ? e() : e;
    }
    this.#faults = this.#faults.filter((f) => f.remaining > 0);
    if (latency > 0) await this.#clock.sleep(latency, signal);
    if (error !== undefined) throw error;
  }
}

function matches(spec: FaultSpec, request: FaultRequest): boolean {
  return (
    (spec.verb === undefined || spec.verb === request.verb) &&
    (spec.resource === undefined || spec.resource === request.resource) &&
    (spec.namespace === undefined || spec.namespace === request.namespace) &&
    (spec.name === undefined || spec.name === request.name)
  );
}
