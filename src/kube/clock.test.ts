import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, RealClock } from './clock.js';

/** Lets settled promises run their continuations. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Tracks whether a promise has settled, without awaiting it. */
function track(promise: Promise<unknown>): { settled: boolean; error: unknown } {
  const state: { settled: boolean; error: unknown } = { settled: false, error: undefined };
  promise.then(
    () => (state.settled = true),
    (err: unknown) => {
      state.settled = true;
      state.error = err;
    },
  );
  return state;
}

describe('FakeClock', () => {
  it('starts at the given instant and stands still until advanced', async () => {
    const clock = new FakeClock(1_000);
    assert.equal(clock.now(), 1_000);
    await flush();
    assert.equal(clock.now(), 1_000);
    await clock.advance(250);
    assert.equal(clock.now(), 1_250);
  });

  it('fires due timers in order of due time, each at its own instant', async () => {
    const clock = new FakeClock(0);
    const fired: [string, number][] = [];
    for (const [name, ms] of [['c', 30], ['a', 10], ['b', 20], ['late', 100]] as const) {
      clock.setTimer(ms, () => fired.push([name, clock.now()]));
    }
    await clock.advance(50);
    assert.deepEqual(fired, [['a', 10], ['b', 20], ['c', 30]]);
    assert.equal(clock.now(), 50);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.nextTimerAt(), 100);
  });

  it('fires timers due at the same instant in order of creation', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    for (let i = 0; i < 5; i++) clock.setTimer(10, () => fired.push(i));
    clock.setTimer(5, () => fired.push(-1));
    await clock.advance(10);
    assert.deepEqual(fired, [-1, 0, 1, 2, 3, 4]);
  });

  it('treats a negative delay as zero', async () => {
    const clock = new FakeClock(0);
    let at = -1;
    clock.setTimer(-5, () => (at = clock.now()));
    await clock.advance(0);
    assert.equal(at, 0);
  });

  it('never fires a cancelled timer, and cancelling twice or after firing is harmless', async () => {
    const clock = new FakeClock(0);
    const fired: string[] = [];
    const cancelled = clock.setTimer(10, () => fired.push('cancelled'));
    const kept = clock.setTimer(10, () => fired.push('kept'));
    cancelled.cancel();
    cancelled.cancel();
    assert.equal(clock.pendingTimers, 1);
    await clock.advance(20);
    kept.cancel();
    assert.deepEqual(fired, ['kept']);
    assert.equal(clock.pendingTimers, 0);
  });

  it('runs timers created by earlier callbacks when they fall due within the same advance', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    const tick = (): void => {
      fired.push(clock.now());
      clock.setTimer(10, tick);
    };
    clock.setTimer(10, tick);
    await clock.advance(35);
    assert.deepEqual(fired, [10, 20, 30]);
    assert.equal(clock.nextTimerAt(), 40);
  });

  it('lets code that sleeps in a loop observe every step of one advance', async () => {
    const clock = new FakeClock(0);
    const seen: number[] = [];
    const loop = (async () => {
      for (let i = 0; i < 4; i++) {
        await clock.sleep(10);
        seen.push(clock.now());
      }
    })();
    await clock.advance(100);
    await loop;
    assert.deepEqual(seen, [10, 20, 30, 40]);
  });

  it('resolves a sleep only once its full duration has passed', async () => {
    const clock = new FakeClock(0);
    const sleep = track(clock.sleep(100));
    await clock.advance(99);
    assert.equal(sleep.settled, false);
    await clock.advance(1);
    assert.equal(sleep.settled, true);
    assert.equal(sleep.error, undefined);
  });

  it('rejects a sleep with the signal reason when aborted, and drops its timer', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const reason = new Error('stop');
    const sleep = clock.sleep(100, controller.signal);
    assert.equal(clock.pendingTimers, 1);
    controller.abort(reason);
    await assert.rejects(sleep, (err) => err === reason);
    assert.equal(clock.pendingTimers, 0);
  });

  it('rejects a sleep at once when the signal is already aborted', async () => {
    const clock = new FakeClock(0);
    const sleep = clock.sleep(100, AbortSignal.abort('gone'));
    await assert.rejects(sleep, (err) => err === 'gone');
    assert.equal(clock.pendingTimers, 0);
  });

  it('rejects with an AbortError when aborted without a reason', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleep = clock.sleep(100, controller.signal);
    controller.abort();
    await assert.rejects(sleep, { name: 'AbortError' });
  });

  it('ignores an abort after the sleep completed', async () => {
    const clock = new FakeClock(0);
    const controller = new AbortController();
    const sleep = clock.sleep(10, controller.signal);
    await clock.advance(10);
    controller.abort();
    await sleep;
    assert.equal(clock.now(), 10);
  });

  it('refuses to move backwards', async () => {
    const clock = new FakeClock(0);
    await assert.rejects(clock.advance(-1), RangeError);
    await clock.advanceTo(50);
    await clock.advanceTo(10);
    assert.equal(clock.now(), 50);
  });

  it('runUntilIdle fires every timer, including chained ones, and returns the time consumed', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimer(30, () => {
      fired.push(clock.now());
      clock.setTimer(70, () => fired.push(clock.now()));
    });
    clock.setTimer(5, () => fired.push(clock.now()));
    assert.equal(await clock.runUntilIdle(), 100);
    assert.deepEqual(fired, [5, 30, 100]);
    assert.equal(clock.pendingTimers, 0);
  });

  it('runUntilIdle also runs a timer that code started just before schedules after an await (bug fixed)', async () => {
    const clock = new FakeClock(0);
    const task = (async () => {
      await Promise.resolve();
      await clock.sleep(40);
      return clock.now();
    })();
    assert.equal(await clock.runUntilIdle(), 40);
    assert.equal(await task, 40);
  });

  it('runUntilIdle stops before timers beyond its limit', async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimer(10, () => fired.push(10));
    clock.setTimer(1_000, () => fired.push(1_000));
    assert.equal(await clock.runUntilIdle(500), 10);
    assert.deepEqual(fired, [10]);
    assert.equal(clock.nextTimerAt(), 1_000);
  });
});

describe('RealClock', () => {
  afterEach(() => mock.timers.reset());

  it('reads wall time', () => {
    const before = Date.now();
    const now = new RealClock().now();
    assert.ok(now >= before && now <= Date.now());
  });

  it('sleeps on setTimeout and can be aborted', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const clock = new RealClock();
    const sleep = track(clock.sleep(1_000));
    mock.timers.tick(999);
    await flush();
    assert.equal(sleep.settled, false);
    mock.timers.tick(1);
    await flush();
    assert.deepEqual(sleep, { settled: true, error: undefined });

    const controller = new AbortController();
    const aborted = clock.sleep(1_000, controller.signal);
    controller.abort('bye');
    await assert.rejects(aborted, (err) => err === 'bye');
  });

  it('does not fire a timer longer than setTimeout can hold early (bug fixed: it fired after 1 ms)', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const clock = new RealClock();
    const long = 2 ** 31 + 5_000;
    let fired = 0;
    clock.setTimer(long, () => fired++);
    mock.timers.tick(10);
    mock.timers.tick(2 ** 31 - 1 - 10);
    assert.equal(fired, 0);
    mock.timers.tick(long - (2 ** 31 - 1) - 1);
    assert.equal(fired, 0);
    mock.timers.tick(1);
    assert.equal(fired, 1);

    const cancelled = clock.setTimer(long, () => fired++);
    mock.timers.tick(2 ** 31);
    cancelled.cancel();
    mock.timers.tick(long);
    assert.equal(fired, 1);
    await flush();
  });
});
