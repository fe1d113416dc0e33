/**
 * The test's end of a lab host program's IPC channel (`agent.mjs`, `lb-host.ts`): requests with
 * ids, each answered or rejected within a deadline, and a rejection of everything pending when the
 * program exits.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.js';

/** A program running in a lab host. */
export interface LabProgram {
  readonly child: ChildProcess;
  /** What it printed on stderr so far. */
  stderr(): string;
  call<T = unknown>(op: string, args?: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  /** Resolves with the exit code or signal once it exited. */
  readonly exited: Promise<number | string>;
}

export const AGENT = fileURLToPath(new URL('./agent.mjs', import.meta.url));
export const LB_HOST = fileURLToPath(new URL('./lb-host.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Starts `script` (`.mjs` plain, `.ts` through tsx) in `host` and waits for its `ready` message. */
export async function startProgram(
  lab: Lab,
  host: string,
  script: string,
  args: readonly string[] = [],
  readyTimeoutMs = 30_000,
  wrapper?: { readonly command: string; readonly args: readonly string[] },
): Promise<LabProgram> {
  const nodeArgs = script.endsWith('.ts') ? ['--import', 'tsx', script, ...args] : [script, ...args];
  const [cmd, cmdArgs] = wrapper === undefined ? [process.execPath, nodeArgs] : [wrapper.command, [...wrapper.args, process.execPath, ...nodeArgs]];
  const child = lab.spawn(host, cmd, cmdArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  let next = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let readyResolve: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  child.on('message', (msg: { id?: number; ok?: boolean; value?: unknown; error?: string; ready?: boolean }) => {
    if (msg.ready === true) {
      readyResolve();
      return;
    }
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (p === undefined || msg.id === undefined) return;
    pending.delete(msg.id);
    if (msg.ok === true) p.resolve(msg.value);
    else p.reject(new Error(msg.error ?? 'failed'));
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      for (const p of pending.values()) p.reject(new Error(`${host} program exited (${code ?? signal}): ${err}`));
      pending.clear();
      resolve(code ?? signal ?? -1);
    });
  });
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    ready,
    exited.then((code) => {
      throw new Error(`${host} program exited (${code}) before it was ready: ${err}`);
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${host} program not ready after ${readyTimeoutMs} ms: ${err}`)), readyTimeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return {
    child,
    stderr: () => err,
    exited,
    call<T>(op: string, callArgs: Record<string, unknown> = {}, timeoutMs = 20_000): Promise<T> {
      const id = next++;
      return new Promise<T>((resolve, reject) => {
        const t = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${host}: ${op} not answered within ${timeoutMs} ms; stderr: ${err}`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(t);
            resolve(v as T);
          },
          reject: (e) => {
            clearTimeout(t);
            reject(e);
          },
        });
        child.send({ id, op, ...callArgs });
      });
    },
  };
}
