/**
 * Transport-level faults of the simulated API's HTTP face (a test double): answers an apiserver
 * or a proxy in front of it could give that the in-process fault hooks cannot express — a raw
 * status with arbitrary headers, a reset connection, a request that is never answered.
 *
 * @module
 */

/** What a matching request gets instead of being served. */
export type HttpFaultAction =
  /** Destroys the socket without answering (connection reset / EOF as the client sees it). */
  | { readonly kind: 'reset' }
  /** Never answers; the socket stays open until the client gives up or the face closes. */
  | { readonly kind: 'hang' }
  /** Answers this status, headers and body verbatim (e.g. 429 with `Retry-After`, a bare 500). */
  | { readonly kind: 'respond'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string };

/** Which requests an HTTP fault applies to. */
export interface HttpFaultSpec {
  /** Only this HTTP method (`GET`, `PATCH`, …); any when omitted. */
  readonly method?: string;
  /** Only paths starting with this prefix (query excluded); any when omitted. */
  readonly pathPrefix?: string;
  /** Only watch requests (`true`) or only non-watch requests (`false`); both when omitted. */
  readonly watch?: boolean;
  /** How many matching requests it affects (default 1; `Infinity` allowed). */
  readonly times?: number;
  readonly action: HttpFaultAction;
}

/** The request a fault is matched against. */
export interface HttpFaultRequest {
  readonly method: string;
  readonly pathname: string;
  readonly watch: boolean;
}

/** Holds HTTP faults in injection order; the first match wins and consumes one of its times. */
export class HttpFaults {
  #faults: Array<{ spec: HttpFaultSpec; remaining: number }> = [];

  /** Adds a fault. */
  inject(spec: HttpFaultSpec): void {
    const times = spec.times ?? 1;
    if (!(times >= 1) || (!Number.isInteger(times) && times !== Infinity)) {
      throw new RangeError(`HTTP fault injection: times must be a positive integer or Infinity, got ${times}`);
    }
    this.#faults.push({ spec, remaining: times });
  }

  /** Removes every pending fault. */
  clear(): void {
    this.#faults = [];
  }

  /** The action for `request`, consuming one use of the matching fault. */
  take(request: HttpFaultRequest): HttpFaultAction | undefined {
    const found = this.#faults.find(({ spec }) =>
      (spec.method === undefined || spec.method.toUpperCase() === request.method) &&
      (spec.pathPrefix === undefined || request.pathname.startsWith(spec.pathPrefix)) &&
      (spec.watch === undefined || spec.watch === request.watch));
    if (found === undefined) return undefined;
    found.remaining--;
    if (found.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== found);
    return found.spec.action;
  }
}
