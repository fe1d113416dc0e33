import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { WorkQueue } from '../../kube/work-queue.js';
import { QueueWatch } from './queue-watch.js';

function setup(name = 'service'): { clock: FakeClock; watch: QueueWatch; queue: WorkQueue } {
  const clock = new FakeClock();
  const watch = new QueueWatch(clock);
  return { clock, watch, queue: new WorkQueue({ name, clock: watch, metrics: watch }) };
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

  it('does not count timers that are not delayed requeues, nor the route controller\'s periodic requeue', async () => {
    const { clock, watch } = setup();
    const routes = new WorkQueue({ name: 'Routes', clock: watch, metrics: watch });
    watch.setTimer(1_000, () => {});
    routes.addAfter('routes', 10_000);
    assert.equal(watch.delayedRequeues(), 0);
    // A retry that arms no timer (delay 0) must not tag the next unrelated timer.
    const { queue } = { queue: new WorkQueue({ name: 'x', clock: watch, metrics: watch }) };
    queue.addAfter('k', 0);
    await clock.advance(0);
    watch.setTimer(1_000, () => {});
    assert.equal(watch.delayedRequeues(), 0);
  });
});
