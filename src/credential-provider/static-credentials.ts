/**
 * Credentials from a file, per registry pattern: either Outrigger's mapping file or a Docker
 * `config.json`. The file is read on every request (a plugin process answers one request), so a
 * rotated secret is picked up at the kubelet's next cache miss.
 *
 * Mapping file (JSON):
 * ```json
 * { "cacheDuration": "10m",
 *   "registries": [ { "match": "*.registry.example.com", "username": "robot", "passwordFile": "/etc/robot-token" } ] }
 * ```
 *
 * @module
 */
import { readInputText } from '../input/read-input-file.js';
import { parseGoDuration } from '../manager/options/duration.js';
import type { AuthConfig } from './api.js';
import { explainMatch, registryOf } from './match-image.js';
import type { CredentialResult } from './run.js';
import { isJsonObject, parseStrictJson } from './strict-json.js';
import type { JsonValue } from './strict-json.js';

/** One pattern and its credentials. */
export interface RegistryCredential {
  /** A kubelet match pattern (`*.registry.io`, `registry.io:5000/team`). */
  readonly match: string;
  readonly auth: AuthConfig;
}

/** A credentials file, loaded. */
export interface StaticCredentials {
  readonly entries: readonly RegistryCredential[];
  /** From the file's `cacheDuration`; absent leaves it to the kubelet's defaultCacheDuration. */
  readonly cacheDurationMs?: number;
}

/** A credentials file that cannot be used; the message names the file and the field. */
export class CredentialsFileError extends Error {
  override readonly name = 'CredentialsFileError';
}

async function readJson(path: string, flag: string): Promise<{ [key: string]: JsonValue }> {
  const text = await readInputText(path, { source: flag });
  let v: JsonValue;
  try {
    v = parseStrictJson(text);
  } catch (err) {
    throw new CredentialsFileError(`${flag} ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isJsonObject(v)) throw new CredentialsFileError(`${flag} ${path}: not a JSON object`);
  return v;
}

const str = (v: JsonValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * Loads a mapping file (`registries[]` of `match`, `username`, `password` or `passwordFile`).
 * @throws CredentialsFileError naming the file and field.
 */
export async function loadMappingFile(path: string, flag = '--credentials'): Promise<StaticCredentials> {
  const doc = await readJson(path, flag);
  const where = (field: string): string => `${flag} ${path}: ${field}`;
  for (const key of Object.keys(doc)) if (key !== 'registries' && key !== 'cacheDuration') throw new CredentialsFileError(`${where(key)}: unknown field`);
  const list = doc.registries;
  if (!Array.isArray(list) || list.length === 0) throw new CredentialsFileError(`${where('registries')}: a non-empty list is required`);
  const entries: RegistryCredential[] = [];
  for (const [i, raw] of list.entries()) {
    const at = `registries[${i}]`;
    if (!isJsonObject(raw)) throw new CredentialsFileError(`${where(at)}: must be an object`);
    for (const key of Object.keys(raw)) if (!['match', 'username', 'password', 'passwordFile'].includes(key)) throw new CredentialsFileError(`${where(`${at}.${key}`)}: unknown field`);
    const match = str(raw.match);
    if (match === undefined || match === '') throw new CredentialsFileError(`${where(`${at}.match`)}: a pattern is required`);
    const username = str(raw.username) ?? '';
    let password = str(raw.password);
    const passwordFile = str(raw.passwordFile);
    if ((password === undefined) === (passwordFile === undefined)) throw new CredentialsFileError(`${where(at)}: give exactly one of password and passwordFile`);
    // A mounted secret usually ends with a newline that is not part of the password.
    if (passwordFile !== undefined) password = (await readInputText(passwordFile, { source: `${flag} ${path}: ${at}.passwordFile` })).replace(/\r?\n$/, '');
    entries.push({ match, auth: { username, password: password ?? '' } });
  }
  let cacheDurationMs: number | undefined;
  const rawDuration = doc.cacheDuration;
  if (rawDuration !== undefined) {
    if (typeof rawDuration !== 'string') throw new CredentialsFileError(`${where('cacheDuration')}: must be a duration such as "10m"`);
    try {
      cacheDurationMs = parseGoDuration(rawDuration);
    } catch (err) {
      throw new CredentialsFileError(`${where('cacheDuration')}: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (cacheDurationMs < 0) throw new CredentialsFileError(`${where('cacheDuration')}: must not be negative`);
  }
  return { entries, ...(cacheDurationMs === undefined ? {} : { cacheDurationMs }) };
}

/**
 * Loads a Docker `config.json` (`auths`: `auth` as base64 `user:password`, or `username` and
 * `password`). A key's scheme and a trailing `/v1/`-style path are dropped, as the kubelet does
 * for Docker configs.
 * @throws CredentialsFileError
 */
export async function loadDockerConfig(path: string, flag = '--docker-config'): Promise<StaticCredentials> {
  const doc = await readJson(path, flag);
  const auths = doc.auths;
  if (!isJsonObject(auths)) throw new CredentialsFileError(`${flag} ${path}: auths: an object is required`);
  const entries: RegistryCredential[] = [];
  for (const [key, raw] of Object.entries(auths)) {
    if (!isJsonObject(raw)) throw new CredentialsFileError(`${flag} ${path}: auths[${JSON.stringify(key)}]: must be an object`);
    let username = str(raw.username) ?? '';
    let password = str(raw.password) ?? '';
    const encoded = str(raw.auth);
    if (encoded !== undefined && encoded !== '') {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) throw new CredentialsFileError(`${flag} ${path}: auths[${JSON.stringify(key)}].auth: not base64 of "username:password"`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    const match = key.replace(/^[a-z]+:\/\//, '').replace(/\/v[12]\/?$/, '').replace(/\/$/, '');
    entries.push({ match, auth: { username, password } });
  }
  return { entries };
}

/**
 * The answer for `image`: every entry whose pattern's host matches the image's registry (the
 * kubelet matches paths itself), keyed by registry. No entry: an empty answer, which the kubelet
 * treats as "no credentials from this plugin" and the pull goes on anonymously.
 */
export function answerFromStatic(creds: StaticCredentials, image: string): CredentialResult {
  const registry = registryOf(image);
  const auth: Record<string, AuthConfig> = {};
  for (const e of creds.entries) {
    const host = e.match.split('/')[0] ?? e.match;
    if (explainMatch(host, registry).match) auth[e.match] = e.auth;
  }
  return { cacheKeyType: 'Registry', ...(creds.cacheDurationMs === undefined ? {} : { cacheDurationMs: creds.cacheDurationMs }), auth };
}
