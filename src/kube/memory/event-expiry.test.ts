import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.js';
import type { KubeClient } from '../client.js';
import { take } from '../conformance/assertions.js';
import { DEFAULT_EVENT_TTL_MS, ExpiryQueue } from './event-expiry.js';
import { SimulatedApiServer } from './simulated-api-server.js';

const HOUR = 3_600_000;

function setup(eventTtlMs?: number): { clock: FakeClock; server: SimulatedApiServer; kube: KubeClient } {
  const clock = new FakeClock();
  const server = new SimulatedApiServer({ clock, ...(eventTtlMs === undefined ? {} : { eventTtlMs }) });
  return { clock, server, kube: server.client({ userAgent: 'test' }) };
}

const event = (name: string, extra: { finalizers?: string[] } = {}) => ({
  metadata: { name, namespace: 'default', ...(extra.finalizers === undefined ? {} : { finalizers: extra.finalizers }) },
  involvedObject: { kind: 'Node', name: 'n1' },
  reason: 'Synced',
  message: 'Node synced successfully',
  count: 1,
});

const names = async (kube: KubeClient): Promise<string[]> => (await kube.events.list()).items.map((e) => e.metadata?.name ?? '');

describe('SimulatedApiServer: Event TTL (--event-ttl)', () => {
  it('deletes an Event one hour after its last write, with a DELETED watch event at a new resourceVersion', async () => {
    assert.equal(DEFAULT_EVENT_TTL_MS, HOUR);
    const { clock, server, kube } = setup();
    await kube.events.create(event('a'));
    await clock.advance(1_000);
    await kube.events.create(event('b'));
    const watch = await kube.events.watch({ resourceVersion: server.resourceVersion() });
    await clock.advance(HOUR - 1_001);
    assert.deepEqual(await names(kube), ['a', 'b'], 'one millisecond before the hour');
    await clock.advance(1);
    assert.deepEqual(await names(kube), ['b']);
    const [deleted] = await take(watch, 1);
    assert.equal(deleted?.type, 'DELETED');
    assert.equal(deleted?.object.metadata?.name, 'a');
    assert.equal(deleted?.object.metadata?.resourceVersion, server.resourceVersion(), 'the expiry is a write of its own');
    await clock.advance(1_000);
    assert.deepEqual(await names(kube), []);
    watch.close();
  });

  it('every write renews the hour (as the Event storage TTLFunc on update)', async () => {
    const { clock, kube } = setup();
    await kube.events.create(event('a'));
    await clock.advance(HOUR / 2);
    await kube.events.patch({ namespace: 'default', name: 'a' }, { type: 'strategic', body: { count: 2 } });
    await clock.advance(HOUR / 2);
    assert.deepEqual(await names(kube), ['a'], 'renewed by the patch');
    await clock.advance(HOUR / 2);
    assert.deepEqual(await names(kube), []);
  });

  it('finalizers do not hold an expired Event (the lease deletes it in etcd)', async () => {
    const { clock, kube } = setup();
    await kube.events.create(event('a', { finalizers: ['example.com/hold'] }));
    await clock.advance(HOUR);
    assert.deepEqual(await names(kube), []);
  });

  it('only Events expire; eventTtlMs 0 keeps them for ever; a negative TTL is refused', async () => {
    const { clock, kube } = setup(0);
    await kube.events.create(event('a'));
    await kube.nodes.create({ metadata: { name: 'n1' } });
    await clock.advance(100 * HOUR);
    assert.deepEqual(await names(kube), ['a']);
    const short = setup(1_000);
    await short.kube.nodes.create({ metadata: { name: 'n1' } });
    await short.kube.events.create(event('a'));
    await short.clock.advance(1_000);
    assert.deepEqual(await names(short.kube), []);
    assert.equal((await short.kube.nodes.list()).items.length, 1);
    assert.throws(() => new SimulatedApiServer({ clock, eventTtlMs: -1 }), /eventTtlMs/);
  });
});

describe('ExpiryQueue', () => {
  it('hands out entries in due order, each once, and keeps its storage bounded', () => {
    const queue = new ExpiryQueue(10);
    for (let i = 0; i < 5_000; i++) queue.written(`k${i}`, i, i);
    const seen: number[] = [];
    queue.expire(2_509, (_key, rv) => seen.push(rv));
    assert.equal(seen.length, 2_500);
    assert.deepEqual(seen.slice(0, 3), [0, 1, 2]);
    assert.equal(queue.length, 2_500);
    queue.expire(2_509, () => assert.fail('nothing more is due'));
    queue.expire(10_000, (_key, rv) => seen.push(rv));
    assert.equal(seen.length, 5_000);
    assert.equal(queue.length, 0);
    assert.throws(() => new ExpiryQueue(0), /TTL/);
  });

  it('keeps order across its chunks when writes and expiries interleave, a used-up partial chunk included', () => {
    const queue = new ExpiryQueue(1);
    const seen: number[] = [];
    let rv = 0;
    // Sizes chosen to end on, and straddle, the 1,024-entry chunk boundary.
    for (const burst of [1, 1_023, 1, 1_024, 2_047, 3, 1_025]) {
      for (let i = 0; i < burst; i++) queue.written(`k${rv}`, rv, rv++);
      queue.expire(rv, (_key, at) => seen.push(at));
      assert.equal(queue.length, 0, `after a burst of ${burst}`);
    }
    assert.deepEqual(seen, Array.from({ length: rv }, (_, i) => i));
  });
});
