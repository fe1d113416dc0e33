/**
 * End-to-end helpers: the simulated API served over HTTP on loopback with a kubeconfig on disk,
 * `outrigger run` started as a real child process, and bounded waits driven by watch events and
 * log lines (never a wall-clock sleep).
 *
 * @module
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceClient } from '../../src/kube/client.js';
import type { KubeObject } from '../../src/kube/resources.js';
import { SimulatedApiServer } from '../../src/kube/memory/index.js';
import { HttpApiServer } from '../../src/kube/memory/http/index.js';

/** The repository root (the child runs `src/cli/main.ts` through tsx from here). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A simulated API server on loopback, with its kubeconfig and a temp dir. */
export interface ApiFixture {
  readonly api: SimulatedApiServer;
  readonly http: HttpApiServer;
  readonly dir: string;
  readonly kubeconfig: string;
  /** Writes a file into the temp dir and returns its path. */
  file(name: string, text: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts the simulated API server's HTTP face and writes its kubeconfig. */
export async function startApi(): Promise<ApiFixture> {
  const api = new SimulatedApiServer();
  const http = await HttpApiServer.start({ server: api });
  // The simulated API does not evaluate SubjectAccessReviews: answer every one as the apiserver
  // would for an anonymous user without RBAC rights (allowed: false).
  const denied = { apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', metadata: {}, spec: {}, status: { allowed: false, reason: 'no RBAC rule' } };
  http.faults.inject({
    method: 'POST',
    pathPrefix: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    times: Infinity,
    action: { kind: 'respond', status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify(denied) },
  });
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await http.writeKubeconfig(kubeconfig);
  return {
    api,
    http,
    dir,
    kubeconfig,
    async file(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    async close() {
      await http.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A running `outrigger run` child process. */
export interface CcmProcess {
  readonly child: ChildProcess;
  /** stderr so far (the klog lines). */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Resolves once stderr contains `text`; rejects after `timeoutMs` or if the process exits first. */
  waitForLog(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Kills the process (SIGKILL) if it is still running. */
  kill(): void;
}

/** Starts `node --import tsx src/cli/main.ts run <args>`. */
export function startCcm(args: readonly string[]): CcmProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'run', ...args], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, KUBECONFIG: '' },
  });
  let err = '';
  let out = '';
  const listeners = new Set<() => void>();
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
    for (const l of listeners) l();
  });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      for (const l of listeners) l();
      resolve(code ?? signal ?? -1);
    });
  });
  return {
    child,
    stderr: () => err,
    stdout: () => out,
    exited,
    waitForLog(text, timeoutMs = 30_000) {
      const has = (): boolean => (typeof text === 'string' ? err.includes(text) : text.test(err));
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (has()) finish(undefined);
          else if (done) finish(new Error(`process exited before logging ${String(text)}:\n${err}`));
        };
        const finish = (e: Error | undefined): void => {
          listeners.delete(check);
          clearTimeout(timer);
          if (e === undefined) resolve();
          else reject(e);
        };
        const timer = setTimeout(() => finish(new Error(`timed out after ${timeoutMs} ms waiting for ${String(text)} in:\n${err}`)), timeoutMs);
        listeners.add(check);
        check();
      });
    },
    kill() {
      if (!done) child.kill('SIGKILL');
    },
  };
}

/**
 * Resolves with the first object of `client` satisfying `predicate`, checking the current list and
 * then every watch event; rejects after `timeoutMs`.
 */
export async function waitForObject<T extends KubeObject>(
  client: ResourceClient<T>,
  predicate: (obj: T) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  try {
    for (;;) {
      const list = await client.list({ signal: deadline.signal });
      const found = list.items.find(predicate);
      if (found !== undefined) return found;
      const stream = await client.watch({ resourceVersion: list.metadata.resourceVersion, signal: deadline.signal });
      try {
        for await (const event of stream) {
          if ((event.type === 'ADDED' || event.type === 'MODIFIED') && predicate(event.object)) return event.object;
        }
      } finally {
        stream.close();
      }
      deadline.signal.throwIfAborted();
    }
  } catch (err) {
    if (deadline.signal.aborted) throw deadline.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

/** A TCP port that was free a moment ago (bound then released) for `--secure-port`. */
export { freeLoopbackPort as freePort } from '../../src/testing/kube-test-cluster/temp-and-ports.js';

/** GET over HTTPS, accepting the self-signed serving certificate. */
export function httpsGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', rejectUnauthorized: false, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
