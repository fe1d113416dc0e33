/**
 * One supervised server process of the test cluster (etcd or kube-apiserver): its output goes to
 * a log file, it dies with this process even on SIGKILL, and its exit is reported with the last
 * lines of that log.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { RealClock } from '../../kube/clock.js';
import type { Clock } from '../../kube/clock.js';
import { onProcessExit } from './on-process-exit.js';

/** `setpriv --pdeathsig` asks the kernel to kill the child when its parent dies, SIGKILL included. */
const SETPRIV = '/usr/bin/setpriv';

/**
 * The command and arguments that run `binary args` so that it dies with this process, SIGKILL of
 * this process included (through setpriv, which execs the binary: same pid). Without setpriv,
 * `binary args` as they are.
 */
export function dyingWithParent(binary: string, args: readonly string[]): [string, string[]] {
  return existsSync(SETPRIV) ? [SETPRIV, ['--pdeathsig', 'KILL', '--', binary, ...args]] : [binary, [...args]];
}

/** Every child still running, killed synchronously if this process exits without stopping them. */
const live = new Set<ChildProcess>();
onProcessExit(() => {
  for (const child of live) child.kill('SIGKILL');
});

/** The last `n` lines of a log file (empty when it cannot be read). */
export function tailOf(path: string, n = 20): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    return lines.slice(-n).join('\n');
  } catch {
    return '';
  }
}

/** A server process with its log. */
export class ServerProcess {
  readonly name: string;
  readonly logPath: string;
  readonly #child: ChildProcess;
  readonly #clock: Clock;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;

  private constructor(name: string, logPath: string, child: ChildProcess, clock: Clock) {
    this.name = name;
    this.logPath = logPath;
    this.#child = child;
    this.#clock = clock;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        live.delete(child);
        resolve();
      });
    });
  }

  /** Starts `binary args`, appending stdout and stderr to `logPath`. */
  static async start(name: string, binary: string, args: readonly string[], logPath: string, clock: Clock = new RealClock()): Promise<ServerProcess> {
    const fd = openSync(logPath, 'a');
    try {
      const [command, argv] = dyingWithParent(binary, args);
      const child = spawn(command, argv, { stdio: ['ignore', fd, fd] });
      const proc = new ServerProcess(name, logPath, child, clock);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', (err) => reject(new Error(`${name}: cannot start ${binary}: ${err.message}`, { cause: err })));
      });
      live.add(child);
      return proc;
    } finally {
      closeSync(fd);
    }
  }

  /** The process id. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Whether it is still running. */
  get running(): boolean {
    return this.#exit === undefined;
  }

  /** How it ended, for error messages ("exited with code 1", "killed by SIGKILL"). */
  describeExit(): string {
    if (this.#exit === undefined) return 'is running';
    return this.#exit.signal !== null ? `was killed by ${this.#exit.signal}` : `exited with code ${this.#exit.code ?? '?'}`;
  }

  /** An error naming the process, how it ended and the last lines of its log. */
  failure(what: string): Error {
    return new Error(`${this.name} ${what} (${this.describeExit()}); last lines of ${this.logPath}:\n${tailOf(this.logPath)}`);
  }

  /** Sends `signal` if it is running. */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.#child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const timer = this.#clock.setTimer(graceMs, () => this.#child.kill('SIGKILL'));
    await this.exited;
    timer.cancel();
  }
}
