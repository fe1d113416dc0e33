/**
 * The error of a request that got no usable answer from the apiserver: the server could not be
 * reached, the TLS handshake failed, the connection dropped, or the request timed out. API
 * answers (any HTTP status with a body) are `KubeApiError`s instead.
 *
 * @module
 */

/** What went wrong below the HTTP layer. */
export type TransportFailure = 'unreachable' | 'tls' | 'connection' | 'timeout' | 'protocol';

/** Details of a {@link KubeTransportError}. */
export interface KubeTransportErrorOptions {
  readonly failure: TransportFailure;
  /** The server URL the request went to. */
  readonly server: string;
  /** `GET /api/v1/nodes` and the like. */
  readonly request: string;
  readonly cause?: unknown;
}

/** A request that failed without an API answer (see {@link TransportFailure}). */
export class KubeTransportError extends Error {
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'KubeTransportError' as const;
  readonly failure: TransportFailure;
  readonly server: string;
  readonly request: string;

  constructor(message: string, options: KubeTransportErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeTransportError';
    this.failure = options.failure;
    this.server = options.server;
    this.request = options.request;
  }
}
