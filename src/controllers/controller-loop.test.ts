import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetryError } from '../cloud/errors.js';
import { FakeClock } from '../kube/clock.js';
import { ItemExponentialFailureRateLimiter } from '../kube/rate-limiter.js';
import { noopLogger } from '../log/logger.js';
import { ControllerLoop, type Reconciler } from './controller-loop.js';

function setup(reconcile: Reconciler) {
  const clock = new FakeClock();
  const outcomes: string[] = [];
  const loop = new ControllerLoop({
    name: 'test',
    clock,
    logger: noopLogger,
    reconcile,
    rateLimiter: new ItemExponentialFailureRateLimiter(5_000, 300_000),
    observe: (e) => outcomes.push(`${e.key}:${e.outcome}`),
  });
  return { clock, loop, outcomes };
}

describe('ControllerLoop', () => {
  it('forgets a key after a successful reconcile', async () => {
    const { loop, outcomes } = setup(async () => undefined);
    loop.enqueue('a');
    assert.equal(await loop.processNext(), true);
    assert.deepEqual(outcomes, ['a:success']);
    assert.equal(loop.queue.numRequeues('a'), 0);
    assert.equal(loop.queue.len, 0);
  });

  it('requeues a failing key with per-item exponential backoff (5 s, then 10 s)', async () => {
    let calls = 0;
    const { loop, clock, outcomes } = setup(async () => {
      calls++;
      throw new Error('cloud down');
    });
    loop.enqueue('a');
    await loop.processNext();
    assert.equal(loop.queue.len, 0, 'not immediately requeued');
    await clock.advance(4_999);
    assert.equal(loop.queue.len, 0);
    await clock.advance(1);
    assert.equal(loop.queue.len, 1, 'requeued after 5 s');
    await loop.processNext();
    await clock.advance(9_999);
    assert.equal(loop.queue.len, 0);
    await clock.advance(1);
    assert.equal(loop.queue.len, 1, 'requeued after 10 s');
    assert.equal(calls, 2);
    assert.deepEqual(outcomes, ['a:error', 'a:error']);
  });

  it('retries a RetryError after its own delay without touching the backoff', async () => {
    const { loop, clock, outcomes } = setup(async () => {
      throw new Error('wrapped', { cause: new RetryError('still provisioning', 30_000) });
    });
    loop.enqueue('a');
    await loop.processNext();
    assert.equal(loop.queue.numRequeues('a'), 0);
    await clock.advance(29_999);
    assert.equal(loop.queue.len, 0);
    await clock.advance(1);
    assert.equal(loop.queue.len, 1);
    assert.deepEqual(outcomes, ['a:retry_after']);
  });

  it('honours requeueAfterMs on success', async () => {
    const { loop, clock, outcomes } = setup(async () => ({ requeueAfterMs: 60_000 }));
    loop.enqueue('a');
    await loop.processNext();
    await clock.advance(59_999);
    assert.equal(loop.queue.len, 0);
    await clock.advance(1);
    assert.equal(loop.queue.len, 1);
    assert.deepEqual(outcomes, ['a:requeue_after']);
  });

  it('never reconciles one key on two workers at once, and re-runs a key added during its reconcile', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const gates: (() => void)[] = [];
    const { loop } = setup(async () => {
      active++;
      runs++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((resolve) => gates.push(resolve));
      active--;
    });
    const controller = new AbortController();
    const running = loop.run(controller.signal, 4);
    loop.enqueue('a');
    await new Promise((r) => setImmediate(r));
    loop.enqueue('a'); // while 'a' is in flight
    loop.enqueue('a');
    await new Promise((r) => setImmediate(r));
    assert.equal(gates.length, 1, 'second worker did not take a');
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
    assert.equal(gates.length, 1, 'a ran once more after done');
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
    controller.abort();
    await running;
    assert.equal(maxActive, 1);
    assert.equal(runs, 2);
  });

  it('stops workers when the signal aborts and leaves pending keys unreconciled', async () => {
    const seen: string[] = [];
    const { loop } = setup(async (key) => {
      seen.push(key);
    });
    const controller = new AbortController();
    controller.abort();
    loop.enqueue('a');
    await loop.run(controller.signal, 2);
    assert.deepEqual(seen, []);
  });

  it('rejects a non-positive worker count', async () => {
    const { loop } = setup(async () => undefined);
    await assert.rejects(loop.run(new AbortController().signal, 0), /workers must be a positive integer/);
  });
});
