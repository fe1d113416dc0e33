import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from './clock.js';
import {
  refilledTokens,
  BucketRateLimiter,
  defaultControllerRateLimiter,
  ItemExponentialFailureRateLimiter,
  ItemFastSlowRateLimiter,
  MaxOfRateLimiter,
  MaxWaitRateLimiter,
  TokenBucket,
  type RateLimiter,
} from './rate-limiter.js';

describe('ItemExponentialFailureRateLimiter', () => {
  const cases: { name: string; base: number; max: number; want: number[] }[] = [
    { name: 'doubles from the base on every failure', base: 1, max: 1_000, want: [1, 2, 4, 8, 16] },
    { name: 'caps at the maximum', base: 5, max: 30, want: [5, 10, 20, 30, 30, 30] },
    { name: 'returns the maximum when the base already exceeds it', base: 50, max: 10, want: [10, 10] },
    { name: 'stays at zero with a zero base', base: 0, max: 10, want: [0, 0, 0] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const limiter = new ItemExponentialFailureRateLimiter(c.base, c.max);
      assert.deepEqual(
        c.want.map(() => limiter.when('one')),
        c.want,
      );
      assert.equal(limiter.numRequeues('one'), c.want.length);
    });
  }

  it('tracks items independently and forget resets one item', () => {
    const limiter = new ItemExponentialFailureRateLimiter(1, 1_000);
    assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('b'), limiter.when('a')], [1, 2, 1, 4]);
    limiter.forget('a');
    assert.equal(limiter.numRequeues('a'), 0);
    assert.equal(limiter.numRequeues('b'), 1);
    assert.equal(limiter.when('a'), 1);
    assert.equal(limiter.when('b'), 2);
  });

  it('returns the cap instead of overflowing after very many failures (as upstream)', () => {
    const limiter = new ItemExponentialFailureRateLimiter(1, 1_000_000);
    let last = 0;
    for (let i = 0; i < 5_000; i++) last = limiter.when('x');
    assert.equal(last, 1_000_000);
    assert.equal(limiter.numRequeues('x'), 5_000);
  });

  it('rejects negative durations', () => {
    assert.throws(() => new ItemExponentialFailureRateLimiter(-1, 10), RangeError);
    assert.throws(() => new ItemExponentialFailureRateLimiter(1, Number.NaN), RangeError);
  });
});

describe('ItemFastSlowRateLimiter', () => {
  it('gives the fast delay for the first attempts and the slow one after', () => {
    const limiter = new ItemFastSlowRateLimiter(5, 10_000, 3);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => limiter.when('one')),
      [5, 5, 5, 10_000, 10_000],
    );
    assert.equal(limiter.numRequeues('one'), 5);
  });

  it('counts per item and forget makes an item fast again', () => {
    const limiter = new ItemFastSlowRateLimiter(5, 100, 1);
    assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('b')], [5, 100, 5]);
    limiter.forget('a');
    assert.equal(limiter.numRequeues('a'), 0);
    assert.equal(limiter.when('a'), 5);
  });

  it('is always slow with zero fast attempts', () => {
    const limiter = new ItemFastSlowRateLimiter(5, 100, 0);
    assert.equal(limiter.when('a'), 100);
  });
});

describe('TokenBucket', () => {
  it('starts full: burst calls pass at once, then each waits one refill interval more', () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 3, clock);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => bucket.reserve()),
      [0, 0, 0, 100, 200],
    );
    assert.equal(bucket.tokens(), -2);
  });

  it('refills continuously at qps, counting earlier reservations', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 3, clock);
    for (let i = 0; i < 5; i++) bucket.reserve(); // tokens: -2
    await clock.advance(250); // +2.5 tokens
    assert.equal(bucket.tokens(), 0.5);
    assert.equal(bucket.reserve(), 50);
  });

  it('never holds more than burst tokens after a long idle period', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 2, clock);
    bucket.reserve();
    await clock.advance(3_600_000);
    assert.equal(bucket.tokens(), 2);
    assert.deepEqual([bucket.reserve(), bucket.reserve(), bucket.reserve()], [0, 0, 100]);
  });

  it('tryAccept takes only tokens available now and never reserves', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(2, 2, clock);
    assert.deepEqual([bucket.tryAccept(), bucket.tryAccept(), bucket.tryAccept()], [true, true, false]);
    assert.equal(bucket.tokens(), 0);
    await clock.advance(499);
    assert.equal(bucket.tryAccept(), false);
    await clock.advance(1);
    assert.equal(bucket.tryAccept(), true);
  });

  it('wait resolves each caller when its reserved token is due', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 1, clock);
    const resolvedAt: number[] = [];
    const waits = [0, 1, 2].map(async () => {
      await bucket.wait();
      resolvedAt.push(clock.now());
    });
    await clock.runUntilIdle();
    await Promise.all(waits);
    assert.deepEqual(resolvedAt, [0, 100, 200]);
  });

  it('an aborted wait rejects with the reason and gives its token back', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 1, clock);
    assert.equal(bucket.tryAccept(), true);
    const controller = new AbortController();
    const waiting = bucket.wait(controller.signal);
    assert.equal(bucket.tokens(), -1);
    controller.abort('cancelled');
    await assert.rejects(waiting, (err) => err === 'cancelled');
    assert.equal(bucket.tokens(), 0);
    await clock.advance(100);
    // Without the refund the bucket would still be empty here.
    assert.equal(bucket.tryAccept(), true);
  });

  it('an aborted wait refunds nothing that a later reservation already counted on', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 1, clock);
    bucket.reserve(); // takes the only token
    const controller = new AbortController();
    const first = bucket.wait(controller.signal); // due at 100
    assert.equal(bucket.reserve(), 200); // due at 200, counts on the first one's slot
    controller.abort();
    await assert.rejects(first, { name: 'AbortError' });
    assert.equal(bucket.tokens(), -2);
  });

  it('wait rejects at once on an aborted signal without taking a token', async () => {
    const clock = new FakeClock(0);
    const bucket = new TokenBucket(10, 1, clock);
    await assert.rejects(bucket.wait(AbortSignal.abort('no')), (err) => err === 'no');
    assert.equal(bucket.tokens(), 1);
  });

  const unlimited: { name: string; qps: number }[] = [
    { name: 'zero qps', qps: 0 },
    { name: 'negative qps', qps: -1 },
    { name: 'infinite qps', qps: Infinity },
  ];
  for (const c of unlimited) {
    it(`never limits with ${c.name}`, async () => {
      const clock = new FakeClock(0);
      const bucket = new TokenBucket(c.qps, 0, clock);
      assert.equal(bucket.unlimited, true);
      for (let i = 0; i < 1_000; i++) {
        assert.equal(bucket.tryAccept(), true);
        assert.equal(bucket.reserve(), 0);
      }
      await bucket.wait();
      assert.equal(clock.now(), 0);
    });
  }

  it('rejects a burst below one, a fractional burst and a NaN qps', () => {
    const clock = new FakeClock(0);
    assert.throws(() => new TokenBucket(10, 0, clock), /burst must be an integer >= 1/);
    assert.throws(() => new TokenBucket(10, 1.5, clock), RangeError);
    assert.throws(() => new TokenBucket(Number.NaN, 1, clock), RangeError);
  });
});

describe('refilledTokens', () => {
  it('adds qps per second since the last update, caps at burst, and never goes back in time', () => {
    assert.equal(refilledTokens(0, 1_000, 3_000, 2, 25), 4);
    assert.equal(refilledTokens(24, 0, 10_000, 1, 25), 25);
    assert.equal(refilledTokens(-1, 0, 500, 2, 5), 0, 'a reservation debt refills too');
    assert.equal(refilledTokens(3, 5_000, 4_000, 10, 25), 3, 'a clock behind the last update adds nothing');
  });
});

describe('BucketRateLimiter', () => {
  it('limits all items together and remembers none', () => {
    const clock = new FakeClock(0);
    const limiter = new BucketRateLimiter(10, 2, clock);
    assert.deepEqual([limiter.when('a'), limiter.when('b'), limiter.when('a'), limiter.when('c')], [0, 0, 100, 200]);
    assert.equal(limiter.numRequeues('a'), 0);
    limiter.forget('a');
    assert.equal(limiter.when('a'), 300);
  });
});

describe('MaxOfRateLimiter', () => {
  it('takes the largest delay and the largest requeue count, and forgets in all parts', () => {
    const limiter = new MaxOfRateLimiter(new ItemFastSlowRateLimiter(5, 3_000, 3), new ItemExponentialFailureRateLimiter(1, 1_000));
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => limiter.when('one')),
      [5, 5, 5, 3_000, 3_000],
    );
    assert.equal(limiter.numRequeues('one'), 5);
    limiter.forget('one');
    assert.equal(limiter.numRequeues('one'), 0);
    assert.equal(limiter.when('one'), 5);
  });

  it('waits nothing with no parts', () => {
    const limiter = new MaxOfRateLimiter();
    assert.equal(limiter.when('x'), 0);
    assert.equal(limiter.numRequeues('x'), 0);
  });
});

describe('MaxWaitRateLimiter', () => {
  it("caps the inner limiter's delay but keeps its debt, requeue count and forget", () => {
    const clock = new FakeClock(0);
    const limiter = new MaxWaitRateLimiter(new BucketRateLimiter(0.1, 1, clock), 10_000);
    // One token per 10 s: the inner bucket's debt grows by 10 s a call, the cap holds at 10 s.
    assert.deepEqual([limiter.when('routes'), limiter.when('routes'), limiter.when('routes')], [0, 10_000, 10_000]);
    assert.equal(limiter.numRequeues('routes'), 0);
    const failures = new MaxWaitRateLimiter(new ItemExponentialFailureRateLimiter(4, 1_000), 10);
    assert.deepEqual([failures.when('a'), failures.when('a'), failures.when('a')], [4, 8, 10]);
    assert.equal(failures.numRequeues('a'), 3);
    failures.forget('a');
    assert.equal(failures.numRequeues('a'), 0);
  });
});

describe('defaultControllerRateLimiter', () => {
  it('backs off per item from 5 ms and caps at 1000 s', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock(0));
    const delays = Array.from({ length: 20 }, () => limiter.when('node-1'));
    // 20 failures stay within the burst of 100, so only the per-item backoff shows.
    assert.deepEqual(delays.slice(0, 4), [5, 10, 20, 40]);
    assert.equal(delays[17], 5 * 2 ** 17);
    assert.equal(delays[18], 1_000_000);
    assert.equal(limiter.numRequeues('node-1'), 20);
  });

  it('limits all items together to bursts of 100 and 10 per second', () => {
    const limiter = defaultControllerRateLimiter(new FakeClock(0));
    const delays = Array.from({ length: 102 }, (_, i) => limiter.when(`item-${i}`));
    assert.ok(delays.slice(0, 100).every((d) => d === 5));
    assert.deepEqual(delays.slice(100), [100, 200]);
  });
});

/** Operations on limiters for the property tests: a failure, a forget, or time passing. */
type LimiterOp = { kind: 'when'; item: string } | { kind: 'forget'; item: string } | { kind: 'advance'; ms: number };
const item = fc.constantFrom('a', 'b', 'c');
const limiterOp: fc.Arbitrary<LimiterOp> = fc.oneof(
  { weight: 5, arbitrary: item.map((i): LimiterOp => ({ kind: 'when', item: i })) },
  { weight: 1, arbitrary: item.map((i): LimiterOp => ({ kind: 'forget', item: i })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 500 }).map((ms): LimiterOp => ({ kind: 'advance', ms })) },
);

describe('rate limiter properties', () => {
  it('exponential delays never decrease per item until forgotten, never exceed the cap, and forget resets', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(limiterOp, { maxLength: 200 }),
        (base, max, ops) => {
          const limiter = new ItemExponentialFailureRateLimiter(base, max);
          const previous = new Map<string, number>();
          const failures = new Map<string, number>();
          for (const op of ops) {
            if (op.kind === 'when') {
              const delay = limiter.when(op.item);
              const before = previous.get(op.item);
              if (before === undefined) assert.equal(delay, Math.min(base, max), 'first delay after a forget');
              else assert.ok(delay >= before, `delay ${delay} after ${before}`);
              assert.ok(delay <= max && delay >= 0);
              previous.set(op.item, delay);
              failures.set(op.item, (failures.get(op.item) ?? 0) + 1);
            } else if (op.kind === 'forget') {
              limiter.forget(op.item);
              previous.delete(op.item);
              failures.delete(op.item);
            }
            for (const i of ['a', 'b', 'c']) assert.equal(limiter.numRequeues(i), failures.get(i) ?? 0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('MaxOf equals the max of its parts run side by side', async () => {
    /** Two identical sets of parts: one wrapped in MaxOf, one called directly. */
    const parts = (clock: FakeClock, base: number, fast: number, burst: number): RateLimiter[] => [
      new ItemExponentialFailureRateLimiter(base, 10_000),
      new ItemFastSlowRateLimiter(fast, 2_000, 2),
      new BucketRateLimiter(5, burst, clock),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 1_000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(limiterOp, { maxLength: 60 }),
        async (base, fast, burst, ops) => {
          const clock = new FakeClock(0);
          const direct = parts(clock, base, fast, burst);
          const combined = new MaxOfRateLimiter(...parts(clock, base, fast, burst));
          for (const op of ops) {
            if (op.kind === 'when') {
              const expected = Math.max(...direct.map((l) => l.when(op.item)));
              assert.equal(combined.when(op.item), expected);
            } else if (op.kind === 'forget') {
              for (const l of direct) l.forget(op.item);
              combined.forget(op.item);
            } else {
              await clock.advance(op.ms);
            }
            for (const i of ['a', 'b', 'c']) {
              assert.equal(combined.numRequeues(i), Math.max(...direct.map((l) => l.numRequeues(i))));
            }
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a token bucket never lets more than burst + qps·t calls through in any window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 100 }),
        (qps, burst, gaps) => {
          // A hand-driven clock: the bucket only reads now(), so no timers are involved.
          let now = 0;
          const clock = new FakeClock(0);
          const bucket = new TokenBucket(qps, burst, { now: () => now, sleep: clock.sleep.bind(clock), setTimer: clock.setTimer.bind(clock) });
          // Each call is admitted at its reservation time; check the rate over every prefix window.
          const admitted: number[] = [];
          for (const gap of gaps) {
            now += gap;
            admitted.push(now + bucket.reserve());
          }
          for (let i = 0; i < admitted.length; i++) {
            for (let j = i; j < admitted.length; j++) {
              const window = (admitted[j] as number) - (admitted[i] as number);
              assert.ok(j - i + 1 <= burst + (window * qps) / 1000 + 1e-6, `${j - i + 1} calls in ${window} ms`);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
