/**
 * Every file a kubeconfig involves, read the bounded way ({@link readInputTextSync}): the
 * kubeconfig itself, and the CA, client certificate and key, and token files it points at —
 * client-node would read each with an unbounded `readFileSync` (so `/dev/zero` exhausted memory
 * and a FIFO blocked for ever). Also the two places client-node is laxer than client-go:
 *
 * - `tokenFile` (client-go's key) is unknown to client-node, so a missing token file was ignored
 *   and requests went out unauthenticated; here it must be readable (as client-go fails), and it
 *   is re-read every minute (client-go's cached file token source) on the injected clock;
 * - `certificate-authority(-data)` that holds no certificate was passed on and surfaced as a
 *   "self-signed certificate" TLS failure; here it is an error naming the kubeconfig and cluster.
 *
 * @module
 */
import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig, User } from '@kubernetes/client-node';
import { InputFileError, readInputFileSync, readInputTextSync } from '../../input/read-input-file.js';
import { ConfigFileError, parseYamlConfig } from '../../input/yaml-config.js';
import { RealClock } from '../clock.js';
import type { Clock } from '../clock.js';
import { KubeConfigError } from './kube-config-error.js';

/** client-go's `cachingTokenSource` period for a bearer token file. */
const TOKEN_FILE_REFRESH_MS = 60_000;
/** A bearer token is a header value: 1 MiB is far beyond any real one. */
const TOKEN_FILE_LIMIT_BYTES = 1024 * 1024;
/** The name under which a `tokenFile` user is handed to client-node (no built-in authenticator claims it). */
const TOKEN_FILE_PROVIDER = 'outrigger-token-file';

/** A `tokenFile` credential: the file, and the static `token` client-go falls back to. */
interface TokenFileSpec {
  readonly path: string;
  readonly fallbackToken: string | undefined;
  /** Where it was configured, for messages. */
  readonly where: string;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] ?? err.message : String(err);
}

function resolvePath(base: string, file: string): string {
  return isAbsolute(file) ? file : join(base, file);
}

/**
 * Sends the contents of a `tokenFile` as the bearer token, re-reading it every minute as client-go
 * does (a rotated projected token is picked up); a failed re-read keeps the last token, and
 * without one falls back to the kubeconfig's static `token`.
 */
export class TokenFileAuthenticator {
  readonly #specs = new Map<string, TokenFileSpec>();
  readonly #cache = new Map<string, { token: string; readAt: number }>();
  readonly #clock: Clock;

  constructor(clock: Clock = new RealClock()) {
    this.#clock = clock;
  }

  /** Registers the token file of user `name` (the first registration of a name wins, as the first kubeconfig file does). */
  add(name: string, spec: TokenFileSpec): void {
    if (!this.#specs.has(name)) this.#specs.set(name, spec);
  }

  /** Whether any user has a token file. */
  get size(): number {
    return this.#specs.size;
  }

  /** The spec of user `name`, if it has a token file. */
  specOf(name: string): TokenFileSpec | undefined {
    return this.#specs.get(name);
  }

  isAuthProvider(user: User): boolean {
    return (user.authProvider as { name?: unknown } | undefined)?.name === TOKEN_FILE_PROVIDER && this.#specs.has(user.name);
  }

  /** Reads the token now (bounded, trimmed as client-go's file token source). @throws InputFileError */
  readToken(name: string): string {
    const spec = this.#specs.get(name);
    if (spec === undefined) throw new Error(`no token file for user ${JSON.stringify(name)}`);
    const token = readInputTextSync(spec.path, { source: spec.where, maxBytes: TOKEN_FILE_LIMIT_BYTES }).trim();
    this.#cache.set(name, { token, readAt: this.#clock.now() });
    return token;
  }

  applyAuthentication(user: User, opts: { headers?: Record<string, unknown> }): Promise<void> {
    const spec = this.#specs.get(user.name);
    if (spec === undefined) return Promise.resolve();
    const cached = this.#cache.get(user.name);
    let token = cached?.token;
    if (cached === undefined || this.#clock.now() - cached.readAt >= TOKEN_FILE_REFRESH_MS) {
      try {
        token = this.readToken(user.name);
      } catch (err) {
        // As client-go's cachingTokenSource: keep serving the last token (or the static one).
        if (token === undefined && spec.fallbackToken === undefined) return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    }
    token ??= spec.fallbackToken;
    if (token !== undefined && token !== '') {
      opts.headers ??= {};
      opts.headers['Authorization'] = `Bearer ${token}`;
    }
    return Promise.resolve();
  }
}

/** The kubeconfig document, sanitised for client-node, and the token files it names. */
export interface KubeconfigDocument {
  /** JSON text for `KubeConfig.loadFromString`. */
  readonly json: string;
}

/**
 * Reads and parses one kubeconfig file (bounded, YAML with alias and nesting limits), resolves
 * `tokenFile` paths against the file's folder (as client-go's path resolution) and registers
 * them with `tokens`; client-node's own `token-file` spelling — which it would read unbounded
 * while parsing, and client-go ignores — is refused by name.
 * @throws KubeConfigError naming the file (missing, not a regular file, too large, malformed).
 */
export function readKubeconfigFile(file: string, via: string, tokens: TokenFileAuthenticator): KubeconfigDocument {
  let text: string;
  try {
    text = readInputTextSync(file, { source: `kubeconfig file (from ${via})` });
  } catch (err) {
    if (!(err instanceof InputFileError)) throw err;
    if (err.problem === 'missing') {
      throw new KubeConfigError(`kubeconfig file ${file} (from ${via}) does not exist: fix the path or create the file`, { file, cause: err });
    }
    throw new KubeConfigError(`kubeconfig file ${file} (from ${via}) ${err.detail}`, { file, cause: err });
  }
  const malformed = (detail: string, cause?: unknown): KubeConfigError =>
    new KubeConfigError(`kubeconfig file ${file} (from ${via}) is malformed: ${detail}; check it with \`kubectl config view --kubeconfig ${file}\``, {
      file,
      ...(cause === undefined ? {} : { cause }),
    });
  let value: unknown;
  try {
    value = parseYamlConfig(text, { file }).value;
  } catch (err) {
    if (err instanceof ConfigFileError) throw malformed(`${err.line === undefined ? '' : `line ${err.line}, column ${err.column ?? 1}: `}${err.detail}`, err);
    throw err;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(value === null ? 'the file is empty' : 'expected a mapping with clusters, users and contexts');
  const doc = value as Record<string, unknown>;
  const base = dirname(file);
  const users = Array.isArray(doc['users']) ? (doc['users'] as unknown[]) : [];
  const sanitisedUsers = users.map((entry, i) => {
    if (typeof entry !== 'object' || entry === null) return entry;
    const { name, user } = entry as { name?: unknown; user?: unknown };
    if (typeof user !== 'object' || user === null) return entry;
    const fields = { ...(user as Record<string, unknown>) };
    const label = `users[${i}]${typeof name === 'string' ? ` (${JSON.stringify(name)})` : ''}`;
    if ('token-file' in fields) throw malformed(`${label}: "token-file" is not a kubeconfig field (client-go reads "tokenFile")`);
    const tokenFile = fields['tokenFile'];
    if (tokenFile === undefined || tokenFile === null || tokenFile === '') return entry;
    if (typeof tokenFile !== 'string') throw malformed(`${label}: tokenFile must be a path`);
    if (typeof name === 'string') {
      const staticToken = typeof fields['token'] === 'string' && fields['token'] !== '' ? fields['token'] : undefined;
      tokens.add(name, { path: resolvePath(base, tokenFile), fallbackToken: staticToken, where: `kubeconfig ${file}: user ${JSON.stringify(name)} tokenFile` });
      // The token goes through the authenticator (file first, static token as fallback, as
      // client-go's bearer round tripper), so client-node must not send the static one itself.
      delete fields['token'];
      delete fields['tokenFile'];
      if (fields['auth-provider'] === undefined && fields['exec'] === undefined) fields['auth-provider'] = { name: TOKEN_FILE_PROVIDER, config: {} };
    }
    return { ...(entry), user: fields };
  });
  return { json: JSON.stringify({ ...doc, users: sanitisedUsers }) };
}

/** What the checks below name in their messages. */
export interface CredentialContext {
  /** `kubeconfig /x (context "c")`. */
  readonly where: string;
  readonly file: string | undefined;
  readonly context: string;
  readonly tokens: TokenFileAuthenticator;
}

/** Whether `pem` holds at least one certificate Node can parse (client-go's AppendCertsFromPEM skips bad blocks). */
function countCertificates(pem: string): { parsed: number; blocks: number; error?: string } {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  let parsed = 0;
  let error: string | undefined;
  for (const block of blocks) {
    try {
      new X509Certificate(block);
      parsed++;
    } catch (err) {
      error ??= errorText(err);
    }
  }
  return { parsed, blocks: blocks.length, ...(error === undefined ? {} : { error }) };
}

function readReferenced(path: string, what: string, c: CredentialContext): Buffer {
  try {
    return readInputFileSync(path, { source: `${c.where}: ${what}` });
  } catch (err) {
    if (!(err instanceof InputFileError)) throw err;
    throw new KubeConfigError(err.message, { ...(c.file === undefined ? {} : { file: c.file }), context: c.context, cause: err });
  }
}

/**
 * Reads the current cluster's CA and the current user's certificate, key and token files (bounded),
 * checks that they can be used, and hands them to client-node as data, so nothing is read from
 * disk later except the token file's periodic refresh.
 * @throws KubeConfigError naming the kubeconfig, cluster or user and the field at fault.
 */
export function resolveCredentialFiles(kc: KubeConfig, c: CredentialContext): void {
  const fail = (message: string, cause?: unknown): never => {
    throw new KubeConfigError(`${c.where}: ${message}`, { ...(c.file === undefined ? {} : { file: c.file }), context: c.context, ...(cause === undefined ? {} : { cause }) });
  };
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  let clusters = kc.clusters;
  let users = kc.users;
  if (cluster !== null) {
    let ca: string | undefined;
    let field = '';
    if (typeof cluster.caFile === 'string' && cluster.caFile !== '') {
      field = `certificate-authority ${cluster.caFile}`;
      ca = readReferenced(cluster.caFile, `cluster ${JSON.stringify(cluster.name)} certificate-authority`, c).toString('utf8');
    } else if (typeof cluster.caData === 'string' && cluster.caData !== '') {
      field = 'certificate-authority-data';
      ca = Buffer.from(cluster.caData, 'base64').toString('utf8');
    }
    if (ca !== undefined) {
      const found = countCertificates(ca);
      if (found.parsed === 0) {
        const why = found.blocks === 0 ? 'it holds no PEM certificate (-----BEGIN CERTIFICATE-----)' : `no certificate in it can be parsed (${found.error ?? 'invalid'})`;
        fail(`cluster ${JSON.stringify(cluster.name)}: the CA in ${field} cannot be parsed: ${why}${field === 'certificate-authority-data' ? '; it must be the base64 of PEM certificates' : ''}`);
      }
      const caData = Buffer.from(ca, 'utf8').toString('base64');
      clusters = kc.clusters.map((x) => (x === cluster ? { ...x, caData, caFile: undefined } : x)) as typeof kc.clusters;
    }
  }
  if (user !== null) {
    const fromFileOrData = (file: string | undefined, data: string | undefined, what: string): string | undefined => {
      if (typeof file === 'string' && file !== '') return readReferenced(file, `user ${JSON.stringify(user.name)} ${what}`, c).toString('utf8');
      if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
      return undefined;
    };
    const cert = fromFileOrData(user.certFile, user.certData, 'client-certificate');
    const key = fromFileOrData(user.keyFile, user.keyData, 'client-key');
    if ((cert === undefined) !== (key === undefined)) {
      // As client-go's validation: a client certificate needs its key and the other way round.
      fail(`user ${JSON.stringify(user.name)}: ${cert === undefined ? 'client-key(-data) is set without client-certificate(-data)' : 'client-certificate(-data) is set without client-key(-data)'}`);
    }
    if (cert !== undefined && key !== undefined) {
      try {
        createSecureContext({ cert, key });
      } catch (err) {
        fail(`user ${JSON.stringify(user.name)}: the client certificate and key cannot be used: ${errorText(err)}`, err);
      }
      users = kc.users.map((x) =>
        x === user ? { ...x, certData: Buffer.from(cert).toString('base64'), keyData: Buffer.from(key).toString('base64'), certFile: undefined, keyFile: undefined } : x,
      ) as typeof kc.users;
    }
    const tokenFile = c.tokens.specOf(user.name);
    if (tokenFile !== undefined && tokenFile.fallbackToken === undefined) {
      // As client-go: with no static token, the token file is read when the config is built and
      // an unreadable one is an error (requests never go out unauthenticated by accident).
      try {
        c.tokens.readToken(user.name);
      } catch (err) {
        if (!(err instanceof InputFileError)) throw err;
        throw new KubeConfigError(`${err.message}: the user's bearer token cannot be read`, { ...(c.file === undefined ? {} : { file: c.file }), context: c.context, cause: err });
      }
    }
  }
  if (clusters !== kc.clusters || users !== kc.users) kc.loadFromOptions({ clusters, users, contexts: kc.contexts, currentContext: kc.currentContext });
}
