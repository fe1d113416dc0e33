/**
 * How a controller listens to its informers: handlers are registered when `run()` starts and
 * removed when it ends (its signal aborted), never earlier and never later — so a controller that
 * is built but not run, or has stopped, enqueues nothing and keeps nothing alive through the
 * shared informers. All four controllers follow it.
 *
 * @module
 */
import type { EventHandlerOptions, Informer, InformerEventHandler } from '../kube/informer.js';
import type { KubeObject } from '../kube/resources.js';

/** Registers one handler and returns the function that removes it. */
export type HandlerBinding = () => () => void;

/** A handler for `informer` (with its resync period), to pass to {@link whileHandling}. */
export function informerHandler<T extends KubeObject>(informer: Informer<T>, handler: InformerEventHandler<T>, options: EventHandlerOptions = {}): HandlerBinding {
  return () => {
    const registration = informer.addEventHandler(handler, options);
    return () => informer.removeEventHandler(registration);
  };
}

/**
 * Registers `handlers`, runs `body`, and removes the handlers once `body` settles, however it does.
 *
 * @example
 * ```ts
 * async run(signal: AbortSignal): Promise<void> {
 *   await whileHandling([informerHandler(this.#nodes, { onAdd: (n) => this.#loop.enqueue(keyOf(n)) })], async () => {
 *     if (await this.#nodes.waitForSync(signal)) await this.#loop.run(signal, 1);
 *   });
 * }
 * ```
 */
export async function whileHandling<R>(handlers: readonly HandlerBinding[], body: () => Promise<R>): Promise<R> {
  const removers: (() => void)[] = [];
  try {
    for (const register of handlers) removers.push(register());
    return await body();
  } finally {
    for (const remove of removers) remove();
  }
}
