/**
 * The one HTTP path of the client-node adapter: every request and watch goes through here, over
 * one keep-alive agent, with credentials from client-node's `KubeConfig`, a client-side token
 * bucket (`--kube-api-qps/--kube-api-burst`), a deadline, the caller's AbortSignal, client-go's
 * Retry-After retries and per-attempt metrics.
 *
 * Why raw `node:http(s)` rather than client-node's generated API classes (ts-ecosystem.md §1): in
 * 1.4.0 those default patches to JSON Patch, reverse the static middleware list on every call,
 * create an agent (and so a connection) per request, have no timeout, hand errors over with the
 * body as a string and decode objects into classes that drop fields the client does not know —
 * a read-modify-write would then erase them. Raw JSON in and out sidesteps every one of these.
 *
 * @module
 */
import { NotLeaderError } from '../write-fence.js';
import { linkAbort } from '../linked-abort.js';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, RequestOptions as NodeRequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AgentOptions as HttpsAgentOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../clock.js';
import { KubeApiError } from '../errors.js';
import type { TokenBucket } from '../rate-limiter.js';
import { apiErrorFromResponse, parseRetryAfter } from './api-error.js';
import { KubeTransportError } from './kube-transport-error.js';
import type { TransportFailure } from './kube-transport-error.js';
import type { RequestMetrics } from './request-metrics.js';

/** One API call. */
export interface TransportRequest {
  /** Metrics label: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`. */
  readonly verb: string;
  /** Metrics label: `nodes`, `services/status`, … */
  readonly resource: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/api/v1/nodes/n1`. */
  readonly path: string;
  readonly query?: URLSearchParams;
  /** JSON body. */
  readonly body?: unknown;
  /** Content type of the body (default `application/json`). */
  readonly contentType?: string;
  readonly signal?: AbortSignal | undefined;
  /** Called right before the bytes are written (after throttling and credentials); throwing sends nothing. */
  readonly precondition?: (() => void) | undefined;
}

/** An open watch response, handed to the stream reader. */
export interface OpenStream {
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
}

/**
 * Supplies the bearer token of every request in place of the kubeconfig's credentials — client-go's
 * `AnonymousClientConfig` plus a token source: the server and its CA are kept; client
 * certificates, tokens, basic auth, auth plugins and impersonation are dropped.
 */
export interface BearerTokenSource {
  /** The token to send now (cached by the source until it is due for renewal). */
  token(signal?: AbortSignal): Promise<string>;
  /** Told after a 401 answer, so the next `token()` fetches a fresh one (client-go `ResettableTokenSource`). */
  reset(): void;
}

/** Dependencies of an {@link HttpTransport}. */
export interface HttpTransportOptions {
  readonly kubeConfig: KubeConfig;
  readonly server: URL;
  /** Where the configuration came from, quoted in errors. */
  readonly source: string;
  readonly clock: Clock;
  readonly bucket: TokenBucket;
  readonly timeoutMs: number;
  readonly userAgent: string;
  readonly metrics: RequestMetrics;
  /** Retries of 429/5xx answers carrying Retry-After (client-go: 10). */
  readonly maxRetries: number;
  /** Replaces the kubeconfig's credentials (see {@link BearerTokenSource}). */
  readonly bearerToken?: BearerTokenSource | undefined;
  /** Largest response body read, in bytes (default {@link MAX_RESPONSE_BYTES}). */
  readonly maxResponseBytes?: number;
}

/**
 * The largest response body read: 256 MiB. Far above any page an informer lists (500 objects),
 * and below what one string can hold (V8's limit is ~512 Mi characters): a larger body would end
 * in an out-of-memory crash or an obscure string error, so it fails as a protocol error instead.
 */
export const MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

/** The shape of client-node's (private in its typings) per-request credential hook. */
interface AuthorizationHook {
  applyAuthorizationHeader(opts: { headers?: OutgoingHttpHeaders }): Promise<void>;
}

/** client-node's TLS-and-credentials hook (private in its typings), when this version has it. */
function optionsHook(kc: KubeConfig): ((opts: NodeRequestOptions & HttpsAgentOptions) => Promise<void>) | undefined {
  const hook = (kc as unknown as { applyOptions?: unknown }).applyOptions;
  return typeof hook === 'function' ? (hook.bind(kc) as (opts: NodeRequestOptions & HttpsAgentOptions) => Promise<void>) : undefined;
}

/** client-node's per-request credential hook, when this version has it. */
function authorizationHook(kc: KubeConfig): AuthorizationHook['applyAuthorizationHeader'] | undefined {
  const hook = (kc as unknown as Partial<AuthorizationHook>).applyAuthorizationHeader;
  return typeof hook === 'function' ? hook.bind(kc) : undefined;
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Pause before retrying a GET whose connection was lost. */
const CONNECTION_RETRY_MS = 1_000;

/** A connection dropped mid-request (not a refused or unresolvable one). */
function isConnectionLoss(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ECONNRESET' || code === 'EPIPE' || (err instanceof Error && err.message === 'socket hang up');
}

function errnoCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A sent request and its answer, before interpretation. */
interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly request: ClientRequest;
  readonly response: IncomingMessage;
}

/** Sends API requests for the adapter. Create with {@link HttpTransport.create}; `close()` ends its sockets. */
export class HttpTransport {
  readonly server: URL;
  readonly #o: HttpTransportOptions;
  readonly #agent: HttpAgent;
  readonly #tls: HttpsAgentOptions;
  readonly #staticHeaders: OutgoingHttpHeaders;
  readonly #basicAuth: string | undefined;

  private constructor(o: HttpTransportOptions, agent: HttpAgent, tls: HttpsAgentOptions, headers: OutgoingHttpHeaders, basicAuth: string | undefined) {
    this.#o = o;
    this.server = o.server;
    this.#agent = agent;
    this.#tls = tls;
    this.#staticHeaders = headers;
    this.#basicAuth = basicAuth;
  }

  /** Reads TLS material and credentials once and builds the single keep-alive agent. */
  static async create(o: HttpTransportOptions): Promise<HttpTransport> {
    // client-node's option hook fills CA, client cert/key, skip-verify, server name,
    // impersonation and auth headers. Its public wrapper, applyToHTTPSOptions, also builds an
    // agent per call (the 1.4.0 leak) and refuses plain http unless skip-verify is set, which
    // client-go allows; so the inner hook is used when present.
    const opts: NodeRequestOptions & HttpsAgentOptions = {};
    const applyOptions = optionsHook(o.kubeConfig);
    if (applyOptions !== undefined) await applyOptions(opts);
    else await o.kubeConfig.applyToHTTPSOptions(opts);
    const user = o.kubeConfig.getCurrentUser();
    if (opts.auth === undefined && user?.username !== undefined) opts.auth = `${user.username}:${user.password ?? ''}`;
    const anonymous = o.bearerToken !== undefined;
    const tls: HttpsAgentOptions = {};
    if (opts.ca !== undefined) tls.ca = opts.ca;
    // With a token source only the server's identity is kept, as client-go's AnonymousClientConfig.
    if (!anonymous) {
      if (opts.cert !== undefined) tls.cert = opts.cert;
      if (opts.key !== undefined) tls.key = opts.key;
      if (opts.pfx !== undefined) tls.pfx = opts.pfx;
      if (opts.passphrase !== undefined) tls.passphrase = opts.passphrase;
    }
    if (opts.rejectUnauthorized !== undefined) tls.rejectUnauthorized = opts.rejectUnauthorized;
    if (opts.servername !== undefined) tls.servername = opts.servername;
    const agent = o.server.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
    // client-node puts only credentials (Authorization, Impersonate-*) in these headers.
    const headers: OutgoingHttpHeaders = anonymous ? {} : { ...(opts.headers as OutgoingHttpHeaders | undefined) };
    return new HttpTransport(o, agent, tls, headers, !anonymous && typeof opts.auth === 'string' ? opts.auth : undefined);
  }

  /** Closes idle sockets and stops reusing the agent. */
  close(): void {
    this.#agent.destroy();
  }

  /** Sends a request and returns its parsed JSON body; failures are KubeApiError / KubeTransportError / the abort reason. */
  async request(req: TransportRequest): Promise<unknown> {
    return this.#withDeadline(req, async (signal, describe) => {
      const answer = await this.#exchange(req, signal);
      const text = await this.#readAll(answer.response, describe);
      if (answer.status < 200 || answer.status > 299) throw apiErrorFromResponse(answer.status, answer.headers['retry-after'], text, describe);
      if (text.trim() === '') return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        throw new KubeTransportError(`${describe}: the server at ${this.server.origin} answered ${answer.status} with a body that is not JSON`, {
          failure: 'protocol',
          server: this.server.origin,
          request: describe,
          cause: err,
        });
      }
    });
  }

  /**
   * Opens a streaming request (a watch): resolves once a 2xx answer's headers arrive; the
   * deadline covers only that wait, the stream itself is bounded by the watch's timeoutSeconds.
   */
  async stream(req: TransportRequest): Promise<OpenStream> {
    return this.#withDeadline(req, async (signal, describe) => {
      const answer = await this.#exchange(req, signal);
      if (answer.status < 200 || answer.status > 299) {
        const text = await this.#readAll(answer.response, describe);
        throw apiErrorFromResponse(answer.status, answer.headers['retry-after'], text, describe);
      }
      return { request: answer.request, response: answer.response };
    });
  }

  /**
   * Runs `fn` under one deadline covering throttling, retries and the answer — as client-go's
   * `Request.timeout` wraps its whole retry loop — and translates failures.
   */
  async #withDeadline<R>(req: TransportRequest, fn: (signal: AbortSignal, describe: string) => Promise<R>): Promise<R> {
    const describe = `${req.method} ${req.path}`;
    req.signal?.throwIfAborted();
    const deadline = new AbortController();
    const timeoutError = new KubeTransportError(
      `${describe}: no answer from the Kubernetes API server at ${this.server.origin} within ${this.#o.timeoutMs} ms (${this.#o.source})`,
      { failure: 'timeout', server: this.server.origin, request: describe },
    );
    const timer = this.#o.clock.setTimer(this.#o.timeoutMs, () => deadline.abort(timeoutError));
    // The caller's signal lives long (a controller's stop signal): linked for this request only.
    const unlink = linkAbort(req.signal, deadline);
    const signal = deadline.signal;
    try {
      return await fn(signal, describe);
    } catch (err) {
      if (req.signal?.aborted === true) throw req.signal.reason;
      if (deadline.signal.aborted) throw timeoutError;
      if (err instanceof KubeApiError || err instanceof KubeTransportError) throw err;
      // A refused write (this replica does not lead) never reached the network: say so, not "cannot reach".
      if (err instanceof NotLeaderError || (err instanceof Error && err.cause instanceof NotLeaderError)) throw err;
      throw this.#transportError(err, describe);
    } finally {
      timer.cancel();
      unlink();
    }
  }

  /** Throttles, sends and retries 429/5xx answers that carry Retry-After (client-go `checkWait`). */
  async #exchange(req: TransportRequest, signal: AbortSignal): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      // Every attempt takes a token, as client-go throttles each retry too.
      await this.#o.bucket.wait(signal);
      const started = this.#o.clock.now();
      let answer: Answer;
      try {
        answer = await this.#send(req, signal);
      } catch (err) {
        this.#o.metrics.observe({ verb: req.verb, resource: req.resource, code: '<error>', latencyMs: this.#o.clock.now() - started });
        // As client-go: a GET that lost its connection (reset, EOF — also what a keep-alive
        // socket the server already closed looks like) is retried; writes are not, as they may
        // have been applied. The 1 s pause is our choice.
        if (req.method === 'GET' && !signal.aborted && isConnectionLoss(err) && attempt < this.#o.maxRetries) {
          await this.#o.clock.sleep(CONNECTION_RETRY_MS, signal);
          continue;
        }
        throw err;
      }
      this.#o.metrics.observe({ verb: req.verb, resource: req.resource, code: String(answer.status), latencyMs: this.#o.clock.now() - started });
      // A rejected token may have been revoked or rotated early: fetch a new one next time.
      if (answer.status === 401) this.#o.bearerToken?.reset();
      const retryAfter = parseRetryAfter(answer.headers['retry-after']);
      const retryable = answer.status === 429 || answer.status >= 500;
      if (!retryable || retryAfter === undefined || attempt >= this.#o.maxRetries) return answer;
      answer.response.resume(); // discard the body so the socket goes back to the pool
      await this.#o.clock.sleep(retryAfter * 1000, signal);
    }
  }

  async #headers(req: TransportRequest, signal: AbortSignal): Promise<OutgoingHttpHeaders> {
    const headers: OutgoingHttpHeaders = { ...this.#staticHeaders };
    const source = this.#o.bearerToken;
    // Credentials per request: exec plugins, OIDC and the rotating service-account token file
    // refresh themselves inside client-node's authenticators.
    const hook = source === undefined ? authorizationHook(this.#o.kubeConfig) : undefined;
    if (source !== undefined) {
      headers['authorization'] = `Bearer ${await source.token(signal)}`;
    } else if (hook !== undefined) {
      const opts: { headers: OutgoingHttpHeaders } = { headers: {} };
      await hook(opts);
      Object.assign(headers, opts.headers);
    }
    headers['accept'] = 'application/json';
    headers['user-agent'] = this.#o.userAgent;
    if (req.body !== undefined) headers['content-type'] = req.contentType ?? 'application/json';
    return headers;
  }

  async #send(req: TransportRequest, signal: AbortSignal): Promise<Answer> {
    const headers = await this.#headers(req, signal);
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const base = this.server.pathname.replace(/\/+$/, '');
    const query = req.query === undefined || req.query.size === 0 ? '' : `?${req.query.toString()}`;
    const options: NodeRequestOptions & HttpsAgentOptions = {
      method: req.method,
      protocol: this.server.protocol,
      hostname: this.server.hostname.replace(/^\[|\]$/g, ''),
      port: this.server.port === '' ? (this.server.protocol === 'https:' ? 443 : 80) : Number(this.server.port),
      path: `${base}${req.path}${query}`,
      headers,
      agent: this.#agent,
      signal,
      ...this.#tls,
      ...(this.#basicAuth === undefined ? {} : { auth: this.#basicAuth }),
    };
    const send = this.server.protocol === 'https:' ? httpsRequest : httpRequest;
    // The last moment before the request leaves, with no await between it and the write.
    req.precondition?.();
    return new Promise<Answer>((resolve, reject) => {
      const request = send(options, (response) => {
        resolve({ status: response.statusCode ?? 0, headers: response.headers, request, response });
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  /** Reads a whole response body as UTF-8, at most `maxResponseBytes` of it (the request's deadline bounds the time). */
  async #readAll(response: IncomingMessage, describe: string): Promise<string> {
    const max = this.#o.maxResponseBytes ?? MAX_RESPONSE_BYTES;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of response) {
      bytes += (chunk as Buffer).length;
      if (bytes > max) {
        response.destroy();
        throw new KubeTransportError(`${describe}: the server at ${this.server.origin} answered with a body over ${max} bytes; not reading more`, {
          failure: 'protocol',
          server: this.server.origin,
          request: describe,
        });
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  #transportError(err: unknown, describe: string): KubeTransportError {
    const code = errnoCode(err);
    const server = this.server.origin;
    const detail = err instanceof Error ? err.message : String(err);
    let failure: TransportFailure = 'connection';
    let hint = 'the connection failed; the request may be retried';
    if (code !== undefined && UNREACHABLE_CODES.has(code)) {
      failure = 'unreachable';
      hint = `check that the API server is running and that ${this.#o.source} points at it`;
    } else if (code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL'))) {
      failure = 'tls';
      hint = `TLS verification failed: set the cluster's certificate-authority(-data) in ${this.#o.source}`;
    }
    return new KubeTransportError(`${describe}: cannot reach the Kubernetes API server at ${server}: ${detail} — ${hint}`, {
      failure,
      server,
      request: describe,
      cause: err,
    });
  }
}


