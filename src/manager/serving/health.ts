/**
 * Health endpoints in the apiserver healthz library's text format (`k8s.io/apiserver/pkg/server/
 * healthz`), which probes, dashboards and operators' scripts parse: one line per check,
 * `[+]name ok` or `[-]name failed: reason withheld` (the reason goes to the log, never to the
 * client), `?exclude=name` skips a check, `?verbose` lists the checks on success too.
 *
 * @module
 */
import { inspect } from 'node:util';

/** One named check; `check` throws (or rejects) when unhealthy. */
export interface HealthCheck {
  readonly name: string;
  check(): void | Promise<void>;
}

/** An HTTP answer: status and plain-text body. */
export interface HealthResponse {
  readonly status: number;
  readonly body: string;
}

/** A check that failed, for the log. */
export interface HealthFailure {
  readonly name: string;
  readonly error: unknown;
}

/** Always healthy: the apiserver's `ping` check, used when nothing else is registered. */
export const pingCheck: HealthCheck = { name: 'ping', check: () => {} };

/** Wraps a function as a {@link HealthCheck}. */
export function healthCheck(name: string, check: () => void | Promise<void>): HealthCheck {
  return { name, check };
}

/** Query options of an aggregated health endpoint. */
export interface HealthQuery {
  /** `?verbose` present: list every check even when all pass. */
  readonly verbose: boolean;
  /** `?exclude=` values: checks to skip. */
  readonly exclude: readonly string[];
}

async function run(check: HealthCheck): Promise<unknown> {
  try {
    await check.check();
    return undefined;
  } catch (err) {
    // A check that throws `undefined` still failed.
    return err ?? new Error('check failed');
  }
}

/**
 * Runs `checks` in order for the aggregated endpoint `endpoint` (`healthz`, `livez`, `readyz`).
 * As the apiserver: 200 `ok` (or the verbose list ending `<endpoint> check passed`) when all pass;
 * 500 with the verbose list ending `<endpoint> check failed` when one fails.
 */
export async function evaluateHealth(
  endpoint: string,
  checks: readonly HealthCheck[],
  query: HealthQuery,
  onFailure: (failure: HealthFailure) => void = () => {},
): Promise<HealthResponse> {
  const excluded = new Set(query.exclude);
  let out = '';
  let failed = false;
  for (const check of checks) {
    if (excluded.delete(check.name)) {
      out += `[+]${check.name} excluded: ok\n`;
      continue;
    }
    const error = await run(check);
    if (error === undefined) {
      out += `[+]${check.name} ok\n`;
    } else {
      failed = true;
      out += `[-]${check.name} failed: reason withheld\n`;
      onFailure({ name: check.name, error });
    }
  }
  if (excluded.size > 0) {
    out += `warn: some health checks cannot be excluded: no matches for ${[...excluded].map((name) => JSON.stringify(name)).join(',')}\n`;
  }
  if (failed) return { status: 500, body: `${out}${endpoint} check failed\n` };
  return { status: 200, body: query.verbose ? `${out}${endpoint} check passed\n` : 'ok' };
}

/** Runs one check for `/<endpoint>/<name>`: 200 `ok`, or 500 with the error (as the apiserver). */
export async function evaluateSingleCheck(check: HealthCheck): Promise<HealthResponse> {
  const error = await run(check);
  if (error === undefined) return { status: 200, body: 'ok' };
  return { status: 500, body: `internal server error: ${error instanceof Error ? error.message : typeof error === 'string' ? error : inspect(error)}\n` };
}
