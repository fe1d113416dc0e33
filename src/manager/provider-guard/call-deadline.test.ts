import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { deadlineStepMs, SharedDeadlines } from './call-deadline.js';

const TIMEOUT_MS = 1_000;

function setup() {
  const clock = new FakeClock();
  const deadlines = new SharedDeadlines(clock);
  const signals: (AbortSignal | undefined)[] = [];
  const hang = (): ((signal: AbortSignal | undefined) => Promise<never>) => (signal) => {
    signals.push(signal);
    return new Promise<never>(() => {});
  };
  const options = (group: string, name: string, signal?: AbortSignal) => ({
    clock,
    timeoutMs: TIMEOUT_MS,
    group,
    ...(signal === undefined ? {} : { signal }),
    timeoutError: () => new Error(`${name} timed out`),
  });
  return { clock, deadlines, signals, hang, options };
}

/** Follows `promise`: `error` is set once it rejects (read it after the clock has moved). */
function track(promise: Promise<unknown>): { error?: Error } {
  const seen: { error?: Error } = {};
  promise.catch((err: unknown) => {
    seen.error = err as Error;
  });
  return seen;
}

describe('SharedDeadlines', () => {
  it('gives calls of one group started at one instant one signal and one timer; each times out with its own error, exactly at its deadline', async () => {
    const t = setup();
    const a = track(t.deadlines.run(t.hang(), t.options('ensure', 'a')));
    const b = track(t.deadlines.run(t.hang(), t.options('ensure', 'b')));
    assert.equal(t.signals.length, 2);
    assert.equal(t.signals[0], t.signals[1], 'one shared signal');
    assert.equal(t.clock.pendingTimers, 1, 'one shared timer');
    await t.clock.advance(TIMEOUT_MS - 1);
    assert.equal(t.signals[0]?.aborted, false);
    assert.equal('error' in a, false, 'not yet');
    await t.clock.advance(1);
    assert.equal(t.signals[0]?.aborted, true);
    assert.equal(a.error?.message, 'a timed out');
    assert.equal(b.error?.message, 'b timed out');
    assert.equal((t.signals[0]?.reason as Error).message, 'a timed out', 'the signal aborts with the first waiting call’s error');
  });

  it('rounds deadlines up to a step of 1% of the timeout (1 ms to 1 s): calls within one step share, and none times out early or more than a step late', async () => {
    assert.deepEqual([deadlineStepMs(50), deadlineStepMs(1_000), deadlineStepMs(300_000)], [1, 10, 1_000]);
    const t = setup();
    await t.clock.advance(1); // the clock starts on a step; 1 ms past it
    const first = track(t.deadlines.run(t.hang(), t.options('ensure', 'first')));
    await t.clock.advance(2); // still inside the same 10 ms step
    const later = track(t.deadlines.run(t.hang(), t.options('ensure', 'later')));
    assert.equal(t.signals[0], t.signals[1], 'one step, one signal');
    assert.equal(t.clock.pendingTimers, 1);
    await t.clock.advance(TIMEOUT_MS); // t+1003: `later` is due now, `first` was at t+1001; the step ends at t+1010
    assert.equal('error' in first, false, 'not before the rounded deadline');
    await t.clock.advance(7);
    assert.equal(first.error?.message, 'first timed out');
    assert.equal(later.error?.message, 'later timed out');
  });

  it('does not share across groups, steps or caller signals', async () => {
    const t = setup();
    const caller = new AbortController();
    const calls = [
      t.deadlines.run(t.hang(), t.options('ensure', 'a')),
      t.deadlines.run(t.hang(), t.options('update', 'b')),
      t.deadlines.run(t.hang(), t.options('ensure', 'c', caller.signal)),
    ];
    await t.clock.advance(deadlineStepMs(TIMEOUT_MS));
    calls.push(t.deadlines.run(t.hang(), t.options('ensure', 'd')));
    for (const call of calls) call.catch(() => {});
    assert.equal(new Set(t.signals).size, 4);
    assert.equal(t.clock.pendingTimers, 4);
    caller.abort(new Error('stopping'));
    assert.deepEqual(
      t.signals.map((s) => s?.aborted),
      [false, false, true, false],
      'the caller’s abort reaches only its own calls',
    );
  });

  it('lets answered calls leave: the last one out cancels the timer, and a call that answered never times out', async () => {
    const t = setup();
    let answer!: (value: string) => void;
    const answered = t.deadlines.run(
      () =>
        new Promise<string>((resolve) => {
          answer = resolve;
        }),
      t.options('ensure', 'answered'),
    );
    const hung = track(t.deadlines.run(t.hang(), t.options('ensure', 'hung')));
    answer('ok');
    assert.equal(await answered, 'ok');
    assert.equal(t.clock.pendingTimers, 1, 'the hung call still holds the deadline');
    await t.clock.advance(TIMEOUT_MS);
    assert.equal(hung.error?.message, 'hung timed out');

    const quick = t.deadlines.run(() => Promise.resolve(7), t.options('ensure', 'quick'));
    assert.equal(await quick, 7);
    assert.equal(t.clock.pendingTimers, 0, 'no timer outlives its calls');
  });

  it('shares one signal between calls one after another within a step, and drops a group (and its link to the caller) once its deadline passed', async () => {
    const t = setup();
    const caller = new AbortController();
    assert.equal(await t.deadlines.run(() => Promise.resolve(1), t.options('ensure', 'a', caller.signal)), 1);
    assert.equal(await t.deadlines.run(() => Promise.resolve(2), t.options('ensure', 'b', caller.signal)), 2);
    assert.equal(t.clock.pendingTimers, 0, 'an idle group keeps no timer');
    const seen: (AbortSignal | undefined)[] = [];
    const answer = (signal: AbortSignal | undefined): Promise<number> => (seen.push(signal), Promise.resolve(0));
    await t.deadlines.run(answer, t.options('ensure', 'c', caller.signal));
    await t.clock.advance(TIMEOUT_MS + deadlineStepMs(TIMEOUT_MS));
    await t.deadlines.run(answer, t.options('ensure', 'd', caller.signal));
    assert.notEqual(seen[0], seen[1], 'a new deadline, a new group');
    caller.abort(new Error('stopping'));
    assert.equal(seen[0]?.aborted, false, 'the expired group was dropped and unlinked from the caller');
    assert.equal(seen[1]?.aborted, true);
  });

  it('passes on a synchronous throw and a rejection unchanged', async () => {
    const t = setup();
    await assert.rejects(
      t.deadlines.run(() => {
        throw new TypeError('bad');
      }, t.options('ensure', 'x')),
      TypeError,
    );
    await assert.rejects(t.deadlines.run(() => Promise.reject(new RangeError('no')), t.options('ensure', 'y')), RangeError);
    assert.equal(t.clock.pendingTimers, 0);
  });
});
