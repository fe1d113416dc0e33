/**
 * The webhook listener (`--webhook-bind-address:--webhook-secure-port`, default `0.0.0.0:10260`):
 * HTTPS with its own certificate (`--webhook-tls-cert-file`, else self-signed), no authentication
 * (the apiserver calls it; as upstream), each enabled webhook on its exact path. Every replica
 * serves it — admission does not wait for leadership.
 *
 * Request handling follows upstream's `WebhookHandler.ServeHTTP`: a JSON `AdmissionReview` with a
 * `request` or 400; the handler's error or missing answer is a 500; otherwise 200 with an
 * AdmissionReview whose `response.uid` is the request's. Deviations (docs/deviations.md): the
 * `application/json` check ignores media-type parameters, bodies are capped at 8 MiB, and
 * successful answers are counted in the metrics too (upstream's only count failures).
 *
 * @module
 */
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SecureContextOptions } from 'node:tls';
import { RealClock } from '../../kube/clock.js';
import type { Clock } from '../../kube/clock.js';
import type { Logger } from '../../log/logger.js';
import type { ManagerMetrics } from '../metrics/index.js';
import { listenHttps, loadServingCertificate } from '../serving/index.js';
import type { AdmissionRequest, AdmissionReview, AdmissionWebhook } from './admission.js';
import { errorMessage } from '../../log/error-message.js';

/** upstream `CloudControllerManagerWebhookPort`. */
export const DEFAULT_WEBHOOK_PORT = 10260;

/** Larger bodies are refused: an AdmissionReview carries at most two objects of ≤ 1.5 MiB each. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Options of {@link startWebhookServing}. */
export interface WebhookServingOptions {
  readonly bindAddress: string;
  /** 0 serves nothing. */
  readonly securePort: number;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  /** `--webhook-cert-dir`: keep the self-signed pair there (`cloud-controller-manager-webhook.crt`/`.key`). */
  readonly certDir?: string;
  /** From the `--webhook-tls-*` version, cipher and curve flags (see `tlsServerOptions`). */
  readonly tls?: Pick<SecureContextOptions, 'minVersion' | 'ciphers' | 'ecdhCurve'>;
  /** The enabled webhooks (see {@link enabledWebhooks}). */
  readonly webhooks: readonly AdmissionWebhook[];
  readonly metrics: Pick<ManagerMetrics, 'webhookRequest'>;
  readonly logger: Logger;
  /** Measures latency and dates the self-signed certificate (default: wall clock). */
  readonly clock?: Clock;
}

/** A running webhook listener; `port` 0 when nothing is served. */
export interface WebhookServingHandle {
  readonly port: number;
  close(): Promise<void>;
}

/** A request the webhook refuses, with its HTTP status. */
class WebhookRequestError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/**
 * Starts the listener. Rejects with a `ServingError` naming the address and port, or a
 * `ServingCertError` naming the `--webhook-tls-*` flag at fault.
 */
export async function startWebhookServing(o: WebhookServingOptions): Promise<WebhookServingHandle> {
  if (o.securePort === 0 || o.webhooks.length === 0) return { port: 0, close: async () => {} };
  const clock = o.clock ?? new RealClock();
  const certificate = await loadServingCertificate({
    bindAddress: o.bindAddress,
    clock,
    flags: { cert: '--webhook-tls-cert-file', key: '--webhook-tls-private-key-file', certDir: '--webhook-cert-dir' },
    pairName: 'cloud-controller-manager-webhook',
    ...(o.certDir === undefined ? {} : { certDir: o.certDir }),
    ...(o.tlsCertFile === undefined ? {} : { tlsCertFile: o.tlsCertFile }),
    ...(o.tlsPrivateKeyFile === undefined ? {} : { tlsPrivateKeyFile: o.tlsPrivateKeyFile }),
  });
  const byPath = new Map(o.webhooks.map((w) => [w.path, w]));
  const server: Server = createServer({ ...o.tls, cert: certificate.cert, key: certificate.key }, (req, res) => {
    void serve(byPath, o, clock, req, res);
  });
  const handle = await listenHttps(server, o.bindAddress, o.securePort);
  o.logger.info('Serving webhooks', { address: `${o.bindAddress}:${handle.port}`, webhooks: o.webhooks.map((w) => `${w.name}=${w.path}`), certificate: certificate.source });
  return handle;
}

async function serve(byPath: ReadonlyMap<string, AdmissionWebhook>, o: WebhookServingOptions, clock: Clock, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'https://localhost').pathname;
  const webhook = byPath.get(path);
  if (webhook === undefined) {
    req.resume();
    reply(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    return;
  }
  const started = clock.now();
  let code: string;
  try {
    const request = await readReview(req);
    const response = await answer(webhook, request);
    const review: AdmissionReview = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { ...response, uid: request.uid } };
    reply(res, 200, 'application/json', JSON.stringify(review));
    code = '200';
  } catch (err) {
    const status = err instanceof WebhookRequestError ? err.status : 500;
    const message = errorMessage(err);
    o.logger.error(err, 'Webhook request failed', { webhook: webhook.name, status });
    if (res.headersSent) {
      res.destroy();
      code = '<error>';
    } else {
      // As Go's http.Error: plain text, the message and a newline.
      reply(res, status, 'text/plain; charset=utf-8', `${message}\n`);
      code = String(status);
    }
  }
  o.metrics.webhookRequest(code, webhook.name, (clock.now() - started) / 1000);
}

async function answer(webhook: AdmissionWebhook, request: AdmissionRequest): Promise<NonNullable<Awaited<ReturnType<AdmissionWebhook['admit']>>>> {
  let response: Awaited<ReturnType<AdmissionWebhook['admit']>>;
  try {
    response = await webhook.admit(request);
  } catch (err) {
    throw new WebhookRequestError(500, `error generating admission response: ${errorMessage(err)}`);
  }
  if (response === undefined || response === null) throw new WebhookRequestError(500, 'admission response cannot be nil');
  return response;
}

/** upstream `parseRequest`, with a size bound. */
async function readReview(req: IncomingMessage): Promise<AdmissionRequest> {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (contentType !== 'application/json') {
    req.resume();
    throw new WebhookRequestError(400, `Content-Type: ${JSON.stringify(req.headers['content-type'] ?? '')} should be "application/json"`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new WebhookRequestError(400, `admission request HTTP body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks).toString('utf8');
  if (body.length === 0) throw new WebhookRequestError(400, 'admission request HTTP body is empty');
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (err) {
    throw new WebhookRequestError(400, `could not deserialize incoming admission review: ${errorMessage(err)}`);
  }
  if (typeof review !== 'object' || review === null || Array.isArray(review)) throw new WebhookRequestError(400, 'could not deserialize incoming admission review: not a JSON object');
  const { apiVersion, kind, request } = review as { apiVersion?: unknown; kind?: unknown; request?: unknown };
  if (apiVersion !== 'admission.k8s.io/v1' || kind !== 'AdmissionReview') {
    throw new WebhookRequestError(400, `could not deserialize incoming admission review: expected apiVersion "admission.k8s.io/v1" and kind "AdmissionReview", got ${JSON.stringify(apiVersion)} and ${JSON.stringify(kind)}`);
  }
  if (typeof request !== 'object' || request === null) throw new WebhookRequestError(400, "admission review can't be used: Request field is nil");
  return request as AdmissionRequest;
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'X-Content-Type-Options': 'nosniff' });
  res.end(body);
}
