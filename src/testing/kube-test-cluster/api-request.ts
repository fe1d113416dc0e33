/**
 * A bare HTTPS request to the test cluster's apiserver (trusting its self-signed CA), for the
 * harness's own needs — readiness, TokenRequest — without going through the product's client.
 *
 * @module
 */
import { request } from 'node:https';

/** An answer: status, raw text and the parsed JSON body when it is JSON. */
export interface ApiResponse {
  readonly status: number;
  readonly text: string;
  readonly json: unknown;
}

/** What to send. */
export interface ApiRequestOptions {
  readonly url: string;
  readonly ca: string;
  /** Bearer token; empty sends none (anonymous). */
  readonly token: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  /** User-Agent header (default Node's none). */
  readonly userAgent?: string;
  /** Deadline, ms (default 10 000). */
  readonly timeoutMs?: number;
}

/** Sends one request and resolves with the whole answer; rejects on a network error or the deadline. */
export function apiRequest(o: ApiRequestOptions): Promise<ApiResponse> {
  const target = new URL(o.path, o.url);
  const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: o.method,
        ca: o.ca,
        timeout: o.timeoutMs ?? 10_000,
        headers: {
          accept: 'application/json',
          ...(o.userAgent === undefined ? {} : { 'user-agent': o.userAgent }),
          ...(o.token === '' ? {} : { authorization: `Bearer ${o.token}` }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text) as unknown;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${o.method} ${o.path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
