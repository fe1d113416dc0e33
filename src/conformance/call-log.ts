/**
 * What the controllers asked of the provider during a case: every load-balancer and route call,
 * with its outcome. The provider object is passed through unchanged apart from the recording.
 *
 * @module
 */
import type { Service } from 'kubernetes-types/core/v1.js';
import type { LoadBalancer } from '../cloud/load-balancer.js';
import type { CloudProvider } from '../cloud/provider.js';
import type { Routes } from '../cloud/routes.js';

/** One recorded call. */
export interface RecordedCall {
  readonly method: string;
  /** `namespace/name` of the Service it was about (load-balancer calls). */
  readonly service?: string | undefined;
  /** What it threw, if it did. */
  readonly error?: unknown;
}

/** The calls of one world. */
export class CallLog {
  readonly #calls: RecordedCall[] = [];
  /** Errors to throw instead of the provider's answer, per method, once each (the suite's own faults). */
  readonly #after = new Map<string, (() => Error)[]>();

  record(call: RecordedCall): void {
    this.#calls.push(call);
  }

  /** Calls of `method` (about `service`, when given). */
  of(method: string, service?: string): RecordedCall[] {
    return this.#calls.filter((c) => c.method === method && (service === undefined || c.service === service));
  }

  readonly #before = new Map<string, (() => Promise<void>)[]>();

  /** Runs `action` just before the next call of `method` reaches the provider (a race the suite stages). */
  beforeNext(method: string, action: () => Promise<void>): void {
    this.#before.set(method, [...(this.#before.get(method) ?? []), action]);
  }

  /** The staged action due before this call of `method`, if any. */
  takeBefore(method: string): (() => Promise<void>) | undefined {
    return this.#before.get(method)?.shift();
  }

  /** Makes the next successful call of `method` throw `error()` after the provider answered. */
  failAfterNext(method: string, error: () => Error): void {
    this.#after.set(method, [...(this.#after.get(method) ?? []), error]);
  }

  /** The injected error due for this call of `method`, if any. */
  takeInjected(method: string): Error | undefined {
    const queue = this.#after.get(method);
    const make = queue?.shift();
    return make?.();
  }
}

function serviceKey(value: unknown): string | undefined {
  const metadata = (value as Service | undefined)?.metadata;
  if (metadata?.name === undefined) return undefined;
  return `${metadata.namespace ?? 'default'}/${metadata.name}`;
}

/** Wraps each method of `target` so that `log` sees its calls. */
function recorded<T extends object>(target: T, log: CallLog): T {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(methodNames(target))) {
    const method = (target as Record<string, unknown>)[name];
    if (typeof method !== 'function') continue;
    out[name] = async (...args: unknown[]): Promise<unknown> => {
      const service = serviceKey(args[1]);
      await log.takeBefore(name)?.();
      try {
        const answer: unknown = await (method as (...a: unknown[]) => unknown).apply(target, args);
        const injected = log.takeInjected(name);
        if (injected !== undefined) throw injected;
        log.record({ method: name, service });
        return answer;
      } catch (err) {
        log.record({ method: name, service, error: err });
        throw err;
      }
    };
  }
  return out as T;
}

/** Own and prototype-chain method names of a class instance (bar Object's). */
function methodNames(target: object): Record<string, true> {
  const names: Record<string, true> = {};
  for (let proto: object | null = target; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
    for (const name of Object.getOwnPropertyNames(proto)) if (name !== 'constructor') names[name] = true;
  }
  return names;
}

const PROVIDER_METHODS = ['initialize', 'setInformers', 'instances', 'instancesV2', 'zones', 'clusters', 'hasClusterID'] as const;

/** `raw` as the manager should see it: the same capabilities, load-balancer and route calls recorded. */
export function recordingProvider(raw: CloudProvider, log: CallLog): CloudProvider {
  const out: Record<string, unknown> = { name: raw.name };
  for (const name of PROVIDER_METHODS) {
    const method: unknown = (raw as unknown as Record<string, unknown>)[name];
    if (typeof method === 'function') out[name] = (method as (...a: unknown[]) => unknown).bind(raw);
  }
  if (typeof raw.loadBalancer === 'function') {
    const lb = raw.loadBalancer.bind(raw);
    let cached: { from: LoadBalancer; to: LoadBalancer } | undefined;
    out['loadBalancer'] = (): LoadBalancer | undefined => {
      const inner = lb();
      if (inner === undefined) return undefined;
      if (cached?.from !== inner) cached = { from: inner, to: recorded(inner, log) };
      return cached.to;
    };
  }
  if (typeof raw.routes === 'function') {
    const routes = raw.routes.bind(raw);
    let cached: { from: Routes; to: Routes } | undefined;
    out['routes'] = (): Routes | undefined => {
      const inner = routes();
      if (inner === undefined) return undefined;
      if (cached?.from !== inner) cached = { from: inner, to: recorded(inner, log) };
      return cached.to;
    };
  }
  return out as unknown as CloudProvider;
}
