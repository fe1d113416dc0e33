/**
 * Scenario durations: Go duration text (`30s`, `5m`, `1h30m`, `250ms`) as the manager flags take
 * them, so a scenario reads like the command line it simulates.
 *
 * @module
 */
import { parseGoDuration } from '../../manager/options/duration.js';

/** A duration in a scenario is invalid; `text` is the offending input as written. */
export class ScenarioDurationError extends Error {
  override readonly name = 'ScenarioDurationError';
  /** The input as written (a number is shown as its text). */
  readonly text: string;

  constructor(text: string, reason?: string) {
    super(`${JSON.stringify(text)} is not a duration${reason === undefined ? '' : ` (${reason})`}`);
    this.text = text;
  }
}

/**
 * Parses a duration into milliseconds. Text must carry a unit, as Go's `time.ParseDuration`
 * demands (a bare `"30"` is ambiguous: seconds? milliseconds?); only `0` may go without one.
 * A number is taken as milliseconds, for callers building scenarios in code.
 * Negative, fractional-millisecond and non-finite values are refused: virtual time only moves
 * forward, in whole milliseconds.
 * @throws ScenarioDurationError whose message reads `"30" is not a duration (…)`.
 */
export function parseDuration(text: string | number): number {
  let ms: number;
  if (typeof text === 'number') {
    if (!Number.isFinite(text)) throw new ScenarioDurationError(String(text), 'not a finite number');
    ms = text;
  } else {
    const trimmed = text.trim();
    if (/^[+-]?\d+(\.\d+)?$/.test(trimmed) && Number(trimmed) !== 0) {
      throw new ScenarioDurationError(text, `give a unit: "${trimmed}s", "${trimmed}ms"`);
    }
    try {
      ms = parseGoDuration(trimmed);
    } catch (err) {
      const reason = err instanceof Error ? err.message.replace(/^invalid duration "[^"]*": /, '') : undefined;
      throw new ScenarioDurationError(text, reason);
    }
  }
  if (ms < 0) throw new ScenarioDurationError(String(text), 'must not be negative');
  if (!Number.isInteger(ms)) throw new ScenarioDurationError(String(text), 'must be a whole number of milliseconds');
  return ms;
}
