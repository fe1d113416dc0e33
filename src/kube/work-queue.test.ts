import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FakeClock } from './clock.js';
import { ItemExponentialFailureRateLimiter } from './rate-limiter.js';
import { WorkQueue, type WorkQueueMetrics } from './work-queue.js';

/** Lets settled promises run their continuations. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => {
      state.settled = true;
      state.value = value;
    },
    (err: unknown) => {
      state.settled = true;
      state.error = err;
    },
  );
  return state;
}

function newQueue(clock = new FakeClock(0), rateLimiter = new ItemExponentialFailureRateLimiter(10, 1_000)): WorkQueue {
  return new WorkQueue({ name: 'test', clock, rateLimiter });
}

/** Takes every pending item (marking each done right away) in the order the queue hands them out. */
async function drainOrder(queue: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (queue.len > 0) {
    const item = await queue.get();
    assert.ok(item !== undefined);
    out.push(item);
    queue.done(item);
  }
  return out;
}

describe('WorkQueue', () => {
  const orderCases: { name: string; adds: string[]; want: string[] }[] = [
    { name: 'hands items out in the order they were added', adds: ['a', 'b', 'c'], want: ['a', 'b', 'c'] },
    { name: 'keeps a pending item once, at its first position', adds: ['a', 'b', 'a', 'c', 'b', 'a'], want: ['a', 'b', 'c'] },
    { name: 'is empty when nothing was added', adds: [], want: [] },
  ];
  for (const c of orderCases) {
    it(c.name, async () => {
      const queue = newQueue();
      for (const item of c.adds) queue.add(item);
      assert.equal(queue.len, c.want.length);
      assert.deepEqual(await drainOrder(queue), c.want);
    });
  }

  it('waits in get until an item is added', async () => {
    const queue = newQueue();
    const got = track(queue.get());
    await flush();
    assert.equal(got.settled, false);
    queue.add('a');
    await flush();
    assert.deepEqual(got, { settled: true, value: 'a' });
  });

  it('serves waiting workers oldest first', async () => {
    const queue = newQueue();
    const first = track(queue.get());
    const second = track(queue.get());
    queue.add('a');
    queue.add('b');
    await flush();
    assert.equal(first.value, 'a');
    assert.equal(second.value, 'b');
  });

  it('never hands an item in flight to a second worker; re-adding it re-queues it on done', async () => {
    const queue = newQueue();
    queue.add('a');
    assert.equal(await queue.get(), 'a');
    queue.add('a');
    queue.add('a');
    assert.equal(queue.len, 0, 'an item in flight is not pending in the queue');
    const second = track(queue.get());
    await flush();
    assert.equal(second.settled, false);
    queue.done('a');
    await flush();
    assert.deepEqual(second, { settled: true, value: 'a' });
    queue.done('a');
    assert.equal(queue.len, 0, 'the three adds made exactly one more pass');
  });

  it('puts an item re-added while in flight behind items added meanwhile', async () => {
    const queue = newQueue();
    queue.add('a');
    const a = await queue.get();
    assert.equal(a, 'a');
    queue.add('a');
    queue.add('b');
    queue.done('a');
    assert.deepEqual(await drainOrder(queue), ['b', 'a']);
  });

  it('ignores done for an item no worker holds', async () => {
    const queue = newQueue();
    queue.add('a');
    queue.done('a');
    queue.done('zzz');
    assert.equal(queue.len, 1);
    assert.deepEqual(await drainOrder(queue), ['a']);
  });

  it('rejects a get whose signal aborts, without consuming an item', async () => {
    const queue = newQueue();
    const controller = new AbortController();
    const aborted = queue.get(controller.signal);
    const other = track(queue.get());
    controller.abort('stop');
    await assert.rejects(aborted, (err) => err === 'stop');
    queue.add('a');
    await flush();
    assert.equal(other.value, 'a');
    await assert.rejects(queue.get(AbortSignal.abort('already')), (err) => err === 'already');
  });

  describe('shutdown', () => {
    it('ignores new items but still hands out pending ones, then resolves undefined', async () => {
      const queue = newQueue();
      queue.add('a');
      queue.add('b');
      queue.shutDown();
      assert.equal(queue.shuttingDown, true);
      queue.add('c');
      queue.addAfter('d', 0);
      assert.equal(await queue.get(), 'a');
      assert.equal(await queue.get(), 'b');
      assert.equal(await queue.get(), undefined);
    });

    it('wakes waiting workers with undefined', async () => {
      const queue = newQueue();
      const waiting = [track(queue.get()), track(queue.get())];
      queue.shutDown();
      await flush();
      assert.deepEqual(waiting, [
        { settled: true, value: undefined },
        { settled: true, value: undefined },
      ]);
    });

    it('drops delayed items', async () => {
      const clock = new FakeClock(0);
      const queue = newQueue(clock);
      queue.addAfter('a', 100);
      queue.shutDown();
      assert.equal(clock.pendingTimers, 0);
      await clock.advance(200);
      assert.equal(queue.len, 0);
    });

    it('re-queues an item re-added before shutdown when its worker finishes', async () => {
      const queue = newQueue();
      queue.add('a');
      await queue.get();
      queue.add('a');
      queue.shutDown();
      queue.done('a');
      assert.equal(await queue.get(), 'a');
      queue.done('a');
      assert.equal(await queue.get(), undefined);
    });

    it('shutDownWithDrain resolves once every in-flight item is done', async () => {
      const queue = newQueue();
      queue.add('a');
      queue.add('b');
      await queue.get();
      await queue.get();
      const drained = track(queue.shutDownWithDrain());
      queue.done('a');
      await flush();
      assert.equal(drained.settled, false);
      queue.done('b');
      await flush();
      assert.deepEqual(drained, { settled: true, value: undefined });
    });

    it('shutDownWithDrain resolves at once with nothing in flight', async () => {
      const queue = newQueue();
      await queue.shutDownWithDrain();
      assert.equal(queue.shuttingDown, true);
    });

    it('shutDown ends a drain that would otherwise wait', async () => {
      const queue = newQueue();
      queue.add('a');
      await queue.get();
      const drained = track(queue.shutDownWithDrain());
      await flush();
      assert.equal(drained.settled, false);
      queue.shutDown();
      await flush();
      assert.equal(drained.settled, true);
    });

    it('an aborted drain rejects with the reason', async () => {
      const queue = newQueue();
      queue.add('a');
      await queue.get();
      const controller = new AbortController();
      const drained = queue.shutDownWithDrain(controller.signal);
      controller.abort('enough');
      await assert.rejects(drained, (err) => err === 'enough');
    });
  });

  describe('addAfter', () => {
    it('counts waiting items in delayed and reports every change to the metrics hook', async () => {
      const clock = new FakeClock(0);
      const reported: number[] = [];
      const metrics: WorkQueueMetrics = { add() {}, depth() {}, get() {}, done() {}, retry() {}, delayed: (_name, n) => void reported.push(n) };
      const queue = new WorkQueue<string>({ name: 'q', clock, metrics });
      queue.addAfter('a', 100);
      queue.addAfter('b', 200);
      queue.addAfter('a', 300); // later than the waiting one: ignored
      assert.equal(queue.delayed, 2);
      await clock.advance(100);
      assert.equal(queue.delayed, 1);
      assert.equal(queue.len, 1);
      queue.shutDown();
      assert.equal(queue.delayed, 0);
      assert.deepEqual(reported, [1, 2, 1, 0]);
    });

    it('adds the item once the delay has passed', async () => {
      const clock = new FakeClock(0);
      const queue = newQueue(clock);
      queue.addAfter('a', 100);
      await clock.advance(99);
      assert.equal(queue.len, 0);
      await clock.advance(1);
      assert.equal(queue.len, 1);
    });

    const delayCases: { name: string; delays: number[]; readyAt: number }[] = [
      { name: 'keeps the earlier ready time when a shorter delay follows', delays: [100, 50], readyAt: 50 },
      { name: 'keeps the earlier ready time when a longer delay follows', delays: [50, 100], readyAt: 50 },
      { name: 'adds at once for a zero delay', delays: [0], readyAt: 0 },
      { name: 'adds at once for a negative delay', delays: [-5], readyAt: 0 },
    ];
    for (const c of delayCases) {
      it(c.name, async () => {
        const clock = new FakeClock(0);
        const queue = newQueue(clock);
        for (const ms of c.delays) queue.addAfter('a', ms);
        if (c.readyAt > 0) {
          await clock.advanceTo(c.readyAt - 1);
          assert.equal(queue.len, 0);
        }
        await clock.advanceTo(c.readyAt);
        assert.equal(queue.len, 1);
        assert.equal(await queue.get(), 'a');
        queue.done('a');
        await clock.advance(1_000);
        assert.equal(queue.len, 0, 'the superseded delay adds nothing later');
        assert.equal(clock.pendingTimers, 0);
      });
    }

    it('fires items with different delays in ready order', async () => {
      const clock = new FakeClock(0);
      const queue = newQueue(clock);
      queue.addAfter('c', 30);
      queue.addAfter('a', 10);
      queue.addAfter('b', 20);
      await clock.advance(30);
      assert.deepEqual(await drainOrder(queue), ['a', 'b', 'c']);
    });

    it('rejects a delay that is not a finite number', () => {
      const queue = newQueue();
      assert.throws(() => queue.addAfter('a', Number.NaN), RangeError);
      assert.throws(() => queue.addAfter('a', Infinity), RangeError);
    });
  });

  describe('rate limiting', () => {
    it('addRateLimited delays by the limiter and counts requeues until forget', async () => {
      const clock = new FakeClock(0);
      const queue = newQueue(clock, new ItemExponentialFailureRateLimiter(10, 1_000));
      queue.addRateLimited('a');
      assert.equal(queue.numRequeues('a'), 1);
      await clock.advance(10);
      assert.equal(await queue.get(), 'a');
      queue.addRateLimited('a');
      queue.done('a');
      await clock.advance(19);
      assert.equal(queue.len, 0);
      await clock.advance(1);
      assert.equal(queue.len, 1);
      assert.equal(queue.numRequeues('a'), 2);
      queue.forget('a');
      assert.equal(queue.numRequeues('a'), 0);
    });

    it('uses the default controller rate limiter when none is given (5 ms first)', async () => {
      const clock = new FakeClock(0);
      const queue = new WorkQueue({ name: 'default', clock });
      queue.addRateLimited('a');
      await clock.advance(4);
      assert.equal(queue.len, 0);
      await clock.advance(1);
      assert.equal(queue.len, 1);
    });
  });

  describe('metrics', () => {
    it('reports adds, depth, waiting and working time, and retries', async () => {
      const clock = new FakeClock(0);
      const events: string[] = [];
      const metrics: WorkQueueMetrics = {
        add: (name) => events.push(`add ${name}`),
        depth: (name, n) => events.push(`depth ${name} ${n}`),
        get: (name, waitedMs) => events.push(`get ${name} ${waitedMs}`),
        done: (name, workedMs) => events.push(`done ${name} ${workedMs}`),
        retry: (name) => events.push(`retry ${name}`),
      };
      const queue = new WorkQueue({ name: 'q', clock, metrics, rateLimiter: new ItemExponentialFailureRateLimiter(10, 100) });
      queue.add('a');
      queue.add('a'); // merged: not counted
      await clock.advance(7);
      await queue.get();
      queue.add('a'); // pending again while in flight: counts towards depth
      await clock.advance(3);
      queue.done('a');
      queue.addRateLimited('b');
      assert.deepEqual(events, [
        'add q',
        'depth q 1',
        'get q 7',
        'depth q 0',
        'add q',
        'depth q 1',
        'done q 3',
        'retry q',
      ]);
    });

    it('reports unfinished work and the longest-running item', async () => {
      const clock = new FakeClock(0);
      const queue = newQueue(clock);
      queue.add('a');
      queue.add('b');
      await queue.get();
      await clock.advance(10);
      await queue.get();
      await clock.advance(5);
      assert.equal(queue.inFlight, 2);
      assert.equal(queue.unfinishedWorkMs(), 15 + 5);
      assert.equal(queue.longestRunningMs(), 15);
      queue.done('a');
      assert.equal(queue.longestRunningMs(), 5);
    });
  });
});

/** One step of the model run. Worker and item references are indexes resolved at run time. */
type Op =
  | { kind: 'add'; item: string }
  | { kind: 'addAfter'; item: string; ms: number }
  | { kind: 'addRateLimited'; item: string }
  | { kind: 'forget'; item: string }
  | { kind: 'get' }
  | { kind: 'done'; pick: number }
  | { kind: 'abortWaiter'; pick: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'shutDown' };

const itemArb = fc.constantFrom('a', 'b', 'c', 'd');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: itemArb.map((item): Op => ({ kind: 'add', item })) },
  { weight: 2, arbitrary: fc.record({ item: itemArb, ms: fc.integer({ min: -5, max: 40 }) }).map((r): Op => ({ kind: 'addAfter', ...r })) },
  { weight: 2, arbitrary: itemArb.map((item): Op => ({ kind: 'addRateLimited', item })) },
  { weight: 1, arbitrary: itemArb.map((item): Op => ({ kind: 'forget', item })) },
  { weight: 5, arbitrary: fc.constant<Op>({ kind: 'get' }) },
  { weight: 5, arbitrary: fc.nat().map((pick): Op => ({ kind: 'done', pick })) },
  { weight: 1, arbitrary: fc.nat().map((pick): Op => ({ kind: 'abortWaiter', pick })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 30 }).map((ms): Op => ({ kind: 'advance', ms })) },
  { weight: 1, arbitrary: fc.constant<Op>({ kind: 'shutDown' }) },
);

/**
 * A deliberately naive reference of the queue's contract: arrays and sets, delayed adds as a list
 * scanned for the earliest (readyAt, creation) entry. Workers are numbered; `assigned` says what
 * each one was handed (undefined = told the queue is done).
 */
class ModelQueue {
  now = 0;
  queue: string[] = [];
  dirty = new Set<string>();
  processing = new Set<string>();
  delayed = new Map<string, { readyAt: number; id: number }>();
  nextTimerId = 0;
  waiters: number[] = [];
  assigned = new Map<number, string | undefined>();
  shuttingDown = false;
  readonly limiter = new ItemExponentialFailureRateLimiter(1, 16);

  add(item: string): void {
    if (this.shuttingDown || this.dirty.has(item)) return;
    this.dirty.add(item);
    if (this.processing.has(item)) return;
    this.queue.push(item);
    this.dispatch();
  }

  dispatch(): void {
    while (this.queue.length > 0 && this.waiters.length > 0) this.hand(this.waiters.shift() as number);
  }

  hand(worker: number): void {
    const item = this.queue.shift() as string;
    this.dirty.delete(item);
    this.processing.add(item);
    this.assigned.set(worker, item);
  }

  get(worker: number): void {
    if (this.queue.length > 0) this.hand(worker);
    else if (this.shuttingDown) this.assigned.set(worker, undefined);
    else this.waiters.push(worker);
  }

  done(item: string): void {
    if (!this.processing.delete(item)) return;
    if (this.dirty.has(item)) {
      this.queue.push(item);
      this.dispatch();
    }
  }

  addAfter(item: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(item);
      return;
    }
    const readyAt = this.now + ms;
    const existing = this.delayed.get(item);
    if (existing !== undefined && existing.readyAt <= readyAt) return;
    this.delayed.set(item, { readyAt, id: this.nextTimerId++ });
  }

  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      let next: [string, { readyAt: number; id: number }] | undefined;
      for (const entry of this.delayed) {
        const [, e] = entry;
        if (e.readyAt > target) continue;
        if (next === undefined || e.readyAt < next[1].readyAt || (e.readyAt === next[1].readyAt && e.id < next[1].id)) next = entry;
      }
      if (next === undefined) break;
      this.now = next[1].readyAt;
      this.delayed.delete(next[0]);
      this.add(next[0]);
    }
    this.now = target;
  }

  shutDown(): void {
    this.shuttingDown = true;
    this.delayed.clear();
    for (const worker of this.waiters.splice(0)) this.assigned.set(worker, undefined);
  }
}

/** Marks a worker whose get was aborted. */
const ABORTED = Symbol('aborted');

describe('WorkQueue model run', () => {
  it('matches the reference model, never double-hands an item, and processes every add', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 80 }), async (ops) => {
        const clock = new FakeClock(0);
        const queue = new WorkQueue({ name: 'model', clock, rateLimiter: new ItemExponentialFailureRateLimiter(1, 16) });
        const model = new ModelQueue();
        let seq = 0;
        // What really happened, per worker: the item it got, undefined (queue done) or ABORTED.
        const outcome = new Map<number, string | undefined | typeof ABORTED>();
        const waiting = new Map<number, AbortController>();
        const held: { worker: number; item: string }[] = [];
        const lastAddCall = new Map<string, number>();
        const handedAt = new Map<string, number[]>();
        let nextWorker = 0;
        let shutDownCalled = false;

        const startWorker = (): void => {
          const worker = nextWorker++;
          const controller = new AbortController();
          waiting.set(worker, controller);
          model.get(worker);
          queue.get(controller.signal).then(
            (item) => {
              waiting.delete(worker);
              outcome.set(worker, item);
              if (item === undefined) return;
              assert.ok(!held.some((h) => h.item === item), `${item} handed to worker ${worker} while another holds it`);
              held.push({ worker, item });
              handedAt.set(item, [...(handedAt.get(item) ?? []), ++seq]);
            },
            () => {
              waiting.delete(worker);
              outcome.set(worker, ABORTED);
            },
          );
        };

        const check = async (): Promise<void> => {
          await flush();
          for (const [worker, item] of model.assigned) {
            assert.ok(outcome.has(worker), `worker ${worker} should have been handed ${String(item)}`);
            assert.equal(outcome.get(worker), item, `worker ${worker}`);
          }
          for (const worker of outcome.keys()) {
            if (outcome.get(worker) !== ABORTED) assert.ok(model.assigned.has(worker), `worker ${worker} got an unexpected item`);
          }
          assert.equal(queue.len, model.queue.length);
          assert.equal(queue.inFlight, model.processing.size);
          assert.equal(new Set(held.map((h) => h.item)).size, held.length, 'an item is held by two workers');
        };

        const finish = (index: number): void => {
          const [h] = held.splice(index % held.length, 1);
          if (h === undefined) return;
          queue.done(h.item);
          model.done(h.item);
        };

        for (const op of ops) {
          seq++;
          switch (op.kind) {
            case 'add':
              if (!queue.shuttingDown) lastAddCall.set(op.item, seq);
              queue.add(op.item);
              model.add(op.item);
              break;
            case 'addAfter':
              if (!queue.shuttingDown) lastAddCall.set(op.item, seq);
              queue.addAfter(op.item, op.ms);
              model.addAfter(op.item, op.ms);
              break;
            case 'addRateLimited':
              if (!queue.shuttingDown) lastAddCall.set(op.item, seq);
              queue.addRateLimited(op.item);
              model.addAfter(op.item, model.limiter.when(op.item));
              break;
            case 'forget':
              queue.forget(op.item);
              model.limiter.forget(op.item);
              assert.equal(queue.numRequeues(op.item), 0);
              break;
            case 'get':
              startWorker();
              break;
            case 'done':
              if (held.length > 0) finish(op.pick);
              break;
            case 'abortWaiter': {
              const workers = [...waiting.keys()].filter((w) => !model.assigned.has(w));
              const worker = workers[op.pick % Math.max(1, workers.length)];
              if (worker === undefined) break;
              waiting.get(worker)?.abort();
              model.waiters = model.waiters.filter((w) => w !== worker);
              break;
            }
            case 'advance':
              await clock.advance(op.ms);
              model.advance(op.ms);
              break;
            case 'shutDown':
              shutDownCalled = true;
              queue.shutDown();
              model.shutDown();
              break;
          }
          await check();
        }

        // Let every delayed add fire, then finish all work (workers take what is left) until idle.
        const idle = await clock.runUntilIdle();
        model.advance(idle);
        await check();
        while (held.length > 0 || queue.len > 0) {
          while (held.length > 0) finish(0);
          await check();
          while (queue.len > 0) {
            startWorker();
            await check();
          }
        }
        queue.shutDown();
        model.shutDown();
        await check();
        assert.equal(waiting.size, 0, 'every waiting worker learned the queue is done');

        // Every item was handed out again after its last add (delayed adds fire after the call).
        if (!shutDownCalled) {
          for (const [item, addSeq] of lastAddCall) {
            const last = Math.max(...(handedAt.get(item) ?? [-1]));
            assert.ok(last > addSeq, `${item} added at ${addSeq} but last handed out at ${last}`);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
