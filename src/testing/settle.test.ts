import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../kube/clock.js';
import { WorkQueue } from '../kube/work-queue.js';
import { QueueWatch } from '../simulation/runner/queue-watch.js';
import { settle } from './settle.js';

/** A worker that takes keys from `queue` and finishes each after `workMs` of virtual time. */
function worker(clock: FakeClock, queue: WorkQueue, workMs: number, done: string[]): void {
  void (async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (workMs > 0) await clock.sleep(workMs);
      done.push(key);
      queue.done(key);
    }
  })();
}

describe('settle', () => {
  it('runs a chain of zero-delay timers and continuations to its end, however long, without time passing', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    let hops = 0;
    const hop = (): void => {
      if (++hops < 500) clock.setTimer(0, () => void Promise.resolve().then(hop));
    };
    hop();
    assert.equal(await settle(clock), true);
    assert.equal(hops, 500);
    assert.equal(clock.now(), start);
  });

  it('waits for the queues: work done at this instant', async () => {
    const clock = new FakeClock();
    const queues = new QueueWatch();
    const queue = new WorkQueue({ name: 'q', clock, metrics: queues });
    const done: string[] = [];
    worker(clock, queue, 0, done);
    queue.add('a');
    queue.add('b');
    assert.equal(await settle(clock, { queues }), true);
    assert.deepEqual(done, ['a', 'b']);
    queue.shutDown();
  });

  it('lets virtual time pass for owed work only within withinMs, and says whether the queues ended idle', async () => {
    const clock = new FakeClock();
    const queues = new QueueWatch();
    const queue = new WorkQueue({ name: 'q', clock, metrics: queues });
    const done: string[] = [];
    worker(clock, queue, 5_000, done);
    queue.add('slow');
    const start = clock.now();
    assert.equal(await settle(clock, { queues }), false, 'time stands still by default');
    assert.equal(clock.now(), start);
    assert.equal(await settle(clock, { queues, withinMs: 1_000 }), false);
    assert.equal(await settle(clock, { queues, withinMs: 60_000 }), true);
    assert.equal(clock.now() - start, 5_000, 'stopped as soon as the work was done');
    assert.deepEqual(done, ['slow']);
    queue.shutDown();
  });

  it('does not wait for periodic timers when nothing is owed', async () => {
    const clock = new FakeClock();
    const queues = new QueueWatch();
    clock.setTimer(60_000, () => {});
    assert.equal(await settle(clock, { queues, withinMs: 120_000 }), true);
    assert.equal(clock.nextTimerAt() !== undefined, true, 'the periodic timer still waits');
  });
});
