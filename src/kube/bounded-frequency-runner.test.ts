import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BoundedFrequencyRunner } from './bounded-frequency-runner.js';
import { FakeClock } from './clock.js';
import type { WorkQueueMetrics } from './work-queue.js';

/** What a metrics sink sees of one queue: `pending/in flight/delayed`, and the adds. */
class QueueView implements WorkQueueMetrics {
  adds = 0;
  #pending = 0;
  #inFlight = 0;
  #delayed = 0;
  add(): void {
    this.adds++;
  }
  depth(_name: string, n: number): void {
    this.#pending = n;
  }
  get(): void {
    this.#inFlight++;
  }
  done(): void {
    this.#inFlight--;
  }
  retry(): void {}
  delayed(_name: string, n: number): void {
    this.#delayed = n;
  }
  get state(): string {
    return `${this.#pending}/${this.#inFlight}/${this.#delayed}`;
  }
}

interface Harness {
  clock: FakeClock;
  runner: BoundedFrequencyRunner;
  queues: QueueView;
  /** Start times of every run, relative to the harness start. */
  starts: number[];
  stop(): Promise<void>;
}

function start(opts: { minIntervalMs?: number; runMs?: number; fail?: (n: number) => boolean; errors?: unknown[]; serve?: boolean } = {}): Harness {
  const clock = new FakeClock();
  const t0 = clock.now();
  const starts: number[] = [];
  const queues = new QueueView();
  const runner = new BoundedFrequencyRunner({
    name: 'node',
    clock,
    minIntervalMs: opts.minIntervalMs ?? 100,
    metrics: queues,
    fn: async () => {
      starts.push(clock.now() - t0);
      if (opts.runMs !== undefined) await clock.sleep(opts.runMs);
      if (opts.fail?.(starts.length) === true) throw new Error(`run ${starts.length} failed`);
    },
    onError: (err) => opts.errors?.push(err),
  });
  const abort = new AbortController();
  const serving = opts.serve === false ? Promise.resolve() : runner.run(abort.signal);
  return {
    clock,
    runner,
    queues,
    starts,
    async stop() {
      abort.abort();
      await clock.advance(0);
      await serving;
    },
  };
}

describe('BoundedFrequencyRunner', () => {
  it('runs the first request at once, and folds a burst within the interval into one run at its end', async () => {
    const h = start();
    h.runner.request();
    await h.clock.advance(0);
    assert.deepEqual(h.starts, [0], 'the first request runs at once');
    for (let i = 0; i < 50; i++) {
      await h.clock.advance(1);
      h.runner.request();
    }
    await h.clock.advance(49);
    assert.deepEqual(h.starts, [0], 'nothing before the interval ends');
    await h.clock.advance(1);
    assert.deepEqual(h.starts, [0, 100], 'fifty requests, one run');
    await h.clock.advance(1_000);
    assert.equal(h.runner.runs, 2);
    assert.equal(h.runner.idle, true);
    await h.stop();
  });

  it('a request after a quiet interval runs at once again', async () => {
    const h = start();
    h.runner.request();
    await h.clock.advance(250);
    h.runner.request();
    await h.clock.advance(0);
    assert.deepEqual(h.starts, [0, 250]);
    await h.stop();
  });

  it('a request during a run makes one more run, after it ends and never sooner than the interval', async () => {
    const slow = start({ runMs: 300 });
    slow.runner.request();
    await slow.clock.advance(10);
    slow.runner.request();
    slow.runner.request();
    await slow.clock.advance(1_000);
    assert.deepEqual(slow.starts, [0, 300], 'right after the slow run');
    await slow.stop();

    const quick = start({ runMs: 20 });
    quick.runner.request();
    await quick.clock.advance(10);
    quick.runner.request();
    await quick.clock.advance(1_000);
    assert.deepEqual(quick.starts, [0, 100], 'the interval still holds after a quick run');
    await quick.stop();
  });

  it('with a zero interval it behaves as a one-key work queue: a run at once, one more for requests during it', async () => {
    const h = start({ minIntervalMs: 0, runMs: 50 });
    h.runner.request();
    await h.clock.advance(10);
    h.runner.request();
    h.runner.request();
    await h.clock.advance(1_000);
    assert.deepEqual(h.starts, [0, 50]);
    await h.stop();
  });

  it('serves requests made before run() when it starts; ignores requests after it stopped; waits for the run in flight', async () => {
    const h = start({ serve: false, runMs: 100 });
    h.runner.request();
    await h.clock.advance(0);
    assert.deepEqual(h.starts, []);
    const abort = new AbortController();
    const serving = h.runner.run(abort.signal);
    await h.clock.advance(0);
    assert.deepEqual(h.starts, [0]);
    let stopped = false;
    void serving.then(() => (stopped = true));
    abort.abort();
    await h.clock.advance(0);
    assert.equal(stopped, false, 'waits for the run in flight');
    await h.clock.advance(100);
    assert.equal(stopped, true);
    h.runner.request();
    await h.clock.advance(1_000);
    assert.deepEqual(h.starts, [0]);
    await assert.rejects(h.runner.run(new AbortController().signal), /runs once/);
  });

  it('a failing run goes to onError and the runner carries on', async () => {
    const errors: unknown[] = [];
    const h = start({ fail: (n) => n === 1, errors });
    h.runner.request();
    await h.clock.advance(0);
    assert.equal(errors.length, 1);
    h.runner.request();
    await h.clock.advance(100);
    assert.deepEqual(h.starts, [0, 100]);
    assert.equal(errors.length, 1);
    await h.stop();
  });

  it('reports as a one-item queue: pending, delayed, in flight, then idle', async () => {
    const h = start({ runMs: 30 });
    // pending/in flight/delayed
    assert.equal(h.queues.state, '0/0/0');
    h.runner.request();
    assert.equal(h.queues.state, '0/1/0');
    h.runner.request();
    assert.equal(h.queues.state, '1/1/0');
    await h.clock.advance(30);
    assert.equal(h.queues.state, '0/0/1', 'the run ended before the interval: the next waits');
    await h.clock.advance(70);
    assert.equal(h.queues.state, '0/1/0');
    await h.clock.advance(30);
    assert.equal(h.queues.state, '0/0/0');
    assert.equal(h.queues.adds, 2);
    await h.stop();
  });

  it('never runs twice at once or closer than the interval, and every request is followed by a run (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 150 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 0, max: 120 }),
        fc.integer({ min: 0, max: 200 }),
        async (gaps, runMs, minIntervalMs) => {
          const clock = new FakeClock();
          const t0 = clock.now();
          const runs: { start: number; end: number }[] = [];
          let running = 0;
          const runner = new BoundedFrequencyRunner({
            name: 'p',
            clock,
            minIntervalMs,
            fn: async () => {
              assert.equal(running, 0, 'never two runs at once');
              running++;
              const startedAt = clock.now() - t0;
              await clock.sleep(runMs);
              running--;
              runs.push({ start: startedAt, end: clock.now() - t0 });
            },
          });
          const abort = new AbortController();
          const serving = runner.run(abort.signal);
          const requests: number[] = [];
          for (const gap of gaps) {
            await clock.advance(gap);
            requests.push(clock.now() - t0);
            runner.request();
          }
          await clock.advance(10_000);
          assert.equal(runner.idle, true);
          for (let i = 1; i < runs.length; i++) {
            const prev = runs[i - 1] as { start: number; end: number };
            const cur = runs[i] as { start: number; end: number };
            assert.ok(cur.start - prev.start >= minIntervalMs, `runs at ${prev.start} and ${cur.start} closer than ${minIntervalMs}`);
            assert.ok(cur.start >= prev.end, 'a run starts after the previous ended');
          }
          // No request is missed: each is followed by a run starting at or after it.
          for (const at of requests) assert.ok(runs.some((r) => r.start >= at), `request at ${at} not followed by a run`);
          // And no run without a request since the last start: at most one run per request.
          assert.ok(runs.length <= requests.length);
          abort.abort();
          await clock.advance(0);
          await serving;
        },
      ),
      { numRuns: 100 },
    );
  });
});
