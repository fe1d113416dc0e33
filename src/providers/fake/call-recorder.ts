/**
 * The fake provider's call log: which methods were called, with what, and when — what controller
 * tests assert on (upstream's fake keeps a list of call names; we keep the arguments too).
 *
 * @module
 */
import { deepFreeze } from '../../kube/json-value.js';
import type { FakeCallArgs, FakeMethod } from './fake-methods.js';

/** One recorded call of `M`. */
export interface FakeCallOf<M extends FakeMethod> {
  /** The contract method called. */
  readonly method: M;
  /**
   * Its arguments, without the trailing options object: deep copies, frozen, taken when the call
   * started — except for `initialize` and `setInformers`, whose live arguments are kept as given.
   */
  readonly args: FakeCallArgs[M];
  /** `clock.now()` when the call started (before any injected latency). */
  readonly at: number;
}

/** A recorded call: a union discriminated by `method`, so `call.args` narrows with it. */
export type FakeCall<M extends FakeMethod = FakeMethod> = { [K in M]: FakeCallOf<K> }[M];

/** Options of {@link CallRecorder}. */
export interface CallRecorderOptions {
  /**
   * Keep at most this many calls, dropping the oldest (default: unlimited). Counts stay exact.
   * Long simulations set it to bound memory.
   */
  readonly historyLimit?: number;
  /**
   * Deep-copy and freeze the arguments (default true), so a later change by the caller cannot
   * rewrite history. A simulator with thousands of Nodes may turn it off and keep references.
   */
  readonly copyArgs?: boolean;
}

// The arguments of these two are live objects (signals, clients, informer factories): a copy would
// be useless or impossible.
const BY_REFERENCE: ReadonlySet<FakeMethod> = new Set<FakeMethod>(['initialize', 'setInformers']);

/** Records calls in order and counts them per method. */
export class CallRecorder {
  readonly #historyLimit: number;
  readonly #copyArgs: boolean;
  #calls: FakeCall[] = [];
  #counts = new Map<FakeMethod, number>();

  /** @throws RangeError when `historyLimit` is not a non-negative integer (or Infinity). */
  constructor(options: CallRecorderOptions = {}) {
    const limit = options.historyLimit ?? Infinity;
    if (!(limit >= 0) || (!Number.isInteger(limit) && limit !== Infinity)) {
      throw new RangeError(`fake cloud provider: callHistoryLimit must be a non-negative integer, got ${limit}`);
    }
    this.#historyLimit = limit;
    this.#copyArgs = options.copyArgs ?? true;
  }

  /** Appends a call of `method` made at `at` and returns the record. */
  record<M extends FakeMethod>(method: M, args: FakeCallArgs[M], at: number): FakeCall<M> {
    const kept = this.#copyArgs && !BY_REFERENCE.has(method) ? deepFreeze(structuredClone(args)) : args;
    const call: FakeCallOf<M> = Object.freeze({ method, args: kept, at });
    this.#counts.set(method, (this.#counts.get(method) ?? 0) + 1);
    if (this.#historyLimit > 0) {
      // FakeCallOf<M> is one member of the FakeCall union; TS cannot see that for a generic M.
      this.#calls.push(call as unknown as FakeCall);
      if (this.#calls.length > this.#historyLimit) this.#calls.shift();
    }
    return call;
  }

  /** Recorded calls in call order, all of them or only those of `method`. */
  calls<M extends FakeMethod>(method: M): FakeCall<M>[];
  calls(): FakeCall[];
  calls(method?: FakeMethod): FakeCall[] {
    return method === undefined ? [...this.#calls] : this.#calls.filter((call) => call.method === method);
  }

  /** How many calls were made, in total or of `method` (exact even when history is limited). */
  callCount(method?: FakeMethod): number {
    if (method !== undefined) return this.#counts.get(method) ?? 0;
    let total = 0;
    for (const count of this.#counts.values()) total += count;
    return total;
  }

  /** Forgets every recorded call and count. */
  reset(): void {
    this.#calls = [];
    this.#counts = new Map();
  }
}
