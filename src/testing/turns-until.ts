/**
 * Waiting, in tests, for real I/O to have happened — a socket's FIN to cross loopback, a closed
 * handle to be reaped — turn by turn of the event loop until the awaited condition itself holds.
 * Real I/O completes in the loop's poll and close phases, which neither a `FakeClock` nor
 * `settle()` (./settle.ts) sees: those answer "nothing more can run on the virtual clock", not
 * "the kernel has delivered it". Never a count of turns standing in for the condition, nor a timer.
 *
 * @internal Test support; not part of the public API.
 * @module
 */
/** Options of {@link turnsUntil}. */
export interface TurnsUntilOptions {
  /** Checked on every turn (throws to fail at once). */
  readonly invariant?: () => void;
  /** Turns after which the condition counts as never met (a bug: a leak, a lost event); default 100,000. */
  readonly maxTurns?: number;
}

/**
 * Resolves once `done()` holds, checking it (and `invariant`) once per turn of the event loop.
 * @throws Error naming `what` when `done()` still fails after `maxTurns` turns.
 *
 * @example
 * ```ts
 * socket.destroy();
 * await turnsUntil(() => backend.sockets.size === 0, 'the node side closes too');
 * ```
 */
export async function turnsUntil(done: () => boolean, what: string, options: TurnsUntilOptions = {}): Promise<void> {
  const maxTurns = options.maxTurns ?? 100_000;
  for (let turn = 0; turn <= maxTurns; turn++) {
    options.invariant?.();
    if (done()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`turnsUntil: never happened within ${maxTurns} turns of the event loop: ${what}`);
}
