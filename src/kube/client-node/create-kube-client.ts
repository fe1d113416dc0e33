/**
 * `createKubeClient`: the KubeClient for a real apiserver — configuration from `--kubeconfig`,
 * `--master`, `$KUBECONFIG` or the in-cluster service account (auth plugins as client-node
 * supports them), over the adapter's single HTTP transport.
 *
 * @module
 */
import type { KubeClient, ResourceClient } from '../client.js';
import { RealClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { TokenBucket } from '../rate-limiter.js';
import { EVENTS, LEASES, NODES, SERVICES } from '../resources.js';
import type { Event, KubeObject, Lease, Node, ResourceType, Service } from '../resources.js';
import { AdapterResourceClient } from './adapter-resource-client.js';
import type { AdapterDeps } from './adapter-resource-client.js';
import { HttpTransport } from './http-transport.js';
import type { BearerTokenSource } from './http-transport.js';
import { KubeConfigError } from './kube-config-error.js';
import { loadKubeConfig } from './load-kube-config.js';
import type { KubeConfigSource } from './load-kube-config.js';
import { InMemoryRequestMetrics } from './request-metrics.js';
import type { RequestMetrics, RequestMetricTotals } from './request-metrics.js';

/** Options of {@link createKubeClient}. */
export interface CreateKubeClientOptions extends KubeConfigSource {
  /** `--kube-api-qps`: sustained requests per second (default 20, as upstream CCM); `<= 0` disables the limit. */
  readonly qps?: number;
  /** `--kube-api-burst`: requests allowed back to back (default 30, as upstream CCM). */
  readonly burst?: number;
  /** Deadline of every request, throttling and retries included, ms (default 30 000). */
  readonly timeoutMs?: number;
  /** User-Agent header (default `outrigger`; client-go's is `binary/version (os/arch) …`). */
  readonly userAgent?: string;
  /** Time source for throttling, deadlines, retry waits and watch bounds (default: wall clock). */
  readonly clock?: Clock;
  /** Receives one observation per HTTP attempt (default: kept in memory, see `requestMetrics()`). */
  readonly metrics?: RequestMetrics;
  /** Retries of 429/5xx answers that carry Retry-After (default 10, as client-go). */
  readonly maxRetries?: number;
  /**
   * Authenticate with these bearer tokens instead of the kubeconfig's credentials (the server and
   * its CA still come from the kubeconfig); `--use-service-account-credentials` passes one per controller.
   */
  readonly bearerToken?: BearerTokenSource;
  /**
   * Largest response body read, in bytes (default 256 MiB): a larger answer fails with a
   * {@link KubeTransportError} (`protocol`) instead of exhausting memory.
   */
  readonly maxResponseBytes?: number;
}

/** The adapter's KubeClient: the seam plus lifecycle and metrics. */
export interface ClientNodeKubeClient extends KubeClient {
  /** The API server URL in use. */
  readonly server: string;
  /** Where the configuration came from (file and context, `--master`, in-cluster). */
  readonly source: string;
  /** Totals per (verb, resource, code), when the default in-memory metrics are used. */
  requestMetrics(): RequestMetricTotals[];
  /** Closes idle keep-alive connections; open watches are closed by their owners. */
  close(): void;
}

const DEFAULT_QPS = 20;
const DEFAULT_BURST = 30;
const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RETRIES = 10;

class AdapterKubeClient implements ClientNodeKubeClient {
  readonly nodes: ResourceClient<Node>;
  readonly services: ResourceClient<Service>;
  readonly events: ResourceClient<Event>;
  readonly leases: ResourceClient<Lease>;
  readonly server: string;
  readonly source: string;
  readonly #deps: AdapterDeps;
  readonly #metrics: RequestMetrics;

  constructor(deps: AdapterDeps, source: string, metrics: RequestMetrics) {
    this.#deps = deps;
    this.#metrics = metrics;
    this.server = deps.transport.server.toString().replace(/\/$/, '');
    this.source = source;
    this.nodes = new AdapterResourceClient(NODES, deps);
    this.services = new AdapterResourceClient(SERVICES, deps);
    this.events = new AdapterResourceClient(EVENTS, deps);
    this.leases = new AdapterResourceClient(LEASES, deps);
  }

  resource<T extends KubeObject>(type: ResourceType<T>): ResourceClient<T> {
    return new AdapterResourceClient(type, this.#deps);
  }

  requestMetrics(): RequestMetricTotals[] {
    return this.#metrics instanceof InMemoryRequestMetrics ? this.#metrics.totals() : [];
  }

  close(): void {
    this.#deps.transport.close();
  }
}

function positive(name: string, value: number, integer: boolean): void {
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new KubeConfigError(`${name} must be a positive ${integer ? 'integer' : 'number'}, got ${value}`);
  }
}

/**
 * Builds the KubeClient for a real cluster. Fails with a {@link KubeConfigError} naming the file,
 * context or server when the configuration is missing or unusable.
 *
 * @example
 * ```ts
 * const kube = await createKubeClient({ kubeconfig: flags.kubeconfig, master: flags.master, qps: 20, burst: 30 });
 * const nodes = await kube.nodes.list({ signal });
 * kube.close();
 * ```
 */
export async function createKubeClient(options: CreateKubeClientOptions = {}): Promise<ClientNodeKubeClient> {
  const qps = options.qps ?? DEFAULT_QPS;
  const burst = options.burst ?? DEFAULT_BURST;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (Number.isNaN(qps)) throw new KubeConfigError('--kube-api-qps must be a number');
  if (qps > 0 && qps !== Infinity) positive('--kube-api-burst', burst, true);
  positive('timeoutMs', timeoutMs, false);
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new KubeConfigError(`maxRetries must be an integer >= 0, got ${maxRetries}`);
  if (options.maxResponseBytes !== undefined) positive('maxResponseBytes', options.maxResponseBytes, true);
  const loaded = loadKubeConfig(options);
  const clock = options.clock ?? new RealClock();
  const metrics = options.metrics ?? new InMemoryRequestMetrics();
  let transport: HttpTransport;
  try {
    transport = await HttpTransport.create({
      kubeConfig: loaded.kubeConfig,
      server: loaded.server,
      source: loaded.source,
      clock,
      bucket: new TokenBucket(qps, burst, clock),
      timeoutMs,
      userAgent: options.userAgent ?? 'outrigger',
      metrics,
      maxRetries,
      bearerToken: options.bearerToken,
      ...(options.maxResponseBytes === undefined ? {} : { maxResponseBytes: options.maxResponseBytes }),
    });
  } catch (err) {
    // Unreadable CA/cert/key files and failing credential plugins surface here.
    throw new KubeConfigError(`${loaded.source}: cannot set up credentials or TLS: ${err instanceof Error ? err.message : String(err)}`, {
      ...(loaded.files[0] === undefined ? {} : { file: loaded.files[0] }),
      context: loaded.contextName,
      server: loaded.server.toString(),
      cause: err,
    });
  }
  return new AdapterKubeClient({ transport, clock, watchGraceMs: timeoutMs }, loaded.source, metrics);
}
