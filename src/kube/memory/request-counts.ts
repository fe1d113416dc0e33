/**
 * Request accounting of the simulated API server (a test double): how many requests of each
 * verb reached each resource, per user agent, so tests can assert on API traffic (e.g. "one
 * patch per sync", "the informer did not relist").
 *
 * @module
 */

/** The request verbs the simulated API server accounts (as the apiserver's audit verbs). */
export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';

/** How many requests of one verb hit one resource from one user agent. */
export interface RequestCount {
  readonly verb: Verb;
  /** Plural resource, with `/status` for the status subresource: `services`, `services/status`. */
  readonly resource: string;
  readonly userAgent: string;
  readonly count: number;
}

/** Counts requests by (verb, resource, user agent). */
export class RequestCounter {
  /** resource → verb → user agent → count entry (nested maps: no key string built per request). */
  readonly #counts = new Map<string, Map<Verb, Map<string, { verb: Verb; resource: string; userAgent: string; count: number }>>>();

  /** Counts one request. */
  record(verb: Verb, resource: string, userAgent: string): void {
    let byVerb = this.#counts.get(resource);
    if (byVerb === undefined) {
      byVerb = new Map();
      this.#counts.set(resource, byVerb);
    }
    let byAgent = byVerb.get(verb);
    if (byAgent === undefined) {
      byAgent = new Map();
      byVerb.set(verb, byAgent);
    }
    const entry = byAgent.get(userAgent);
    if (entry === undefined) byAgent.set(userAgent, { verb, resource, userAgent, count: 1 });
    else entry.count++;
  }

  /** A snapshot of the counts, sorted by resource, verb, then user agent. */
  counts(): RequestCount[] {
    const all: Array<[string, RequestCount]> = [];
    for (const byVerb of this.#counts.values()) {
      for (const byAgent of byVerb.values()) {
        for (const entry of byAgent.values()) all.push([JSON.stringify([entry.resource, entry.verb, entry.userAgent]), { ...entry }]);
      }
    }
    return all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
  }

  /** Forgets every count. */
  reset(): void {
    this.#counts.clear();
  }
}
