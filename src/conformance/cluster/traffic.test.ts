import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stoppedAnsweringAfter } from './traffic.js';
import type { ProbeResult } from './traffic.js';

const answered: ProbeResult = { answered: true };
const silent: ProbeResult = { answered: false, why: 'ECONNREFUSED' };

describe('stoppedAnsweringAfter', () => {
  it('holds only after that many unanswered probes in a row; an answer starts the count again', () => {
    const stopped = stoppedAnsweringAfter(3);
    const seen = [silent, silent, answered, silent, silent, silent].map((r) => stopped(r));
    assert.deepEqual(seen, [false, false, false, false, false, true]);
  });

  it('a single lost probe between answers is never taken for a closed load balancer', () => {
    const stopped = stoppedAnsweringAfter(3);
    for (let i = 0; i < 10; i++) {
      assert.equal(stopped(answered), false);
      assert.equal(stopped(silent), false);
    }
  });
});
