/**
 * client-go's REST client metrics, fed by the client-node adapter's per-attempt observations:
 * `rest_client_requests_total{code,method,host}` and
 * `rest_client_request_duration_seconds{verb,host}`. As in client-go, both `method` and `verb`
 * carry the HTTP method (`GET`, `POST`, …), not the Kubernetes verb, and `host` is the apiserver's
 * `host:port`.
 *
 * @module
 */
import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { RequestMetrics, RequestObservation } from '../../kube/client-node/request-metrics.js';

/** client-go's latency buckets for `rest_client_request_duration_seconds` (seconds). */
export const REST_CLIENT_LATENCY_BUCKETS: readonly number[] = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/** The REST client sink: usable directly as `createKubeClient({ metrics })`. */
export interface RestClientMetrics extends RequestMetrics {
  /** One HTTP attempt: Kubernetes verb (`get`, `list`, `watch`, `patch`, …), resource, status code (or `<error>`), latency. */
  request(verb: string, resource: string, code: string, latencyMs: number): void;
  /** Sets the `host` label (the apiserver's `host:port`), known once the client is configured. */
  setHost(host: string): void;
}

// The HTTP method each verb of the KubeClient seam is sent with.
const HTTP_METHODS: Readonly<Record<string, string>> = {
  get: 'GET',
  list: 'GET',
  watch: 'GET',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
};

/** The HTTP method a Kubernetes verb is sent with; unknown verbs are upper-cased. */
export function httpMethodOf(verb: string): string {
  return HTTP_METHODS[verb.toLowerCase()] ?? verb.toUpperCase();
}

/** Registers the `rest_client_*` metrics in `registry`; `host` is the initial `host` label. */
export function createRestClientMetrics(registry: Registry, host = ''): RestClientMetrics {
  const requests = new Counter({
    name: 'rest_client_requests_total',
    help: 'HTTP requests sent to the API server, by status code, method and host.',
    labelNames: ['code', 'method', 'host'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'rest_client_request_duration_seconds',
    help: 'Seconds from sending a request to the API server to its answer, by method and host.',
    labelNames: ['verb', 'host'] as const,
    buckets: [...REST_CLIENT_LATENCY_BUCKETS],
    registers: [registry],
  });
  let apiHost = host;
  const request = (verb: string, _resource: string, code: string, latencyMs: number): void => {
    const method = httpMethodOf(verb);
    requests.inc({ code, method, host: apiHost });
    latency.observe({ verb: method, host: apiHost }, latencyMs / 1000);
  };
  return {
    request,
    observe(o: RequestObservation) {
      request(o.verb, o.resource, o.code, o.latencyMs);
    },
    setHost(next) {
      apiHost = next;
    },
  };
}
