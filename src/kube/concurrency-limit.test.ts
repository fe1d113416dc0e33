import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyLimit } from './concurrency-limit.js';

/** A task that stays in flight until `release` is called. */
function gate(): { task: () => Promise<string>; release: (value: string) => void } {
  let release!: (value: string) => void;
  const promise = new Promise<string>((resolve) => {
    release = resolve;
  });
  return { task: () => promise, release };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ConcurrencyLimit', () => {
  it('runs at most `limit` tasks at once and starts the waiting ones in FIFO order', async () => {
    const limit = new ConcurrencyLimit(2);
    const gates = [gate(), gate(), gate(), gate()];
    const started: number[] = [];
    const results = gates.map((g, i) =>
      limit.run(() => {
        started.push(i);
        return g.task();
      }),
    );
    await turn();
    assert.deepEqual(started, [0, 1]);
    assert.equal(limit.active, 2);
    gates[1]?.release('b');
    await turn();
    assert.deepEqual(started, [0, 1, 2]);
    gates[0]?.release('a');
    gates[2]?.release('c');
    gates[3]?.release('d');
    assert.deepEqual(await Promise.all(results), ['a', 'b', 'c', 'd']);
    assert.equal(limit.active, 0);
    assert.equal(limit.peak, 2);
  });

  it('frees the slot when a task rejects', async () => {
    const limit = new ConcurrencyLimit(1);
    await assert.rejects(limit.run(() => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await limit.run(() => Promise.resolve(7)), 7);
    assert.equal(limit.active, 0);
  });

  for (const bad of [0, -1, 1.5, Number.NaN]) {
    it(`refuses the limit ${bad}`, () => {
      assert.throws(() => new ConcurrencyLimit(bad), RangeError);
    });
  }
});
