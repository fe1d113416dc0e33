/**
 * Go `time.Duration` text (`5m0s`, `1h30m`, `300ms`, `1.5s`, `0`) as milliseconds, because the
 * upstream flags take Go durations and operators will pass the same strings to us.
 *
 * @module
 */

/** Milliseconds per Go unit; `us`/`µs`/`μs` and `ns` are accepted as Go does. */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Why a duration text is invalid (the caller wraps it into a FlagError naming the flag). */
export class DurationParseError extends Error {
  /** The text that failed to parse. */
  readonly text: string;

  constructor(text: string, reason: string) {
    super(`invalid duration ${JSON.stringify(text)}: ${reason}`);
    this.name = 'DurationParseError';
    this.text = text;
  }
}

const SEGMENT = /^(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;


/**
 * Parses a Go duration into milliseconds (may be fractional for sub-millisecond units).
 * As Go's `time.ParseDuration`: an optional sign, then one or more number+unit segments; a bare
 * `0` is the only unit-less form accepted.
 * @throws DurationParseError naming what is wrong (missing unit, unknown unit, empty).
 */
export function parseGoDuration(text: string): number {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new DurationParseError(text, 'empty duration');
  let total = 0;
  while (rest !== '') {
    const match = SEGMENT.exec(rest);
    if (match === null) {
      const number = /^(\d+\.?\d*|\.\d+)/.exec(rest);
      if (number === null) throw new DurationParseError(text, `expected a number at ${JSON.stringify(rest)}`);
      const after = rest.slice(number[0].length);
      if (after === '') throw new DurationParseError(text, 'missing unit (one of ns, us, ms, s, m, h), e.g. "5m0s"');
      throw new DurationParseError(text, `unknown unit ${JSON.stringify(after.replace(/[\d.].*$/, ''))} (expected one of ns, us, ms, s, m, h)`);
    }
    const [whole, num = '', unit = ''] = match;
    total += Number(num) * (UNIT_MS[unit] ?? Number.NaN);
    rest = rest.slice(whole.length);
  }
  // As Go: more than int64 nanoseconds is "invalid duration". Compared in nanoseconds as a float,
  // so the bound is exact to within a nanosecond.
  if (!Number.isFinite(total) || total * 1e6 > 2 ** 63) {
    throw new DurationParseError(text, 'out of range: a Go duration is at most 2562047h47m16.854775807s (about 292 years)');
  }
  return sign * total;
}

/** Trims a number to at most 9 significant fraction digits without trailing zeros. */
export { formatGoDuration } from '../../kube/go-duration.js';
