/**
 * Waiting, without polling, until the objects of one resource satisfy a condition: an informer's
 * cache is checked after its initial list and after every change, with a deadline on the clock.
 *
 * @module
 */
import type { ResourceClient } from '../kube/client.js';
import type { Clock } from '../kube/clock.js';
import { Informer } from '../kube/informer.js';
import type { KubeObject } from '../kube/resources.js';

/** Options of {@link waitForObjects}. */
export interface WaitForObjectsOptions<T extends KubeObject> {
  readonly client: ResourceClient<T>;
  readonly clock: Clock;
  readonly random: () => number;
  readonly namespace?: string;
  /** True once the cached objects are as wanted. */
  readonly done: (objects: readonly T[]) => boolean;
  /** Deadline from now, ms. */
  readonly timeoutMs: number;
  /** Also ends the wait (Ctrl-C, or the manager stopping). */
  readonly signal?: AbortSignal;
}

/**
 * Resolves with the objects once `done` accepts them; resolves `undefined` at the deadline or when
 * `signal` aborts first.
 *
 * @example
 * ```ts
 * const svcs = await waitForObjects({ client: kube.services, clock, random: Math.random, timeoutMs: 60_000, done: (s) => s.every(hasIngress) });
 * ```
 */
export async function waitForObjects<T extends KubeObject>(o: WaitForObjectsOptions<T>): Promise<T[] | undefined> {
  const stop = new AbortController();
  const informer = new Informer<T>({ client: o.client, clock: o.clock, random: o.random, ...(o.namespace === undefined ? {} : { namespace: o.namespace }) });
  let settle: (value: T[] | undefined) => void = () => {};
  const result = new Promise<T[] | undefined>((resolve) => (settle = resolve));
  const check = (): void => {
    if (!informer.hasSynced()) return;
    const objects = informer.list();
    if (o.done(objects)) settle(objects);
  };
  informer.addEventHandler({ onAdd: check, onUpdate: check, onDelete: check });
  const timer = o.clock.setTimer(o.timeoutMs, () => settle(undefined));
  const onAbort = (): void => settle(undefined);
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted === true) settle(undefined);
  const running = informer.start(stop.signal).catch(() => settle(undefined));
  void informer.waitForSync(stop.signal).then(check, () => {});
  try {
    return await result;
  } finally {
    timer.cancel();
    o.signal?.removeEventListener('abort', onAbort);
    stop.abort();
    await running;
  }
}
