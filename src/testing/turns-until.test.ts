import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { turnsUntil } from './turns-until.js';

describe('turnsUntil', () => {
  it('resolves on the turn the condition first holds', async () => {
    // Something that happens over three turns, as a FIN crossing loopback hop by hop.
    let hops = 0;
    const hop = (): void => {
      if (++hops < 3) setImmediate(hop);
    };
    setImmediate(hop);
    let checks = 0;
    await turnsUntil(() => hops === 3, 'three hops', { invariant: () => void checks++ });
    assert.equal(hops, 3);
    assert.ok(checks >= 3 && checks <= 5, `checked once a turn (${checks})`);
  });

  it('fails naming what never happened, after the bound', async () => {
    await assert.rejects(turnsUntil(() => false, 'the socket closes', { maxTurns: 5 }), /never happened within 5 turns of the event loop: the socket closes/);
  });

  it('fails at once when the invariant breaks', async () => {
    await assert.rejects(turnsUntil(() => false, 'x', { invariant: () => assert.fail('broken') }), /broken/);
  });
});
