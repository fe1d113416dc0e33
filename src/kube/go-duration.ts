/**
 * Durations printed the way Go's `time.Duration.String()` prints them, so messages and
 * `/configz` read as upstream's do. One formatter for flags, controllers and providers.
 *
 * @module
 */

function trimNumber(n: number): string {
  return String(Number(n.toFixed(9)));
}

/**
 * Formats milliseconds as Go's `Duration.String()` does: `0s`, `300ms`, `1.5s`, `5m0s`, `1h30m0s`.
 */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1e-3) return `${sign}${trimNumber(abs * 1e6)}ns`;
  if (abs < 1) return `${sign}${trimNumber(abs * 1e3)}µs`;
  if (abs < 1000) return `${sign}${trimNumber(abs)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs - hours * 3_600_000) / 60_000);
  const seconds = (abs - hours * 3_600_000 - minutes * 60_000) / 1000;
  let out = `${trimNumber(seconds)}s`;
  if (hours > 0 || minutes > 0) out = `${minutes}m${out}`;
  if (hours > 0) out = `${hours}h${out}`;
  return `${sign}${out}`;
}
