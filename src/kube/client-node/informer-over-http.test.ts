import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../clock.js';
import { Informer } from '../informer.js';
import { SimulatedApiServer } from '../memory/index.js';
import { HttpApiServer } from '../memory/http/index.js';
import { NODES } from '../resources.js';
import type { Node } from '../resources.js';
import { createKubeClient } from './create-kube-client.js';

/** Drives the informer's virtual clock (backoff) while real sockets do their I/O, with a bound. */
async function eventually(clock: FakeClock, cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (cond()) return;
    await clock.advance(100);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('Informer over the client-node adapter and HTTP', () => {
  it('relists after the server drops its watch and compacts history, and ends consistent with the server', async () => {
    const informerClock = new FakeClock();
    const sim = new SimulatedApiServer({ clock: new FakeClock() });
    const face = await HttpApiServer.start({ server: sim });
    const client = await createKubeClient({ master: face.url, env: {}, timeoutMs: 5_000, userAgent: 'informer' });
    const writer = sim.client({ userAgent: 'writer' });
    const abort = new AbortController();
    const informer = new Informer<Node>({ client: client.nodes, clock: informerClock, random: () => 0.5 });
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (n) => seen.push(`add ${n.metadata?.name}`),
      onUpdate: (o, n) => {
        if (o !== n) seen.push(`update ${n.metadata?.name}`);
      },
      onDelete: () => seen.push('delete'),
    });
    const names = (): string[] => informer.keys().sort();
    const serverNames = (): string[] => sim.snapshot(NODES).map((n) => n.metadata?.name ?? '');
    const lists = (): number => face.requests.filter((r) => r.pathname === '/api/v1/nodes' && r.query['watch'] !== 'true').length;
    const watches = (): number => face.requests.filter((r) => r.query['watch'] === 'true').length;
    try {
      await writer.nodes.create({ metadata: { name: 'a' } });
      await writer.nodes.create({ metadata: { name: 'b' } });
      const running = informer.start(abort.signal);
      assert.equal(await informer.waitForSync(abort.signal), true);
      await eventually(informerClock, () => watches() === 1, 'the first watch');
      assert.deepEqual(names(), ['a', 'b']);
      assert.equal(face.requests.find((r) => r.query['watch'] === 'true')?.query['allowWatchBookmarks'], 'true');

      // A dropped watch: the informer re-watches from its last resourceVersion, no relist.
      sim.faults.closeWatches();
      await eventually(informerClock, () => watches() === 2, 'the re-watch');
      await writer.nodes.create({ metadata: { name: 'c' } });
      await eventually(informerClock, () => names().includes('c'), 'node c');
      assert.equal(lists(), 1);

      // The watch drops again and cannot come back at once; meanwhile history moves on and is
      // compacted, so the re-watch from the old version gets 410 and the informer relists.
      face.faults.inject({ watch: true, times: 2, action: { kind: 'respond', status: 500, body: '' } });
      sim.faults.closeWatches();
      await eventually(informerClock, () => watches() >= 3, 'a failed re-watch');
      await writer.nodes.delete({ name: 'a' });
      await writer.nodes.patch({ name: 'b' }, { type: 'merge', body: { metadata: { labels: { x: 'y' } } } });
      await writer.nodes.create({ metadata: { name: 'd' } });
      sim.compactHistory();
      await eventually(informerClock, () => lists() === 2 && names().join() === serverNames().join(), 'the relist');

      assert.deepEqual(names(), ['b', 'c', 'd']);
      assert.deepEqual(informer.get('b')?.metadata?.labels, { x: 'y' });
      assert.ok(seen.includes('delete'), seen.join());
      assert.equal(informer.lastSyncResourceVersion(), sim.resourceVersion());
      abort.abort();
      await running;
    } finally {
      abort.abort();
      client.close();
      await face.close();
    }
  });
});
