/**
 * Token exchange: the pod's service-account token (service-account mode of the kubelet config)
 * is sent to an HTTP endpoint that answers registry credentials — the shape of ECR's, ACR's and
 * GAR's workload-identity flows, with the endpoint left to the operator.
 *
 * Request: `POST <url>`, `Authorization: Bearer <token>`, JSON body `{ image, serviceAccountAnnotations }`.
 * Answer: JSON `{ username, password, expiresInSeconds? }`; the kubelet caches it for half the
 * lifetime (as cloud-provider-aws's plugin does with ECR tokens), or does not cache it without one.
 *
 * @module
 */
import type { CredentialProviderRequest } from './api.js';
import { registryOf } from './match-image.js';
import type { CredentialResult } from './run.js';
import { isJsonObject, parseStrictJson } from './strict-json.js';

/** The endpoint's answer is small; a larger body is refused unread. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** A token exchange that failed; the message names the endpoint and the cause, never the token. */
export class TokenExchangeError extends Error {
  override readonly name = 'TokenExchangeError';
}

/**
 * Checks the endpoint URL: `https:`, or `http:` to a loopback address only (a bearer token must
 * not cross a network in clear text).
 * @throws TokenExchangeError
 */
export function checkExchangeUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TokenExchangeError(`--token-exchange-url: ${JSON.stringify(text)} is not a URL`);
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\./.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new TokenExchangeError(`--token-exchange-url: ${url.origin} must be https (plain http only to a loopback address)`);
  }
  return url;
}

/** Exchanges the request's token at `url`; `signal` is the plugin's deadline. */
export async function exchangeToken(url: URL, request: CredentialProviderRequest, signal: AbortSignal): Promise<CredentialResult> {
  const token = request.serviceAccountToken;
  if (token === undefined) {
    throw new TokenExchangeError('the request has no service-account token: set tokenAttributes (serviceAccountTokenAudience, cacheType, requireServiceAccount) for this provider in the kubelet config');
  }
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ image: request.image, serviceAccountAnnotations: request.serviceAccountAnnotations ?? {} }),
      signal,
      redirect: 'error',
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new TokenExchangeError(`token exchange at ${url.origin}${url.pathname} failed: ${err instanceof Error ? err.message : String(err)}${cause}`);
  }
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > MAX_ANSWER_BYTES) throw new TokenExchangeError(`token exchange at ${url.origin}${url.pathname}: answer of ${length} bytes is over the ${MAX_ANSWER_BYTES} byte limit`);
  const text = await res.text();
  if (!res.ok) throw new TokenExchangeError(`token exchange at ${url.origin}${url.pathname} answered ${res.status} ${res.statusText}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
  let body;
  try {
    body = parseStrictJson(text.slice(0, MAX_ANSWER_BYTES));
  } catch (err) {
    throw new TokenExchangeError(`token exchange at ${url.origin}${url.pathname}: answer is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isJsonObject(body) || typeof body.username !== 'string' || typeof body.password !== 'string') {
    throw new TokenExchangeError(`token exchange at ${url.origin}${url.pathname}: answer must be an object with string username and password`);
  }
  const expires = body.expiresInSeconds;
  if (expires !== undefined && (typeof expires !== 'number' || !Number.isFinite(expires) || expires < 0)) {
    throw new TokenExchangeError(`token exchange at ${url.origin}${url.pathname}: expiresInSeconds must be a number >= 0`);
  }
  return {
    cacheKeyType: 'Registry',
    // Half the credential's lifetime, so a cached one is never handed out about to expire.
    cacheDurationMs: expires === undefined ? 0 : Math.floor((expires * 1000) / 2),
    auth: { [registryOf(request.image)]: { username: body.username, password: body.password } },
  };
}
