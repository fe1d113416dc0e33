/**
 * Encoding and strict decoding of credential provider requests and responses, for both ends of
 * the pipe: the plugin side (decode a request, encode a response) and the kubelet side (encode a
 * request, decode a response). Both decoders are strict as apimachinery's is for the kubelet:
 * unknown or duplicated fields, wrong types and a wrong `kind` are errors.
 *
 * Messages name fields, never values: a request carries a service-account token and a response
 * carries passwords.
 *
 * @module
 */
import { formatGoDuration, parseGoDuration } from '../manager/options/duration.js';
import {
  CACHE_KEY_TYPES,
  CREDENTIAL_PROVIDER_API_VERSIONS,
  CREDENTIAL_PROVIDER_V1,
} from './api.js';
import type { AuthConfig, CacheKeyType, CredentialProviderApiVersion, CredentialProviderRequest, CredentialProviderResponse } from './api.js';
import { isJsonObject, parseStrictJson, StrictJsonError } from './strict-json.js';
import type { JsonValue } from './strict-json.js';

/** A request or response that breaks the protocol; the message says which field and why. */
export class CredentialProtocolError extends Error {
  override readonly name = 'CredentialProtocolError';
}

const REQUEST_KIND = 'CredentialProviderRequest';
const RESPONSE_KIND = 'CredentialProviderResponse';

function isApiVersion(v: string): v is CredentialProviderApiVersion {
  return (CREDENTIAL_PROVIDER_API_VERSIONS as readonly string[]).includes(v);
}

function parseObject(text: string, what: string): { [key: string]: JsonValue } {
  let value: JsonValue;
  try {
    value = parseStrictJson(text);
  } catch (err) {
    if (err instanceof StrictJsonError) throw new CredentialProtocolError(`${what} is not valid JSON: ${err.message}`);
    throw err;
  }
  if (!isJsonObject(value)) throw new CredentialProtocolError(`${what} is not a JSON object`);
  return value;
}

function refuseUnknown(obj: { [key: string]: JsonValue }, known: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) throw new CredentialProtocolError(`unknown field ${where === '' ? JSON.stringify(key) : `${where}.${JSON.stringify(key)}`}`);
  }
}

/** Go decodes `null` into a zero value; so do we, for optional fields. */
function optionalString(obj: { [key: string]: JsonValue }, key: string, where: string): string {
  const v = obj[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new CredentialProtocolError(`field ${where}${JSON.stringify(key)} must be a string`);
  return v;
}

function stringMap(v: JsonValue | undefined, field: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isJsonObject(v)) throw new CredentialProtocolError(`field ${JSON.stringify(field)} must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw new CredentialProtocolError(`field ${field}[${JSON.stringify(k)}] must be a string`);
    out[k] = val;
  }
  return out;
}

/** Options of {@link decodeRequest}. */
export interface DecodeRequestOptions {
  /** The apiVersions the plugin accepts (default: v1 only, as cloud-provider-aws's plugin). */
  readonly apiVersions?: readonly CredentialProviderApiVersion[];
}

/**
 * Decodes the kubelet's request strictly: a known `apiVersion` the plugin accepts, `kind`
 * `CredentialProviderRequest`, a non-empty `image`, only the fields of that version.
 * @throws CredentialProtocolError
 */
export function decodeRequest(text: string, options: DecodeRequestOptions = {}): CredentialProviderRequest {
  const accepted = options.apiVersions ?? [CREDENTIAL_PROVIDER_V1];
  const obj = parseObject(text, 'the request');
  const apiVersion = optionalString(obj, 'apiVersion', '');
  if (!isApiVersion(apiVersion) || !accepted.includes(apiVersion)) {
    throw new CredentialProtocolError(`apiVersion ${JSON.stringify(apiVersion)} is not supported (this plugin accepts ${accepted.join(', ')})`);
  }
  const kind = optionalString(obj, 'kind', '');
  if (kind !== REQUEST_KIND) throw new CredentialProtocolError(`kind ${JSON.stringify(kind)} is not ${REQUEST_KIND}`);
  // Service-account fields exist in v1 only; an older version carrying them is an unknown field.
  const known = apiVersion === CREDENTIAL_PROVIDER_V1 ? ['apiVersion', 'kind', 'image', 'serviceAccountToken', 'serviceAccountAnnotations'] : ['apiVersion', 'kind', 'image'];
  refuseUnknown(obj, known, '');
  const image = optionalString(obj, 'image', '');
  // As cloud-provider-aws's plugin: an empty image is an error, not an empty answer.
  if (image === '') throw new CredentialProtocolError('field "image" is empty');
  const token = optionalString(obj, 'serviceAccountToken', '');
  const annotations = stringMap(obj.serviceAccountAnnotations, 'serviceAccountAnnotations');
  return {
    apiVersion,
    image,
    ...(token === '' ? {} : { serviceAccountToken: token }),
    ...(annotations === undefined || Object.keys(annotations).length === 0 ? {} : { serviceAccountAnnotations: annotations }),
  };
}

/**
 * Encodes a request as the kubelet writes it: kind, apiVersion, image, then the
 * service-account fields when set (omitted when empty, as Go's `omitempty`).
 */
export function encodeRequest(request: CredentialProviderRequest): string {
  const out: Record<string, unknown> = { kind: REQUEST_KIND, apiVersion: request.apiVersion, image: request.image };
  if (request.serviceAccountToken !== undefined && request.serviceAccountToken !== '') out.serviceAccountToken = request.serviceAccountToken;
  if (request.serviceAccountAnnotations !== undefined && Object.keys(request.serviceAccountAnnotations).length > 0) out.serviceAccountAnnotations = request.serviceAccountAnnotations;
  return JSON.stringify(out);
}

/**
 * Encodes a response with only the fields the kubelet knows, checking what a JavaScript caller
 * could get wrong (an unknown cache key type, a negative or non-finite duration, a non-string
 * credential).
 * @throws CredentialProtocolError
 */
export function encodeResponse(response: CredentialProviderResponse): string {
  if (!isApiVersion(response.apiVersion)) throw new CredentialProtocolError(`apiVersion ${JSON.stringify(response.apiVersion)} is not a credential provider apiVersion`);
  if (!CACHE_KEY_TYPES.includes(response.cacheKeyType)) {
    throw new CredentialProtocolError(`cacheKeyType ${JSON.stringify(response.cacheKeyType)} is not one of ${CACHE_KEY_TYPES.join(', ')} (the kubelet would discard the response)`);
  }
  const out: Record<string, unknown> = { kind: RESPONSE_KIND, apiVersion: response.apiVersion, cacheKeyType: response.cacheKeyType };
  if (response.cacheDurationMs !== undefined) {
    const ms = response.cacheDurationMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new CredentialProtocolError(`cacheDurationMs must be a finite number >= 0 (0 means do not cache)`);
    out.cacheDuration = formatGoDuration(ms);
  }
  const auth: Record<string, AuthConfig> = {};
  for (const [pattern, cred] of Object.entries(response.auth as Record<string, AuthConfig | undefined>)) {
    if (typeof cred !== 'object' || cred === null || typeof cred.username !== 'string' || typeof cred.password !== 'string') {
      throw new CredentialProtocolError(`auth[${JSON.stringify(pattern)}] must have a string username and password`);
    }
    auth[pattern] = { username: cred.username, password: cred.password };
  }
  // `auth` is omitempty in Go: an empty map is not written.
  if (Object.keys(auth).length > 0) out.auth = auth;
  return JSON.stringify(out);
}

/**
 * Why the kubelet refuses a plugin's stdout. `kubeletMessage` is what the kubelet logs (for a
 * strict-decoding failure it is deliberately vague, since the text may hold credentials);
 * `detail` is the exact cause, naming fields but no values.
 */
export class ResponseDecodeError extends Error {
  override readonly name = 'ResponseDecodeError';
  readonly kubeletMessage: string;
  readonly detail: string;

  constructor(kubeletMessage: string, detail: string) {
    super(kubeletMessage === detail ? kubeletMessage : `${kubeletMessage} (${detail})`);
    this.kubeletMessage = kubeletMessage;
    this.detail = detail;
  }
}

/**
 * Decodes a plugin's stdout as the kubelet does: read the group/version first and require it to
 * equal `expectedApiVersion`, then decode strictly. The cache key type is *not* checked here (the
 * kubelet checks it after decoding, with its own message): see {@link isCacheKeyType}.
 * @throws ResponseDecodeError
 */
export function decodeResponse(text: string, expectedApiVersion: CredentialProviderApiVersion): CredentialProviderResponse & { readonly cacheKeyType: string } {
  // Step 1, as the kubelet: only apiVersion and kind are read, from any JSON object.
  let loose: unknown;
  try {
    loose = JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ResponseDecodeError(`error reading GVK from response: ${why}`, `stdout is not JSON: ${why}`);
  }
  if (typeof loose !== 'object' || loose === null || Array.isArray(loose)) {
    throw new ResponseDecodeError('error reading GVK from response: not a JSON object', 'stdout is not a JSON object');
  }
  const rawVersion = (loose as { apiVersion?: unknown }).apiVersion;
  const actual = typeof rawVersion === 'string' ? rawVersion : '';
  if (actual !== expectedApiVersion) {
    const m = `apiVersion from credential plugin response did not match expected apiVersion:${expectedApiVersion}, actual apiVersion:${actual}`;
    throw new ResponseDecodeError(m, m);
  }
  // Step 2: strict decoding; its errors are hidden by the kubelet, shown here as `detail`.
  const masked = 'error decoding credential provider plugin response from stdout';
  try {
    const obj = parseObject(text, 'the response');
    refuseUnknown(obj, ['apiVersion', 'kind', 'cacheKeyType', 'cacheDuration', 'auth'], '');
    const kind = optionalString(obj, 'kind', '');
    if (kind !== RESPONSE_KIND) throw new CredentialProtocolError(`kind ${JSON.stringify(kind)} is not ${RESPONSE_KIND}`);
    const cacheKeyType = optionalString(obj, 'cacheKeyType', '');
    let cacheDurationMs: number | undefined;
    const rawDuration = obj.cacheDuration;
    if (rawDuration !== undefined && rawDuration !== null) {
      if (typeof rawDuration !== 'string') throw new CredentialProtocolError('field "cacheDuration" must be a Go duration string such as "5m0s"');
      try {
        cacheDurationMs = parseGoDuration(rawDuration);
      } catch (err) {
        throw new CredentialProtocolError(`field "cacheDuration": ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const auth: Record<string, AuthConfig> = {};
    const rawAuth = obj.auth;
    if (rawAuth !== undefined && rawAuth !== null) {
      if (!isJsonObject(rawAuth)) throw new CredentialProtocolError('field "auth" must be an object');
      for (const [pattern, entry] of Object.entries(rawAuth)) {
        const where = `auth[${JSON.stringify(pattern)}]`;
        if (entry === null) {
          auth[pattern] = { username: '', password: '' };
          continue;
        }
        if (!isJsonObject(entry)) throw new CredentialProtocolError(`field ${where} must be an object`);
        refuseUnknown(entry, ['username', 'password'], where);
        auth[pattern] = { username: optionalString(entry, 'username', `${where}.`), password: optionalString(entry, 'password', `${where}.`) };
      }
    }
    return { apiVersion: expectedApiVersion, cacheKeyType: cacheKeyType as CacheKeyType, ...(cacheDurationMs === undefined ? {} : { cacheDurationMs }), auth };
  } catch (err) {
    if (err instanceof CredentialProtocolError) throw new ResponseDecodeError(masked, err.message);
    throw err;
  }
}

/** Whether `v` is a cache key type the kubelet accepts. */
export function isCacheKeyType(v: string): v is CacheKeyType {
  return (CACHE_KEY_TYPES as readonly string[]).includes(v);
}
