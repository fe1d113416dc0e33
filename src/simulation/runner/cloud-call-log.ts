/**
 * The simulator's view of cloud traffic, for any provider: the provider handed to the manager is
 * wrapped so each capability call is counted and logged with its outcome (the fake's own
 * recorder cannot tell a failed call from a successful one).
 *
 * @module
 */
import type { CloudProvider } from '../../cloud/provider.js';
import type { KubeObject } from '../../kube/resources.js';
import type { ProcessGate } from './process-gate.js';

/** One logged cloud call. */
export interface CloudCallEntry {
  readonly method: string;
  /** Virtual ms since the run started. */
  readonly at: number;
  /** The object it is about (`default/web`, a node name) or its last string argument. */
  readonly target?: string;
  /** The manager replica that made the call (scenarios with several replicas). */
  readonly replica?: number;
  /** Set when the call threw or rejected. */
  failed?: true;
}

const CAPABILITIES = ['loadBalancer', 'instances', 'instancesV2', 'zones', 'clusters', 'routes'] as const;
const HOOKS = new Set(['initialize', 'setInformers']);

/** What a cloud call is about: the object it names or its last string argument. */
function targetOf(args: readonly unknown[]): string | undefined {
  for (const arg of args) {
    const meta = typeof arg === 'object' && arg !== null && !Array.isArray(arg) ? (arg as KubeObject).metadata : undefined;
    if (meta?.name !== undefined) return meta.namespace === undefined ? meta.name : `${meta.namespace}/${meta.name}`;
  }
  const strings = args.filter((a): a is string => typeof a === 'string');
  return strings[strings.length - 1];
}

/** Whose calls a wrapped provider makes: a replica's index and the gate of its process. */
export interface CallerProcess {
  readonly replica?: number;
  /** Calls start, and answers arrive, only while the process runs (see {@link ProcessGate}). */
  readonly gate?: ProcessGate;
}

interface WrapContext {
  readonly caller: CallerProcess;
  readonly wrapped: WeakMap<object, object>;
}

/** Counts and logs the calls of a provider; {@link CloudCallLog.wrap} gives the manager its provider. */
export class CloudCallLog {
  readonly #now: () => number;
  readonly #limit: number;
  readonly #entries: CloudCallEntry[] = [];
  readonly #counts = new Map<string, number>();
  #inFlight = 0;

  /** @param now - virtual ms since the run started. @param limit - entries kept (counts are exact). */
  constructor(now: () => number, limit: number) {
    this.#now = now;
    this.#limit = limit;
  }

  #record<A extends unknown[], R>(method: string, fn: (...args: A) => R, self: unknown, args: A, caller: CallerProcess): R {
    const gate = caller.gate;
    // A frozen process makes no call; every method but setInformers answers with a promise (or
    // may: initialize), so waiting is invisible to the caller.
    if (gate !== undefined && !gate.open && method !== 'setInformers') {
      return gate.wait().then(() => this.#record(method, fn, self, args, caller)) as R;
    }
    this.#counts.set(method, (this.#counts.get(method) ?? 0) + 1);
    const target = targetOf(args);
    const entry: CloudCallEntry = { method, at: this.#now(), ...(target === undefined ? {} : { target }), ...(caller.replica === undefined ? {} : { replica: caller.replica }) };
    if (this.#limit > 0) {
      this.#entries.push(entry);
      if (this.#entries.length > this.#limit) this.#entries.shift();
    }
    try {
      const result = fn.apply(self, args);
      if (result instanceof Promise) {
        this.#inFlight++;
        const logged = result.then(
          (value: unknown) => {
            this.#inFlight--;
            return value;
          },
          (err: unknown) => {
            this.#inFlight--;
            entry.failed = true;
            throw err;
          },
        );
        return (gate === undefined ? logged : gate.deliver(logged)) as R;
      }
      return result;
    } catch (err) {
      entry.failed = true;
      throw err;
    }
  }

  /**
   * A stand-in for `target` with the same members: methods forward to it (as `this`, so private
   * fields work), logged; other members read through. Not a Proxy: capability objects may be
   * frozen, and a Proxy must then return their own functions.
   */
  #wrapObject<T extends object>(target: T, hooksOnly: boolean, ctx: WrapContext): T {
    const known = ctx.wrapped.get(target);
    if (known !== undefined) return known as T;
    const wrapped: Record<string, unknown> = {};
    const keys = new Set<string>();
    for (let o: object | null = target; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      for (const key of Object.getOwnPropertyNames(o)) if (key !== 'constructor') keys.add(key);
    }
    const source = target as Record<string, unknown>;
    for (const key of keys) {
      const value = source[key];
      if (typeof value !== 'function') {
        Object.defineProperty(wrapped, key, { get: () => source[key], enumerable: true });
        continue;
      }
      const fn = value as (...args: unknown[]) => unknown;
      if (hooksOnly && (CAPABILITIES as readonly string[]).includes(key)) {
        wrapped[key] = (...args: unknown[]): unknown => {
          const cap = fn.apply(target, args);
          return typeof cap === 'object' && cap !== null ? this.#wrapObject(cap, false, ctx) : cap;
        };
      } else if (hooksOnly && !HOOKS.has(key)) {
        wrapped[key] = fn.bind(target);
      } else {
        wrapped[key] = (...args: unknown[]): unknown => this.#record(key, fn, target, args, ctx.caller);
      }
    }
    ctx.wrapped.set(target, wrapped);
    return wrapped as T;
  }

  /**
   * The provider as the manager (replica) should see it: same behaviour, every call logged; with
   * a gate, calls and answers wait while that replica's process is paused.
   */
  wrap(provider: CloudProvider, caller: CallerProcess = {}): CloudProvider {
    return this.#wrapObject(provider, true, { caller, wrapped: new WeakMap() });
  }

  /** Calls that started and have not answered yet. */
  inFlight(): number {
    return this.#inFlight;
  }

  /** Calls per method (exact, whatever the log limit). */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.#counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** The logged calls in order (the last `limit`). */
  entries(): readonly CloudCallEntry[] {
    return this.#entries;
  }
}
