/**
 * The wire formats of `metav1.Time` and `metav1.MicroTime`.
 *
 * @module
 */

let lastSecond = Number.NaN;
let lastFormatted = '';

/**
 * `metav1.Time`: RFC 3339 in UTC with whole seconds (`2026-01-01T00:00:00Z`). The last answer is
 * reused within its second: on a virtual clock tens of thousands of objects and events share a
 * second, and so share one string instead of holding one each.
 */
export function formatMetav1Time(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastFormatted = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    lastSecond = second;
  }
  return lastFormatted;
}

/** `metav1.MicroTime`: RFC 3339 in UTC with six fractional digits (`…T00:00:00.123000Z`). */
export function formatMetav1MicroTime(ms: number): string {
  return new Date(Math.floor(ms)).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
