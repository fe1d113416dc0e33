/**
 * The plugin side of the protocol: read one request from stdin, call the author's `provide`,
 * write one response to stdout, exit 0; on any failure write one line to stderr and exit 1 (the
 * kubelet logs the exit status and stderr together). A deadline under the kubelet's one-minute
 * exec timeout makes a slow backend a clear message rather than a SIGKILL.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { RealClock } from '../kube/clock.js';
import type { Clock } from '../kube/clock.js';
import { oneLine } from '../input/one-line.js';
import type { AuthConfig, CacheKeyType, CredentialProviderApiVersion, CredentialProviderRequest } from './api.js';
import { decodeRequest, encodeResponse } from './codec.js';

/** The kubelet kills a plugin after one minute (pkg/credentialprovider/plugin, exec timeout). */
export const KUBELET_EXEC_TIMEOUT_MS = 60_000;

/** Default deadline of {@link runCredentialProvider}: 5 s of margin under the kubelet's timeout. */
export const DEFAULT_PLUGIN_DEADLINE_MS = 55_000;

/** A request is a few hundred bytes; anything near this limit is not from a kubelet. */
const MAX_REQUEST_BYTES = 1024 * 1024;

/** What `provide` answers. */
export interface CredentialResult {
  /** How the kubelet keys its cache of this answer. */
  readonly cacheKeyType: CacheKeyType;
  /** Cache lifetime in ms: omit for the config's `defaultCacheDuration`, 0 for "do not cache". */
  readonly cacheDurationMs?: number;
  /** Match pattern → credentials; empty when there are none for this image. */
  readonly auth: Readonly<Record<string, AuthConfig>>;
}

/** What `provide` receives besides the request. */
export interface ProvideContext {
  /** Aborted at the deadline: pass it to fetch() and friends. */
  readonly signal: AbortSignal;
  /** The plugin's command-line arguments (the kubelet config's `args`). */
  readonly args: readonly string[];
  /** The plugin's environment (the host's, overlaid with the kubelet config's `env`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The author's function: credentials for one image. Throw to fail the pull's lookup. */
export type ProvideCredentials = (request: CredentialProviderRequest, context: ProvideContext) => CredentialResult | Promise<CredentialResult>;

/** Options of {@link serveCredentialRequest} and {@link runCredentialProvider}. */
export interface CredentialProviderOptions {
  /** Credentials for one request. */
  readonly provide: ProvideCredentials;
  /** The name in error lines (default: `credential-provider`). */
  readonly name?: string;
  /** The apiVersions accepted (default: v1 only). The response always echoes the request's. */
  readonly apiVersions?: readonly CredentialProviderApiVersion[];
  /** Give up after this long (default {@link DEFAULT_PLUGIN_DEADLINE_MS}). */
  readonly deadlineMs?: number;
}

/** Where one exchange reads and writes. */
export interface CredentialProviderIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
}

class DeadlineError extends Error {}

async function readAll(stream: Readable, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream.iterator({ destroyOnReturn: false })) {
    signal.throwIfAborted();
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_REQUEST_BYTES) throw new Error(`the request on stdin is larger than ${MAX_REQUEST_BYTES} bytes`);
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(text, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * One exchange on the given streams; resolves to the exit code (0 answered, 1 failed). Never
 * rejects: every failure is one line on stderr naming the plugin, the image when known, and why.
 */
export async function serveCredentialRequest(options: CredentialProviderOptions, io: CredentialProviderIo): Promise<number> {
  const name = options.name ?? 'credential-provider';
  const clock = io.clock ?? new RealClock();
  const deadlineMs = options.deadlineMs ?? DEFAULT_PLUGIN_DEADLINE_MS;
  const controller = new AbortController();
  const timer = clock.setTimer(deadlineMs, () => controller.abort(new DeadlineError(`no answer within the ${deadlineMs} ms deadline (the kubelet kills a plugin after ${KUBELET_EXEC_TIMEOUT_MS} ms)`)));
  let image: string | undefined;
  try {
    const work = (async () => {
      const text = await readAll(io.stdin, controller.signal);
      const request = decodeRequest(text, options.apiVersions === undefined ? {} : { apiVersions: options.apiVersions });
      image = request.image;
      const result = await options.provide(request, { signal: controller.signal, args: io.args, env: io.env });
      if (typeof result !== 'object' || result === null) throw new Error('provide() returned no result');
      return encodeResponse({
        apiVersion: request.apiVersion,
        cacheKeyType: result.cacheKeyType,
        ...(result.cacheDurationMs === undefined ? {} : { cacheDurationMs: result.cacheDurationMs }),
        auth: result.auth ?? {},
      });
    })();
    // Whichever comes first: the answer or the deadline (a provide() ignoring its signal included).
    const deadline = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
    });
    work.catch(() => undefined); // settled later by the race's loser; its rejection is reported once
    const body = await Promise.race([work, deadline]);
    await write(io.stdout, body);
    return 0;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const subject = image === undefined ? '' : ` for image ${JSON.stringify(image)}`;
    await write(io.stderr, `${oneLine(`${name}: cannot provide credentials${subject}: ${why}`)}\n`).catch(() => undefined);
    return 1;
  } finally {
    timer.cancel();
  }
}

/**
 * Runs a credential provider plugin on this process's stdin/stdout and exits with its status.
 * The process exits even if `provide` left work behind (an open socket, a hung call).
 *
 * @example
 * ```ts
 * #!/usr/bin/env node
 * import { runCredentialProvider } from 'outrigger/credential-provider';
 *
 * await runCredentialProvider({
 *   name: 'my-registry-credentials',
 *   provide: async ({ image }) => ({
 *     cacheKeyType: 'Registry',
 *     cacheDurationMs: 10 * 60_000,
 *     auth: { 'registry.example.com': { username: 'robot', password: await fetchToken(image) } },
 *   }),
 * });
 * ```
 */
export async function runCredentialProvider(options: CredentialProviderOptions): Promise<never> {
  const code = await serveCredentialRequest(options, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, args: process.argv.slice(2), env: process.env });
  process.exit(code);
}

