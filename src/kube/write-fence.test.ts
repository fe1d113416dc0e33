import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { FakeClock } from './clock.js';
import { SimulatedApiServer } from './memory/index.js';
import { fencedClient, NotLeaderError, WriteFence } from './write-fence.js';

describe('fencedClient', () => {
  it('lets reads through and refuses every write verb, naming it, once the fence closes', async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const fence = new WriteFence();
    let leading = true;
    fence.guard(() => leading, 'the Lease is no longer held');
    const kube = fencedClient(server.client(), fence);
    await kube.nodes.create({ metadata: { name: 'n1' } });
    await kube.services.create({ metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ port: 80 }] } });
    const before = server.resourceVersion();
    leading = false;
    const key = { namespace: 'default', name: 'web' };
    const writes: [string, () => Promise<unknown>][] = [
      ['create nodes', () => kube.nodes.create({ metadata: { name: 'n2' } })],
      ['update nodes n1', async () => kube.nodes.update(await kube.nodes.get({ name: 'n1' }))],
      ['update status of nodes n1', async () => kube.nodes.updateStatus(await kube.nodes.get({ name: 'n1' }))],
      ['patch services default/web', () => kube.services.patch(key, { type: 'merge', body: {} })],
      ['patch status of services default/web', () => kube.services.patchStatus(key, { type: 'merge', body: {} })],
      ['delete services default/web', () => kube.services.delete(key)],
      ['create events', () => kube.events.create({ metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1' } })],
    ];
    for (const [what, write] of writes) {
      await assert.rejects(write(), (err: unknown) => err instanceof NotLeaderError && err.message === `refusing to ${what}: the Lease is no longer held`, what);
    }
    assert.equal(server.resourceVersion(), before, 'nothing was written');
    assert.equal((await kube.nodes.list()).items.length, 1, 'reads still work');
  });

  it('bounds every write by the writer\'s stop signal', async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const stop = new AbortController();
    const kube = fencedClient(server.client(), new WriteFence(), stop.signal);
    stop.abort(new Error('leadership ended'));
    await assert.rejects(kube.nodes.create({ metadata: { name: 'n1' } }), /leadership ended/);
    assert.deepEqual((await server.client().nodes.list()).items, []);
  });

  it('checks again as the request leaves: a write that passed the fence, then waited (throttling, a paused process), is not sent once the Lease is gone', async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const fence = new WriteFence();
    let leading = true;
    fence.guard(() => leading, 'the Lease is no longer held');
    // An inner client that holds each write (as a rate limiter or a stopped process would) until released.
    const held: (() => void)[] = [];
    const base = server.client({ userAgent: 'ccm' });
    const slow = { ...base, events: { ...base.events, type: base.events.type, create: async (obj: Parameters<typeof base.events.create>[0], o?: Parameters<typeof base.events.create>[1]) => (await new Promise<void>((r) => held.push(r)), base.events.create(obj, o)) } };
    const kube = fencedClient(slow, fence);
    const write = kube.events.create({ metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Node', name: 'n1' } });
    assert.equal(held.length, 1, 'the write passed the first check and waits');
    leading = false;
    held[0]?.();
    await assert.rejects(write, (err: unknown) => err instanceof NotLeaderError);
    assert.equal(server.requestCounts().filter((c) => c.userAgent === 'ccm').length, 0, 'nothing reached the server, not even as a refused request');
  });

  it('links the caller\'s and the writer\'s signals for each request only (AbortSignal.any kept every request\'s signal tied to them for good)', async () => {
    const server = new SimulatedApiServer({ clock: new FakeClock() });
    const stop = new AbortController();
    const caller = new AbortController();
    const base = server.client();
    const seen: AbortSignal[] = [];
    const spy = { ...base, nodes: { ...base.nodes, type: base.nodes.type, create: (obj: Parameters<typeof base.nodes.create>[0], o?: Parameters<typeof base.nodes.create>[1]) => (o?.signal !== undefined && seen.push(o.signal), base.nodes.create(obj, o)) } };
    const kube = fencedClient(spy, new WriteFence(), stop.signal);
    for (let i = 0; i < 20; i++) await kube.nodes.create({ metadata: { name: `n${i}` } }, { signal: caller.signal });
    assert.ok(getEventListeners(stop.signal, 'abort').length <= 1, 'one shared listener at most');
    stop.abort(new Error('leadership ended'));
    assert.equal(seen.length, 20);
    assert.ok(seen.every((s) => !s.aborted), 'a finished request is no longer linked');
  });
});
