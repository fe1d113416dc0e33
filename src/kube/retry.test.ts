import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from './clock.js';
import { WaitTimeoutError, type Backoff } from './backoff.js';
import { apiErrors } from './errors.js';
import { DEFAULT_BACKOFF, DEFAULT_RETRY, onError, retryOnConflict } from './retry.js';

const conflict = (): Error => apiErrors.conflict('nodes', '', 'n1', 'the object has been modified; please apply your changes to the latest version and try again');

/** Calls `retry` on a fake clock with `fn` answering from a script; records call times. */
async function drive<R>(
  retry: (fn: () => Promise<R>, deps: { clock: FakeClock; random: () => number }) => Promise<R>,
  script: readonly (R | Error)[],
): Promise<{ calls: number[]; outcome: { value: R } | { error: unknown } }> {
  const clock = new FakeClock(0);
  const calls: number[] = [];
  const fn = (): Promise<R> => {
    calls.push(clock.now());
    const answer = script[calls.length - 1] ?? conflict();
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  const done = retry(fn, { clock, random: () => 0.5 }).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await clock.runUntilIdle();
  return { calls, outcome: await done };
}

describe('retry defaults', () => {
  it('match client-go DefaultRetry and DefaultBackoff', () => {
    assert.deepEqual({ ...DEFAULT_RETRY }, { steps: 5, durationMs: 10, factor: 1, jitter: 0.1 });
    assert.deepEqual({ ...DEFAULT_BACKOFF }, { steps: 4, durationMs: 10, factor: 5, jitter: 0.1 });
    assert.ok(Object.isFrozen(DEFAULT_RETRY) && Object.isFrozen(DEFAULT_BACKOFF));
  });
});

describe('retryOnConflict', () => {
  it('returns the value of the first attempt that does not conflict', async () => {
    const { calls, outcome } = await drive((fn, deps) => retryOnConflict(DEFAULT_RETRY, fn, deps), [conflict(), conflict(), 'updated']);
    assert.deepEqual(outcome, { value: 'updated' });
    // 10 ms + 10 % × 0.5 jitter between attempts.
    assert.deepEqual(calls, [0, 10.5, 21]);
  });

  it('rethrows the last conflict when the attempts run out', async () => {
    const errors = [conflict(), conflict(), conflict(), conflict()];
    const { calls, outcome } = await drive((fn, deps) => retryOnConflict(DEFAULT_BACKOFF, fn, deps), errors);
    assert.equal(calls.length, 4);
    // Waits 10, 50, 250 ms, each +5 %.
    assert.deepEqual(calls, [0, 10.5, 63, 325.5]);
    assert.ok('error' in outcome);
    assert.equal(outcome.error, errors[3]);
  });

  it('rethrows any other error at once', async () => {
    const notFound = apiErrors.notFound('nodes', '', 'n1');
    const { calls, outcome } = await drive((fn, deps) => retryOnConflict(DEFAULT_RETRY, fn, deps), [conflict(), notFound]);
    assert.equal(calls.length, 2);
    assert.deepEqual(outcome, { error: notFound });
  });

  it('stops with the signal reason when aborted between attempts', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    let calls = 0;
    const done = retryOnConflict(
      DEFAULT_RETRY,
      () => {
        calls++;
        return Promise.reject(conflict());
      },
      { clock, random: () => 0, signal: controller.signal },
    );
    await clock.advance(5);
    controller.abort('stop');
    await assert.rejects(done, (err) => err === 'stop');
    assert.equal(calls, 1);
  });
});

describe('onError', () => {
  const backoff: Backoff = { steps: 3, durationMs: 100, factor: 2, jitter: 0 };
  const retriable = (err: unknown): boolean => err instanceof Error && err.message === 'flaky';

  const cases: { name: string; script: (string | Error)[]; calls: number; want: string }[] = [
    { name: 'retries while the error is retriable and returns the value', script: [new Error('flaky'), 'ok'], calls: 2, want: 'value ok' },
    { name: 'gives up with the last retriable error after `steps` attempts', script: [new Error('flaky'), new Error('flaky'), new Error('flaky')], calls: 3, want: 'error flaky' },
    { name: 'does not retry an error the predicate rejects', script: [new Error('fatal'), 'ok'], calls: 1, want: 'error fatal' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { calls, outcome } = await drive((fn, deps) => onError(backoff, retriable, fn, deps), c.script);
      assert.equal(calls.length, c.calls);
      assert.deepEqual(calls, [0, 100, 300].slice(0, c.calls));
      const got = 'value' in outcome ? `value ${outcome.value}` : `error ${(outcome.error as Error).message}`;
      assert.equal(got, c.want);
    });
  }

  it('throws a timeout without calling fn when there are no steps (as upstream)', async () => {
    const { calls, outcome } = await drive((fn, deps) => onError({ ...backoff, steps: 0 }, retriable, fn, deps), ['ok']);
    assert.equal(calls.length, 0);
    assert.ok('error' in outcome && outcome.error instanceof WaitTimeoutError);
  });
});
