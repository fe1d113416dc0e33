import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration } from './human-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('humanDuration (kube-apiserver AGE cells)', () => {
  it('prints seconds up to two minutes, then minutes with seconds under ten minutes', () => {
    assert.equal(humanDuration(0), '0s');
    assert.equal(humanDuration(-1500), '0s', 'up to a second of clock skew is now');
    assert.equal(humanDuration(-2500), '<invalid>');
    assert.equal(humanDuration(119 * S), '119s');
    assert.equal(humanDuration(2 * M), '2m');
    assert.equal(humanDuration(3 * M + 10 * S), '3m10s');
    assert.equal(humanDuration(10 * M + 10 * S), '10m');
  });

  it('prints hours with minutes under eight hours, days with hours under eight days, then days and years', () => {
    assert.equal(humanDuration(179 * M), '179m');
    assert.equal(humanDuration(3 * H), '3h');
    assert.equal(humanDuration(5 * H + 7 * M), '5h7m');
    assert.equal(humanDuration(47 * H + 59 * M), '47h');
    assert.equal(humanDuration(2 * D + 4 * H), '2d4h');
    assert.equal(humanDuration(3 * D), '3d');
    assert.equal(humanDuration(400 * D), '400d');
    assert.equal(humanDuration(2 * 365 * D + 3 * D), '2y3d');
    assert.equal(humanDuration(9 * 365 * D), '9y');
  });
});
