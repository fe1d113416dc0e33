import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DurationParseError, formatGoDuration, parseGoDuration } from './duration.js';

describe('parseGoDuration', () => {
  const ok: [string, number][] = [
    ['0', 0],
    ['0s', 0],
    ['300ms', 300],
    ['1.5s', 1500],
    ['5m0s', 300_000],
    ['1h30m', 5_400_000],
    ['12h', 43_200_000],
    ['-2s', -2000],
    ['+2s', 2000],
    ['1500us', 1.5],
    ['2000000ns', 2],
    ['.5s', 500],
  ];
  for (const [text, ms] of ok) {
    it(`parses ${text} as ${ms} ms`, () => assert.equal(parseGoDuration(text), ms));
  }
  const bad: [string, RegExp][] = [
    ['', /empty duration/],
    ['5', /missing unit/],
    ['5x', /unknown unit "x"/],
    ['m', /expected a number/],
    ['1h-3m', /expected a number/],
    // As Go's ParseDuration: time.Duration is int64 nanoseconds (about 292 years).
    ['2562048h', /out of range: a Go duration is at most 2562047h47m16\.854775807s/],
    ['-2562048h', /out of range/],
    ['9'.repeat(400) + 'h', /out of range/],
  ];
  for (const [text, why] of bad) {
    it(`rejects ${JSON.stringify(text)} saying ${why.source}`, () => {
      assert.throws(() => parseGoDuration(text), (err: unknown) => err instanceof DurationParseError && why.test(err.message));
    });
  }
});

describe('the Go duration range', () => {
  it('accepts the longest Go duration, 2562047h47m16.854775807s', () => {
    assert.ok(Math.abs(parseGoDuration('2562047h47m16.854775807s') - 2 ** 63 / 1e6) < 1);
  });
});

describe('formatGoDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [300, '300ms'],
    [1500, '1.5s'],
    [300_000, '5m0s'],
    [5_400_000, '1h30m0s'],
    [-2000, '-2s'],
  ];
  for (const [ms, text] of cases) {
    it(`formats ${ms} ms as ${text} like Go's Duration.String`, () => assert.equal(formatGoDuration(ms), text));
  }

  it('round-trips every whole-millisecond duration through format then parse', () => {
    fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (ms) => parseGoDuration(formatGoDuration(ms)) === ms));
  });
});
