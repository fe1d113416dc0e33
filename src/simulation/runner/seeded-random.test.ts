import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom, seededUid } from './seeded-random.js';

describe('seededRandom', () => {
  it('replays the same sequence for the same seed and differs across seeds', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const c = seededRandom(8);
    const xs = Array.from({ length: 5 }, () => a());
    assert.deepEqual(Array.from({ length: 5 }, () => b()), xs);
    assert.notDeepEqual(Array.from({ length: 5 }, () => c()), xs);
  });
  it('always draws in [0, 1)', () => {
    fc.assert(fc.property(fc.integer(), (seed) => {
      const r = seededRandom(seed);
      for (let i = 0; i < 50; i++) {
        const x = r();
        if (!(x >= 0 && x < 1)) return false;
      }
      return true;
    }));
  });
});

describe('seededUid', () => {
  it('makes deterministic version-4-shaped uids', () => {
    const u = seededUid(seededRandom(1));
    const first = u();
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(seededUid(seededRandom(1))(), first);
    assert.notEqual(u(), first);
  });
  it('keeps the uids of earlier versions (digit by digit from the same draws)', () => {
    const random = seededRandom(5);
    const expected = (): string => {
      const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
      return `${hex(8)}-${hex(4)}-4${hex(3)}-${(8 + Math.floor(random() * 4)).toString(16)}${hex(3)}-${hex(12)}`;
    };
    const u = seededUid(seededRandom(5));
    for (let i = 0; i < 200; i++) assert.equal(u(), expected());
  });
});
