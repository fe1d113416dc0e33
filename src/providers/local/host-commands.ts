/**
 * Running the host's network tools (`ip`, `arping`, `nft`) for the local provider: every call has
 * a deadline and bounded output, and fails with an error naming the command and what it printed.
 * Tests inject a fake {@link CommandRunner}.
 *
 * @module
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { oneLine } from '../../input/one-line.js';

/** What a finished command left. */
export interface CommandResult {
  /** Exit code; `null` when a signal ended it (the deadline). */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs host commands; the seam tests replace. */
export interface CommandRunner {
  /** Runs `command args…`, feeding `input` on stdin; resolves whatever the exit code (rejects only when it cannot start). */
  run(command: string, args: readonly string[], options?: { readonly input?: string; readonly timeoutMs?: number }): Promise<CommandResult>;
  /** The same, blocking: for the process `exit` hook, where nothing asynchronous runs any more. */
  runSync(command: string, args: readonly string[]): CommandResult;
  /** Starts a command left to run on its own (a repeated announcement); `stop()` ends it if still running. */
  background(command: string, args: readonly string[]): { stop(): void };
}

/** A host command failed; the message names the command line and its output. */
export class HostCommandError extends Error {
  override readonly name = 'HostCommandError';
  readonly result: CommandResult;

  constructor(command: string, args: readonly string[], result: CommandResult) {
    const output = (result.stderr.trim() || result.stdout.trim()).slice(0, 300);
    super(oneLine(`${[command, ...args].join(' ')} ${result.code === null ? 'timed out' : `exited ${result.code}`}${output === '' ? '' : `: ${output}`}`));
    this.result = result;
  }
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 4 * 1024 * 1024;

/** The real runner: `execFile` (no shell) with a deadline. */
export class ProcessCommandRunner implements CommandRunner {
  readonly #running = new Set<ChildProcess>();

  run(command: string, args: readonly string[], options: { readonly input?: string; readonly timeoutMs?: number } = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(command, [...args], { timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBuffer: MAX_OUTPUT, encoding: 'utf8' }, (err, stdout, stderr) => {
        if (err !== null && typeof err.code === 'string') {
          // ENOENT / EACCES: the tool is not installed or not executable.
          reject(new Error(`cannot run ${command}: ${err.message}`, { cause: err }));
          return;
        }
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null;
        resolve({ code: err !== null && err.killed ? null : code, stdout, stderr });
      });
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  runSync(command: string, args: readonly string[]): CommandResult {
    try {
      const stdout = execFileSync(command, [...args], { timeout: DEFAULT_TIMEOUT_MS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { code: 0, stdout, stderr: '' };
    } catch (err) {
      const e = err as { status?: number | null; stdout?: string; stderr?: string };
      return { code: e.status ?? null, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
    }
  }

  background(command: string, args: readonly string[]): { stop(): void } {
    const child = spawn(command, [...args], { stdio: 'ignore' });
    child.on('error', () => undefined);
    this.#running.add(child);
    child.on('exit', () => this.#running.delete(child));
    // Never what keeps the process alive.
    child.unref();
    return {
      stop: () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      },
    };
  }
}

/** Runs a command and returns stdout; a non-zero exit is a {@link HostCommandError}. */
export async function runChecked(runner: CommandRunner, command: string, args: readonly string[], options?: { readonly input?: string; readonly timeoutMs?: number }): Promise<string> {
  const result = await runner.run(command, args, options);
  if (result.code !== 0) throw new HostCommandError(command, args, result);
  return result.stdout;
}
