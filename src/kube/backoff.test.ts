import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from './clock.js';
import { exponentialBackoff, jitter, WaitTimeoutError, type Backoff } from './backoff.js';

describe('jitter', () => {
  const cases: { name: string; duration: number; maxFactor: number; random: number; want: number }[] = [
    { name: 'adds nothing when random is 0', duration: 100, maxFactor: 0.5, random: 0, want: 100 },
    { name: 'adds random × factor × duration', duration: 100, maxFactor: 0.5, random: 0.5, want: 125 },
    { name: 'uses a factor of 1 when the factor is zero', duration: 100, maxFactor: 0, random: 0.25, want: 125 },
    { name: 'uses a factor of 1 when the factor is negative', duration: 80, maxFactor: -3, random: 0.5, want: 120 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(jitter(c.duration, c.maxFactor, () => c.random), c.want);
    });
  }

  it('stays within [duration, duration × (1 + factor)) for random in [0, 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0.01, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (duration, factor, r) => {
          const got = jitter(duration, factor, () => r);
          // A relative epsilon absorbs floating-point rounding of the product.
          assert.ok(got >= duration && got <= duration * (1 + factor) * (1 + 1e-12));
        },
      ),
    );
  });
});

/** Runs exponentialBackoff on a fake clock; records when the condition ran and how it ended. */
async function run(
  backoff: Backoff,
  answers: readonly (boolean | Error)[],
  random: () => number = () => 0,
): Promise<{ calls: number[]; outcome: unknown; endedAt: number }> {
  const clock = new FakeClock(0);
  const calls: number[] = [];
  const done = exponentialBackoff(
    backoff,
    () => {
      calls.push(clock.now());
      const answer = answers[calls.length - 1] ?? false;
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    { clock, random },
  ).then(
    () => 'ok',
    (err: unknown) => err,
  );
  await clock.runUntilIdle();
  const outcome = await done;
  return { calls, outcome, endedAt: clock.now() };
}

describe('exponentialBackoff', () => {
  it('returns at once when the condition holds on the first try', async () => {
    const { calls, outcome } = await run({ durationMs: 10, factor: 2, jitter: 0, steps: 5 }, [true]);
    assert.deepEqual(calls, [0]);
    assert.equal(outcome, 'ok');
  });

  it('waits duration, duration × factor, … between tries until the condition holds', async () => {
    const { calls, outcome } = await run({ durationMs: 10, factor: 2, jitter: 0, steps: 5 }, [false, false, false, true]);
    assert.deepEqual(calls, [0, 10, 30, 70]);
    assert.equal(outcome, 'ok');
  });

  it('tries `steps` times, then times out without a last wait', async () => {
    const { calls, outcome, endedAt } = await run({ durationMs: 10, factor: 2, jitter: 0, steps: 4 }, []);
    assert.deepEqual(calls, [0, 10, 30, 70]);
    assert.ok(outcome instanceof WaitTimeoutError);
    assert.equal(outcome.message, 'timed out waiting for the condition');
    assert.equal(endedAt, 70);
  });

  it('keeps waiting the same with a factor of 0', async () => {
    const { calls } = await run({ durationMs: 25, factor: 0, jitter: 0, steps: 4 }, []);
    assert.deepEqual(calls, [0, 25, 50, 75]);
  });

  it('lengthens each wait by its jitter without compounding it', async () => {
    const { calls } = await run({ durationMs: 100, factor: 2, jitter: 0.5, steps: 3 }, [], () => 0.5);
    // Waits 100·1.25 then 200·1.25.
    assert.deepEqual(calls, [0, 125, 375]);
  });

  it('ends after the wait that reaches the cap, without another try (as upstream)', async () => {
    const { calls, outcome, endedAt } = await run({ durationMs: 10, factor: 3, jitter: 0, steps: 10, capMs: 50 }, []);
    // 10 → 30 → 90 > 50: the cap zeroes the steps after the second wait.
    assert.deepEqual(calls, [0, 10]);
    assert.ok(outcome instanceof WaitTimeoutError);
    assert.equal(endedAt, 40);
  });

  it('never calls the condition with no steps', async () => {
    const { calls, outcome } = await run({ durationMs: 10, factor: 1, jitter: 0, steps: 0 }, [true]);
    assert.deepEqual(calls, []);
    assert.ok(outcome instanceof WaitTimeoutError);
  });

  it('propagates an error thrown by the condition at once', async () => {
    const boom = new Error('boom');
    const { calls, outcome } = await run({ durationMs: 10, factor: 1, jitter: 0, steps: 5 }, [false, boom, true]);
    assert.deepEqual(calls, [0, 10]);
    assert.equal(outcome, boom);
  });

  it('rejects with the signal reason when aborted during a wait, and tries no more', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    let calls = 0;
    const done = exponentialBackoff(
      { durationMs: 100, factor: 1, jitter: 0, steps: 5 },
      () => {
        calls++;
        return Promise.resolve(false);
      },
      { clock, random: () => 0, signal: controller.signal },
    );
    await clock.advance(50);
    controller.abort('shutting down');
    await assert.rejects(done, (err) => err === 'shutting down');
    await clock.advance(1_000);
    assert.equal(calls, 1);
  });

  it('does not start when the signal is already aborted', async () => {
    let calls = 0;
    await assert.rejects(
      exponentialBackoff(
        { durationMs: 1, factor: 1, jitter: 0, steps: 3 },
        () => Promise.resolve(++calls > 0),
        { clock: new FakeClock(0), random: () => 0, signal: AbortSignal.abort('no') },
      ),
      (err) => err === 'no',
    );
    assert.equal(calls, 0);
  });

  it('tries min(steps, first success) times and waits only between tries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 50 }),
        async (steps, succeedOn, durationMs) => {
          const answers = Array.from({ length: 10 }, (_, i) => i + 1 === succeedOn);
          const { calls, outcome } = await run({ durationMs, factor: 1, jitter: 0, steps }, answers);
          assert.equal(calls.length, Math.min(steps, succeedOn));
          assert.deepEqual(
            calls,
            calls.map((_, i) => i * durationMs),
          );
          assert.equal(outcome === 'ok', succeedOn <= steps);
        },
      ),
      { numRuns: 50 },
    );
  });
});
