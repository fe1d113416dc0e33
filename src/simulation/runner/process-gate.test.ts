import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import { NODES } from '../../kube/resources.js';
import type { Node } from '../../kube/resources.js';
import { gatedKubeClient, ProcessClock, ProcessGate } from './process-gate.js';

const node = (name: string): Node => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });

describe('ProcessGate and ProcessClock', () => {
  it('timers that fall due while paused fire on resume, in order; a cancelled one never', async () => {
    const clock = new FakeClock();
    const gate = new ProcessGate();
    const pc = new ProcessClock(clock, gate);
    const fired: string[] = [];
    pc.setTimer(1_000, () => fired.push('a'));
    const b = pc.setTimer(2_000, () => fired.push('b'));
    pc.setTimer(3_000, () => fired.push('c'));
    gate.pause();
    await clock.advance(5_000);
    assert.deepEqual(fired, []);
    b.cancel();
    await gate.resume();
    assert.deepEqual(fired, ['a', 'c']);
  });

  it('a killed process fires no timer and holds its requests for good; its watches are closed', async () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const gate = new ProcessGate();
    const kube = gatedKubeClient(server.client(), gate);
    const pc = new ProcessClock(clock, gate);
    let fired = false;
    pc.setTimer(1_000, () => (fired = true));
    const stream = await kube.nodes.watch();
    const events = stream[Symbol.asyncIterator]();
    gate.kill();
    let answered = false;
    void kube.nodes.create(node('n1')).then(() => (answered = true));
    await clock.advance(5_000);
    assert.equal(fired, false);
    assert.equal(answered, false);
    assert.equal(server.objects(NODES).length, 0, 'the request never left');
    let next = false;
    void events.next().then(() => (next = true));
    await clock.advance(0);
    assert.equal(next, false, 'nothing reaches a dead process');
  });

  it('resume delivers held answers and watch events before the overdue timers fire', async () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const gate = new ProcessGate();
    const kube = gatedKubeClient(server.client(), gate);
    const pc = new ProcessClock(clock, gate);
    const order: string[] = [];
    const stream = await kube.nodes.watch();
    const events = stream[Symbol.asyncIterator]();
    void events.next().then((r) => order.push(`watch ${r.done === true ? 'end' : r.value.object.metadata?.name ?? ''}`));
    pc.setTimer(1_000, () => order.push('timer'));
    gate.pause();
    // The watch event for n1 and the answer to a read issued before the pause both wait.
    await server.client().nodes.create(node('n1'));
    await clock.advance(2_000);
    assert.deepEqual(order, []);
    await gate.resume();
    assert.deepEqual(order, ['watch n1', 'timer']);
  });

  it('requests made while paused reach the server only on resume; the write hook sees each accepted write', async () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const gate = new ProcessGate();
    const writes: string[] = [];
    const kube = gatedKubeClient(server.client(), gate, { onWrite: (r) => writes.push(r) });
    gate.pause();
    const created = kube.nodes.create(node('n1'));
    await clock.advance(1_000);
    assert.deepEqual(writes, []);
    assert.deepEqual(server.snapshot(NODES), []);
    await gate.resume();
    assert.equal((await created).metadata?.name, 'n1');
    assert.deepEqual(writes, ['nodes']);
  });

  it('refuses pause, resume and kill out of order', async () => {
    const gate = new ProcessGate();
    await assert.rejects(gate.resume(), /cannot resume a running process/);
    gate.pause();
    assert.throws(() => gate.pause(), /cannot pause a paused process/);
    gate.kill();
    assert.throws(() => gate.kill(), /already killed/);
  });
});
