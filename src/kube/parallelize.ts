/**
 * Running a function over items with a bounded number of concurrent workers (client-go
 * `workqueue.ParallelizeUntil`), stopping early when a signal aborts.
 *
 * @module
 */

/**
 * Calls `fn` for every index of `count` pieces with at most `workers` calls in flight; resolves
 * once all are done, or, after `signal` aborts, once the calls in flight are done (no new piece
 * starts). `fn` must not throw (as upstream, errors are the piece's own business).
 */
export async function parallelizeUntil(signal: AbortSignal, workers: number, count: number, fn: (piece: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (!signal.aborted && next < count) {
      const piece = next++;
      await fn(piece);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, count)) }, worker));
}
