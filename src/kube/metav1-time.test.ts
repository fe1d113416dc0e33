import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatMetav1MicroTime, formatMetav1Time } from './metav1-time.js';

describe('metav1 time formats', () => {
  it('formats metav1.Time with whole seconds and reuses the string within a second', () => {
    const t = Date.UTC(2026, 0, 1, 12, 34, 56, 789);
    assert.equal(formatMetav1Time(t), '2026-01-01T12:34:56Z');
    assert.equal(formatMetav1Time(t + 200), formatMetav1Time(t));
    assert.equal(formatMetav1Time(t + 211), '2026-01-01T12:34:57Z');
    assert.equal(formatMetav1Time(t - 1_000), '2026-01-01T12:34:55Z', 'going back in time is fine too');
  });

  it('formats metav1.MicroTime with six fractional digits', () => {
    assert.equal(formatMetav1MicroTime(Date.UTC(2026, 0, 1, 0, 0, 0, 7)), '2026-01-01T00:00:00.007000Z');
  });
});
