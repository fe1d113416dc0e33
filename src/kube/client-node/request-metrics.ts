/**
 * Request metrics of the Kubernetes client, as client-go's `rest_client_requests_total` (count by
 * code) and `rest_client_request_duration_seconds` (latency by verb), here keyed by verb,
 * resource and code together. The sink is injected; an in-memory one is the default.
 *
 * @module
 */

/** One HTTP attempt: retries are observed separately, as client-go counts each request it sends. */
export interface RequestObservation {
  /** `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`. */
  readonly verb: string;
  /** Plural resource, `x/status` for the status subresource. */
  readonly resource: string;
  /** HTTP status code, or `<error>` when no answer came (client-go's label for that case). */
  readonly code: string;
  /** Milliseconds from sending the request to its answer (headers, for watches). */
  readonly latencyMs: number;
}

/** Receives one observation per HTTP attempt. */
export interface RequestMetrics {
  observe(observation: RequestObservation): void;
}

/** Totals of one (verb, resource, code). */
export interface RequestMetricTotals {
  readonly verb: string;
  readonly resource: string;
  readonly code: string;
  readonly count: number;
  readonly latencySumMs: number;
}

/** Keeps totals in memory; cheap enough for the default. */
export class InMemoryRequestMetrics implements RequestMetrics {
  readonly #totals = new Map<string, { verb: string; resource: string; code: string; count: number; latencySumMs: number }>();

  observe(o: RequestObservation): void {
    const key = JSON.stringify([o.verb, o.resource, o.code]);
    const entry = this.#totals.get(key);
    if (entry === undefined) this.#totals.set(key, { verb: o.verb, resource: o.resource, code: o.code, count: 1, latencySumMs: o.latencyMs });
    else {
      entry.count++;
      entry.latencySumMs += o.latencyMs;
    }
  }

  /** A snapshot, sorted by verb, resource, code. */
  totals(): RequestMetricTotals[] {
    return [...this.#totals.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => ({ ...e }));
  }
}
