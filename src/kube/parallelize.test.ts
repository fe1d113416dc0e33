import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parallelizeUntil } from './parallelize.js';

/** A piece function that records its pieces and the most calls in flight at once. */
function tracked(): { fn: (piece: number) => Promise<void>; pieces: number[]; peak: () => number } {
  const pieces: number[] = [];
  let active = 0;
  let peak = 0;
  return {
    pieces,
    peak: () => peak,
    fn: async (piece) => {
      active++;
      peak = Math.max(peak, active);
      pieces.push(piece);
      await new Promise<void>((resolve) => setImmediate(resolve));
      active--;
    },
  };
}

describe('parallelizeUntil', () => {
  const cases: ReadonlyArray<{ name: string; workers: number; count: number; peak: number }> = [
    { name: 'runs every piece with at most `workers` in flight', workers: 3, count: 10, peak: 3 },
    { name: 'starts no more workers than pieces', workers: 8, count: 2, peak: 2 },
    { name: 'still runs with zero workers asked for (one worker)', workers: 0, count: 4, peak: 1 },
    { name: 'resolves at once with no pieces', workers: 4, count: 0, peak: 0 },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = tracked();
      await parallelizeUntil(new AbortController().signal, c.workers, c.count, t.fn);
      assert.deepEqual([...t.pieces].sort((a, b) => a - b), Array.from({ length: c.count }, (_, i) => i));
      assert.equal(t.peak(), c.peak);
    });
  }

  it('starts no new piece once the signal aborts, and waits for the pieces in flight', async () => {
    const stop = new AbortController();
    const finished: number[] = [];
    await parallelizeUntil(stop.signal, 2, 10, async (piece) => {
      if (piece === 1) stop.abort();
      await new Promise<void>((resolve) => setImmediate(resolve));
      finished.push(piece);
    });
    assert.deepEqual(finished.sort(), [0, 1]);
  });
});
