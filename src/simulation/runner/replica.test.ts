import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../kube/clock.js';
import { KubeApiError } from '../../kube/errors.js';
import { SimulatedApiServer } from '../../kube/memory/index.js';
import { gatedKubeClient } from './process-gate.js';
import { LeaseHolders, Replica, replicaIdentity } from './replica.js';

describe('Replica', () => {
  it('is frozen as a livelock when it sends too many requests at one virtual instant; requests over time are fine', async () => {
    const clock = new FakeClock();
    const server = new SimulatedApiServer({ clock });
    const replica = new Replica(0, 1, clock, () => 0, 100);
    const kube = gatedKubeClient(server.client(), replica.gate, { onRequest: (verb, resource) => replica.noteRequest(verb, resource, clock.now()) });
    // 150 requests spread over time: no livelock.
    for (let i = 0; i < 150; i++) {
      await kube.nodes.list();
      await clock.advance(10);
    }
    assert.equal(replica.livelock, undefined);
    // A retry loop without a delay, as a release that retries every conflict at once.
    server.faults.inject({ verb: 'get', resource: 'nodes', times: Infinity, error: () => new KubeApiError(409, 'Conflict', 'injected') });
    let attempts = 0;
    const spin = (async (): Promise<void> => {
      for (;;) {
        attempts++;
        try {
          await kube.nodes.get({ name: 'n1' });
          return;
        } catch {
          // retried at once
        }
      }
    })();
    await clock.advance(0);
    assert.equal(replica.gate.state, 'killed');
    assert.deepEqual(replica.livelock, { at: 0, requests: 101, last: 'get nodes' });
    assert.equal(attempts, 101, 'the loop is held at its next request, for good');
    assert.match(replica.describeState(), /frozen by the simulator .*livelock: 101 requests at one instant/);
    void spin;
  });

  it('names replicas outrigger-simulator, or outrigger-simulator-<i> when there are several', () => {
    assert.equal(replicaIdentity(0, 1), 'outrigger-simulator');
    assert.deepEqual([0, 1, 2].map((i) => replicaIdentity(i, 3)), ['outrigger-simulator-0', 'outrigger-simulator-1', 'outrigger-simulator-2']);
  });
});

describe('LeaseHolders', () => {
  it('records each holder\'s terms from the observed Lease, closing one when another holder appears', () => {
    let holder: string | undefined;
    let now = 0;
    const h = new LeaseHolders(() => holder, () => now);
    holder = 'a';
    h.observe();
    now = 5;
    h.observe();
    holder = undefined;
    now = 10;
    h.observe();
    holder = 'b';
    now = 12;
    h.observe();
    holder = 'a';
    now = 20;
    h.observe();
    assert.deepEqual(h.terms('a'), [{ from: 0, to: 10 }, { from: 20 }]);
    assert.deepEqual(h.terms('b'), [{ from: 12, to: 20 }]);
    assert.equal(h.holder, 'a');
  });
});
