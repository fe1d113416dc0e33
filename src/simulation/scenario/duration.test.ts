import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, ScenarioDurationError } from './duration.js';

describe('parseDuration', () => {
  const valid: [string | number, number][] = [
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1_500],
    ['0', 0],
    [' 10s ', 10_000],
    [0, 0],
    [1500, 1500],
  ];
  for (const [input, ms] of valid) {
    it(`reads ${JSON.stringify(input)} as ${ms} ms`, () => assert.equal(parseDuration(input), ms));
  }

  const invalid: [string | number, string][] = [
    ['30', '"30" is not a duration (give a unit: "30s", "30ms")'],
    ['', '"" is not a duration (empty duration)'],
    ['5 minutes', '"5 minutes" is not a duration'],
    ['-5s', '"-5s" is not a duration (must not be negative)'],
    ['1us', '"1us" is not a duration (must be a whole number of milliseconds)'],
    [Number.NaN, '"NaN" is not a duration (not a finite number)'],
  ];
  for (const [input, message] of invalid) {
    it(`refuses ${JSON.stringify(input)}`, () => {
      assert.throws(
        () => parseDuration(input),
        (err: unknown) => err instanceof ScenarioDurationError && err.message.startsWith(message),
      );
    });
  }
});
