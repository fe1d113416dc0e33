/**
 * The manager's HTTPS endpoint on `--bind-address:--secure-port` (default `0.0.0.0:10258`):
 * `/healthz`, `/livez`, `/readyz` (and `/<endpoint>/<check>`), `/metrics`, `/configz`, 404 otherwise. The
 * handler chain follows upstream's controller-manager serving: recover → authenticate (bearer
 * token review, anonymous fallback) → authorise (SubjectAccessReview unless the path is in
 * `--authorization-always-allow-paths` or the user is in `system:masters`) → route.
 *
 * Deviation: upstream serves no `/livez` or `/readyz` (they only sit in the always-allow list);
 * we serve both, since the issue asks for a readiness signal.
 *
 * @module
 */
import { errorMessage } from '../../log/error-message.js';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import { RealClock } from '../../kube/clock.js';
import type { Clock } from '../../kube/clock.js';
import type { Logger } from '../../log/logger.js';
import type { ManagerMetrics } from '../metrics/index.js';
import type { AuthUser, DelegatedAuth } from './delegated-auth.js';
import { evaluateHealth, evaluateSingleCheck } from './health.js';
import type { HealthCheck, HealthResponse } from './health.js';
import { ServingCertError, loadServingCertificate } from './tls.js';

/** `--authorization-always-allow-paths` default, as upstream's CCM. */
export const DEFAULT_ALWAYS_ALLOW_PATHS: readonly string[] = ['/healthz', '/readyz', '/livez'];

/** Serving flags. */
export interface ServingOptions {
  /** `--bind-address` (default `0.0.0.0`). */
  bindAddress: string;
  /** `--secure-port` (default 10258); 0 disables serving. */
  securePort: number;
  /** `--tls-cert-file`; with `tlsPrivateKeyFile`, replaces the self-signed certificate. */
  tlsCertFile?: string;
  /** `--tls-private-key-file`. */
  tlsPrivateKeyFile?: string;
  /** `--cert-dir`: keep the self-signed pair there (`cloud-controller-manager.crt`/`.key`). */
  certDir?: string;
  /** From `--tls-min-version`, `--tls-cipher-suites`, `--tls-curve-preferences` (see `tlsServerOptions`). */
  tls?: Pick<SecureContextOptions, 'minVersion' | 'ciphers' | 'ecdhCurve'>;
  /**
   * `--authorization-always-allow-paths` (default {@link DEFAULT_ALWAYS_ALLOW_PATHS}): skip
   * authorisation; an entry ending in `*` is a prefix, so `*` alone opens every path (as upstream).
   */
  alwaysAllowPaths: readonly string[];
  /** Delegated authentication and authorisation; undefined serves everything without auth. */
  auth?: DelegatedAuth;
}

/** Everything {@link startServing} needs. */
export type StartServingOptions = ServingOptions & {
  metrics: ManagerMetrics;
  // The check arrays are read on every request, so a caller may append checks as controllers start.
  healthz: readonly HealthCheck[];
  readyz: readonly HealthCheck[];
  livez: readonly HealthCheck[];
  /** The `/configz` body (JSON, see `configzBody`); `/configz` is 404 without one. */
  configz?: string;
  logger: Logger;
  /** Dates of the self-signed certificate (default: wall clock). */
  clock?: Clock;
};

/** A running endpoint; `port` is the one bound (useful with port 0), 0 when serving is disabled. */
export interface ServingHandle {
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** The listener could not be opened (port in use, address not local, permission). */
export class ServingError extends Error {
  override readonly name = 'ServingError';
  readonly address: string;
  readonly port: number;

  constructor(address: string, port: number, detail: string, options?: ErrorOptions) {
    super(`failed to listen on ${hostPort(address, port)}: ${detail}`, options);
    this.address = address;
    this.port = port;
  }
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

const LISTEN_ERRORS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied',
};

/** The bearer token of a request: undefined when there is no `Authorization: Bearer` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^bearer(?:\s+(.*))?$/i.exec(header.trim());
  if (match === null) return undefined;
  // "Bearer" with nothing after it is a presented but invalid token (a 401), as the apiserver.
  return (match[1] ?? '').trim();
}

/** Whether `path` is in the always-allow list (exact, or by prefix for entries ending in `*`). */
export function isAlwaysAllowed(path: string, alwaysAllowPaths: readonly string[]): boolean {
  return alwaysAllowPaths.some((p) => (p.endsWith('*') ? path.startsWith(p.replace(/\*+$/, '')) : p === path));
}

/** A core/v1 Status body, as the apiserver's authentication and authorisation filters answer. */
function statusBody(code: number, reason: string, message: string): string {
  return `${JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code })}\n`;
}

/**
 * Starts serving. Rejects with a {@link ServingError} naming the address and port when the
 * listener cannot be opened, or a `ServingCertError` naming the flag when a certificate file is bad.
 *
 * @example
 * ```ts
 * const serving = await startServing({ bindAddress: '0.0.0.0', securePort: 10258, alwaysAllowPaths: DEFAULT_ALWAYS_ALLOW_PATHS,
 *   auth: new DelegatedAuth({ kube, clock }), metrics, healthz: [leaderCheck], readyz: [synced], livez: [], logger });
 * // … on shutdown:
 * await serving.close();
 * ```
 */
export async function startServing(o: StartServingOptions): Promise<ServingHandle> {
  const log = o.logger;
  if (o.securePort === 0) {
    log.info('Secure serving disabled (--secure-port=0)');
    return { port: 0, close: async () => {} };
  }
  if (!Number.isInteger(o.securePort) || o.securePort < 0 || o.securePort > 65535) {
    throw new ServingError(o.bindAddress, o.securePort, '--secure-port must be an integer between 0 and 65535');
  }
  const certificate = await loadServingCertificate({
    bindAddress: o.bindAddress,
    clock: o.clock ?? new RealClock(),
    ...(o.tlsCertFile === undefined ? {} : { tlsCertFile: o.tlsCertFile }),
    ...(o.tlsPrivateKeyFile === undefined ? {} : { tlsPrivateKeyFile: o.tlsPrivateKeyFile }),
    ...(o.certDir === undefined ? {} : { certDir: o.certDir }),
  });
  let server: Server;
  try {
    server = createServer({ ...o.tls, cert: certificate.cert, key: certificate.key }, (req, res) => {
      handle(o, log, req, res).catch((err: unknown) => {
        // The recovery filter: a bug in a handler is a 500, never a crashed process.
        log.error(err, 'Unhandled error serving request', { path: req.url });
        if (!res.headersSent) writeText(res, 500, 'internal server error\n');
        else res.destroy();
      });
    });
  } catch (err) {
    // Files that read fine but hold no usable PEM pair (wrong format, key not matching).
    throw new ServingCertError('--tls-cert-file', `--tls-cert-file/--tls-private-key-file: ${certificate.source}: unusable certificate or key: ${errorMessage(err)}`, { cause: err });
  }
  const listening = await listenHttps(server, o.bindAddress, o.securePort);
  log.info('Serving securely', { address: hostPort(o.bindAddress, listening.port), certificate: certificate.source });
  return listening;
}

/**
 * Opens `server` on `host:port` (0 = any free port) and returns the bound port and a close that
 * also ends open connections. Rejects with a {@link ServingError} that says why in words.
 */
export async function listenHttps(server: Server, host: string, port: number): Promise<ServingHandle> {
  await listen(server, host, port);
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections (scrapers, probes) would hold close() open until they time out.
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(new ServingError(host, port, LISTEN_ERRORS[err.code ?? ''] ?? err.message, { cause: err }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ host, port });
  });
}

function writeText(res: ServerResponse, status: number, body: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache, private' });
  res.end(body);
}

const HEALTH_ENDPOINTS = ['healthz', 'livez', 'readyz'] as const;

async function handle(o: StartServingOptions, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://localhost');
  const path = url.pathname;
  const verb = (req.method ?? 'GET').toLowerCase();
  if (o.auth !== undefined) {
    const allowed = await authorize(o.auth, log, req, res, path, verb, o.alwaysAllowPaths);
    if (!allowed) return;
  }
  if (path === '/metrics') {
    const text = await o.metrics.registry.metrics();
    writeText(res, 200, text, o.metrics.registry.contentType);
    return;
  }
  if (path === '/configz' && o.configz !== undefined) {
    writeText(res, 200, o.configz, 'application/json');
    return;
  }
  const [, first, check, ...rest] = path.split('/');
  const endpoint = HEALTH_ENDPOINTS.find((e) => e === first);
  if (endpoint !== undefined && rest.length === 0) {
    const checks = o[endpoint];
    let answer: HealthResponse | undefined;
    if (check === undefined) {
      answer = await evaluateHealth(
        endpoint,
        checks,
        { verbose: url.searchParams.has('verbose'), exclude: url.searchParams.getAll('exclude') },
        // The reason is withheld from the client, so it must reach the log.
        (failure) => log.info(`${endpoint} check failed`, { check: failure.name, err: failure.error }),
      );
    } else {
      const one = checks.find((c) => c.name === check);
      if (one !== undefined) answer = await evaluateSingleCheck(one);
    }
    if (answer !== undefined) {
      writeText(res, answer.status, answer.body);
      return;
    }
  }
  writeText(res, 404, '404 page not found\n');
}

/** Authenticates and authorises; writes the 401/403/500 answer and returns false when refused. */
async function authorize(
  auth: DelegatedAuth,
  log: Logger,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  verb: string,
  alwaysAllowPaths: readonly string[],
): Promise<boolean> {
  const authn = await auth.authenticate(bearerToken(req.headers.authorization));
  if (!authn.ok) {
    if (authn.error !== undefined) log.error(authn.error, 'Unable to authenticate the request');
    else log.v(4).info('Unauthenticated request', { path, reason: authn.reason });
    res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="kubernetes-api"' });
    res.end(statusBody(401, 'Unauthorized', 'Unauthorized'));
    return false;
  }
  if (isAlwaysAllowed(path, alwaysAllowPaths)) return true;
  const user: AuthUser = authn.user;
  const authz = await auth.authorize(user, { path, verb });
  if (authz.allowed) return true;
  if (authz.error !== undefined) {
    log.error(authz.error, 'Authorization error', { user: user.username, path, verb });
    writeText(res, 500, statusBody(500, 'InternalError', 'Internal Server Error: authorization check failed'), 'application/json');
    return false;
  }
  log.v(4).info('Forbidden', { user: user.username, path, verb, reason: authz.reason });
  const message = `forbidden: User ${JSON.stringify(user.username)} cannot ${verb} path ${JSON.stringify(path)}${authz.reason === '' ? '' : `: ${authz.reason}`}`;
  writeText(res, 403, statusBody(403, 'Forbidden', message), 'application/json');
  return false;
}
