import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { WorkQueue } from '../../kube/work-queue.js';
import { QueueWatch } from './queue-watch.js';

function setup(name = 'service'): { clock: FakeClock; watch: QueueWatch; queue: WorkQueue } {
  const clock = new FakeClock();
  const watch = new QueueWatch();
  return { clock, watch, queue: new WorkQueue({ name, clock, metrics: watch }) };
}

describe('QueueWatch', () => {
  it('is busy while a key is pending or in flight and idle after done', async () => {
    const { watch, queue } = setup();
    assert.equal(watch.idle(), true);
    queue.add('a');
    assert.equal(watch.idle(), false);
    const key = await queue.get();
    assert.equal(key, 'a');
    assert.equal(watch.busyKeys(), 1);
    queue.done('a');
    assert.equal(watch.idle(), true);
  });

  it('counts a delayed requeue as owed work until its timer fires', async () => {
    const { clock, watch, queue } = setup();
    queue.addAfter('a', 5_000);
    assert.equal(watch.delayedRequeues(), 1);
    assert.equal(watch.idle(), false);
    assert.deepEqual(watch.describeBusy(), ['service: 0 pending, 0 in flight, 1 delayed']);
    await clock.advance(5_000);
    assert.equal(watch.delayedRequeues(), 0);
    assert.equal(watch.busyKeys(), 1, 'the key is now pending');
  });

  it('forgets a delayed requeue cancelled by shutdown', () => {
    const { watch, queue } = setup();
    queue.addAfter('a', 5_000);
    queue.shutDown();
    assert.equal(watch.delayedRequeues(), 0);
  });

  it('counts what the queue reports: a shorter delay replaces a longer one, a longer one is ignored', async () => {
    const { clock, watch, queue } = setup();
    queue.addAfter('a', 5_000);
    queue.addAfter('a', 1_000);
    queue.addAfter('a', 9_000);
    queue.addAfter('b', 2_000);
    assert.equal(queue.delayed, 2);
    assert.equal(watch.delayedRequeues(), 2);
    await clock.advance(1_000);
    assert.equal(watch.delayedRequeues(), 1);
    await clock.advance(1_000);
    assert.equal(queue.delayed, 0);
    assert.equal(watch.delayedRequeues(), 0);
  });

  it("does not count the route controller's periodic requeue, nor an addAfter without delay", async () => {
    const { clock, watch } = setup();
    const routes = new WorkQueue({ name: 'Routes', clock, metrics: watch });
    routes.addAfter('routes', 10_000);
    assert.equal(routes.delayed, 1);
    assert.equal(watch.delayedRequeues(), 0);
    const other = new WorkQueue({ name: 'x', clock, metrics: watch });
    other.addAfter('k', 0);
    assert.equal(other.delayed, 0);
    assert.equal(watch.delayedRequeues(), 0);
    assert.equal(watch.busyKeys(), 1, 'added at once');
  });
});
