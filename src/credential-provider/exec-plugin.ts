/**
 * Runs a plugin executable the way the kubelet does (pkg/credentialprovider/plugin `ExecPlugin`):
 * `<bin-dir>/<name> <args…>` with the host environment overlaid by the config's `env`, the
 * encoded request on stdin, a one-minute deadline, then the response decoded strictly. Failures
 * carry the exact text the kubelet would log, so a plugin author sees the node's verdict.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { RealClock } from '../kube/clock.js';
import type { Clock } from '../kube/clock.js';
import type { CredentialProviderRequest, CredentialProviderResponse } from './api.js';
import { decodeResponse, encodeRequest, ResponseDecodeError } from './codec.js';
import type { CredentialProviderEntry } from './kubelet-config.js';
import { KUBELET_EXEC_TIMEOUT_MS } from './run.js';

/** Output beyond this is cut (a plugin writing without end must not exhaust memory). */
const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** A plugin run the kubelet would reject. */
export class PluginExecError extends Error {
  override readonly name = 'PluginExecError';
  /** The provider's name. */
  readonly plugin: string;
  readonly image: string;
  /** What the kubelet logs, after "Failed getting credential from external registry credential provider: ". */
  readonly kubeletMessage: string;
  /** The exact cause when the kubelet hides it (strict decoding), else the same as kubeletMessage. */
  readonly detail: string;

  constructor(plugin: string, image: string, kubeletMessage: string, detail: string) {
    super(`plugin ${plugin}, image ${image}: ${kubeletMessage}${detail === kubeletMessage ? '' : ` (${detail})`}`);
    this.plugin = plugin;
    this.image = image;
    this.kubeletMessage = kubeletMessage;
    this.detail = detail;
  }
}

/** Options of {@link execPlugin}. */
export interface ExecPluginOptions {
  /** The plugin directory (`--image-credential-provider-bin-dir`). */
  readonly binDir: string;
  /** Kill the plugin after this long (default: the kubelet's 60 s). */
  readonly timeoutMs?: number;
  /** Host environment the config's `env` overlays (default `process.env`). */
  readonly environ?: Readonly<Record<string, string | undefined>>;
  /** Wall clock for the deadline (default real time). */
  readonly clock?: Clock;
}

/** One plugin run's raw outcome. */
interface RunOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly spawnError?: Error;
}

function runProcess(bin: string, args: readonly string[], env: NodeJS.ProcessEnv, input: string, timeoutMs: number, clock: Clock): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const child = spawn(bin, [...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let timedOut = false;
    let spawnError: Error | undefined;
    // As exec.CommandContext: the deadline kills the process (SIGKILL).
    const timer = clock.setTimer(timeoutMs, () => {
      timedOut = true;
      child.kill('SIGKILL');
    });
    child.stdout.on('data', (b: Buffer) => {
      outBytes += b.length;
      if (outBytes <= MAX_OUTPUT_BYTES) out.push(b);
    });
    child.stderr.on('data', (b: Buffer) => {
      errBytes += b.length;
      if (errBytes <= MAX_OUTPUT_BYTES) err.push(b);
    });
    child.on('error', (e) => {
      spawnError = e;
    });
    // A plugin that exits without reading stdin makes the write fail with EPIPE: not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('close', (code, signal) => {
      timer.cancel();
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut, ...(spawnError === undefined ? {} : { spawnError }) });
    });
  });
}

/**
 * Execs `provider` for `request` as the kubelet does and decodes its answer strictly.
 * @throws PluginExecError with the kubelet's message.
 */
export async function execPlugin(provider: CredentialProviderEntry, request: CredentialProviderRequest, options: ExecPluginOptions): Promise<CredentialProviderResponse & { readonly cacheKeyType: string }> {
  const bin = join(options.binDir, provider.name);
  const env: NodeJS.ProcessEnv = { ...(options.environ ?? process.env) };
  // Config env comes after the host's, so it wins (Go's exec keeps the last duplicate).
  for (const e of provider.env) env[e.name] = e.value;
  const timeoutMs = options.timeoutMs ?? KUBELET_EXEC_TIMEOUT_MS;
  const r = await runProcess(bin, provider.args, env, encodeRequest(request), timeoutMs, options.clock ?? new RealClock());
  const prefix = `error execing credential provider plugin ${provider.name} for image ${request.image}`;
  const fail = (cause: string): never => {
    const m = `${prefix}: ${cause}: ${r.stderr}`;
    throw new PluginExecError(provider.name, request.image, m, m);
  };
  if (r.spawnError !== undefined) fail(`fork/exec ${bin}: ${r.spawnError.message}`);
  if (r.timedOut) fail('context deadline exceeded');
  if (r.signal !== null) fail(`signal: ${r.signal === 'SIGKILL' ? 'killed' : r.signal}`);
  if (r.code !== 0) fail(`exit status ${String(r.code)}`);
  try {
    return decodeResponse(r.stdout, provider.apiVersion);
  } catch (err) {
    if (err instanceof ResponseDecodeError) throw new PluginExecError(provider.name, request.image, err.kubeletMessage, err.detail);
    throw err;
  }
}
