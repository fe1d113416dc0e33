import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../kube/clock.js';
import { SimulatedApiServer } from '../kube/memory/index.js';
import { waitForObjects } from './wait-for.js';

describe('waitForObjects', () => {
  it('resolves with the objects once a change makes the condition true', async () => {
    const clock = new FakeClock();
    const kube = new SimulatedApiServer({ clock }).client();
    const waiting = waitForObjects({ client: kube.nodes, clock, random: () => 0.5, timeoutMs: 10_000, done: (ns) => ns.some((n) => n.metadata?.name === 'b') });
    await kube.nodes.create({ metadata: { name: 'a' } });
    await kube.nodes.create({ metadata: { name: 'b' } });
    assert.deepEqual((await waiting)?.map((n) => n.metadata?.name).sort(), ['a', 'b']);
    assert.equal(clock.pendingTimers, 0, 'the deadline timer is cancelled');
  });

  it('resolves undefined at the deadline, on the clock', async () => {
    const clock = new FakeClock();
    const kube = new SimulatedApiServer({ clock }).client();
    const waiting = waitForObjects({ client: kube.nodes, clock, random: () => 0.5, timeoutMs: 10_000, done: () => false });
    await clock.advance(10_000);
    assert.equal(await waiting, undefined);
  });

  it('resolves undefined when its signal aborts', async () => {
    const clock = new FakeClock();
    const kube = new SimulatedApiServer({ clock }).client();
    const stop = new AbortController();
    const waiting = waitForObjects({ client: kube.nodes, clock, random: () => 0.5, timeoutMs: 10_000, done: () => false, signal: stop.signal });
    stop.abort();
    assert.equal(await waiting, undefined);
  });
});
