/**
 * Starts a cloud-controller-manager process against a kubeconfig: upstream's, built from
 * test/reference-ccm (`startReferenceCcm`), or Outrigger's (`startOutriggerCcm`), with the same
 * flags and the same fake cloud config, each appending its cloud calls to a JSON-lines file.
 * Used by the differential runner (test/compare), the upstream benchmark (bench/upstream.bench.ts)
 * and any suite that wants upstream's behaviour as the judge.
 *
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dyingWithParent } from '../../src/testing/kube-test-cluster/child-process.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Options of {@link startReferenceCcm} and {@link startOutriggerCcm}. */
export interface CcmStartOptions {
  /** The kubeconfig the CCM talks to the cluster with (`--kubeconfig`). */
  readonly kubeconfig: string;
  /** The fake provider's JSON config file (`--cloud-config`); both CCMs read the same document. */
  readonly cloudConfig: string;
  /** Where the cloud appends one JSON line per call (`OUTRIGGER_FAKE_CALL_LOG`); none if unset. */
  readonly callLog?: string;
  /**
   * More flags, e.g. `['--controllers=cloud-node', '--kube-api-qps=1000']`. The defaults (no
   * serving, no leader election, provider `fake`) come first, so these win.
   */
  readonly flags?: readonly string[];
  /** The reference CCM binary (default: built or found by scripts/reference-ccm-build.sh). */
  readonly binary?: string;
}

/** A running CCM process. */
export interface CcmProcess {
  readonly which: 'upstream' | 'outrigger';
  readonly pid: number;
  /** Resolves with the exit code, or the signal name, once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Whether it has exited. */
  hasExited(): boolean;
  /** The last `n` lines of its output (stdout and stderr interleaved). */
  tail(n?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** The flags both CCMs get before the caller's: no serving ports, no election, the fake cloud. */
export function commonCcmFlags(options: CcmStartOptions): string[] {
  return [
    '--cloud-provider=fake',
    `--cloud-config=${options.cloudConfig}`,
    `--kubeconfig=${options.kubeconfig}`,
    '--secure-port=0',
    '--webhook-secure-port=0',
    '--leader-elect=false',
    ...(options.flags ?? []),
  ];
}

let builtBinary: string | undefined;

/**
 * The reference CCM binary: `$OUTRIGGER_REFERENCE_CCM` when set (`npm run test:e2e` sets it),
 * else built (once per source hash, cached under ~/.cache/outrigger) by
 * scripts/reference-ccm-build.sh. Needs Go; throws with the script's output when it fails.
 */
export function referenceCcmBinary(): string {
  if (builtBinary !== undefined) return builtBinary;
  // `npm run test:e2e` builds it before the tests start and says where.
  const given = process.env['OUTRIGGER_REFERENCE_CCM'];
  if (given !== undefined && given !== '') return (builtBinary = given);
  const result = spawnSync('bash', ['scripts/reference-ccm-build.sh'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`building the reference CCM failed:\n${result.stderr}`);
  builtBinary = result.stdout.trim().split('\n').at(-1) ?? '';
  return builtBinary;
}

/**
 * Makes sure the test cluster's kube-apiserver and etcd are built (scripts/kube-build.sh) and that
 * `OUTRIGGER_KUBE_BIN_DIR` names them, as `npm run test:e2e` does; a no-op when it is set.
 */
export function ensureKubeBinaries(): void {
  if ((process.env['OUTRIGGER_KUBE_BIN_DIR'] ?? '') !== '') return;
  const result = spawnSync('bash', ['scripts/kube-build.sh'], { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.status !== 0) throw new Error('building the test cluster failed (see above)');
  process.env['OUTRIGGER_KUBE_BIN_DIR'] = result.stdout.trim().split('\n').at(-1) ?? '';
}

function track(which: CcmProcess['which'], child: ChildProcess): CcmProcess {
  const lines: string[] = [];
  let partial = '';
  const take = (chunk: string): void => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    // Only the tail is ever read: keep memory bounded on long benchmark runs.
    if (lines.length > 2_000) lines.splice(0, lines.length - 1_000);
  };
  child.stdout?.setEncoding('utf8').on('data', take);
  child.stderr?.setEncoding('utf8').on('data', take);
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? -1);
    });
    child.on('error', (err) => {
      take(`spawn error: ${err.message}\n`);
      done = true;
      resolve(-1);
    });
  });
  return {
    which,
    pid: child.pid ?? -1,
    exited,
    hasExited: () => done,
    tail: (n = 20) => [...lines, ...(partial === '' ? [] : [partial])].slice(-n).join('\n'),
    async stop(graceMs = 10_000) {
      if (done) return;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve();
        }, graceMs);
      });
      await Promise.race([exited, killed]);
      clearTimeout(timer);
      await exited;
    },
  };
}

function env(callLog: string | undefined): NodeJS.ProcessEnv {
  // No KUBECONFIG from the caller's shell: the flag alone says where the cluster is.
  const base: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: '' };
  delete base['OUTRIGGER_FAKE_CALL_LOG'];
  return callLog === undefined ? base : { ...base, OUTRIGGER_FAKE_CALL_LOG: callLog };
}

/**
 * Starts upstream's cloud-controller-manager (k8s.io/cloud-provider v0.37.2 with the anchor cloud).
 *
 * @example
 * ```ts
 * const ccm = startReferenceCcm({ kubeconfig, cloudConfig: 'fake.json', flags: ['--controllers=*'] });
 * try { … } finally { await ccm.stop(); }
 * ```
 */
export function startReferenceCcm(options: CcmStartOptions): CcmProcess {
  const binary = options.binary ?? referenceCcmBinary();
  // Dies with this process even on SIGKILL (a killed test run left reference CCMs running).
  const child = spawn(...dyingWithParent(binary, commonCcmFlags(options)), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: env(options.callLog) });
  return track('upstream', child);
}

/** Whether every source file under `src` has a built counterpart under `dist` at least as new. */
function builtIsFresh(src: string, dist: string): boolean {
  for (const entry of readdirSync(src, { withFileTypes: true })) {
    const path = join(src, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testdata' && !builtIsFresh(path, join(dist, entry.name))) return false;
    } else if (entry.name.endsWith('.ts') && !/\.(test|test-util|d)\.ts$/.test(entry.name)) {
      const built = join(dist, entry.name.replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) return false;
    }
  }
  return true;
}

/**
 * How to start Outrigger's CCM: the built `dist/cli/cloud-controller-manager.js` when every source
 * file has a built counterpart at least as new (as after `npm install` or `npm run build`) — the
 * form users run, and seconds faster to start than tsx; otherwise the sources through tsx.
 * `OUTRIGGER_CCM_FROM_SOURCE=1` forces the sources.
 */
export function outriggerCommand(): { readonly args: readonly string[]; readonly form: 'dist' | 'source' } {
  const entry = join(REPO_ROOT, 'dist', 'cli', 'cloud-controller-manager.js');
  const source = { args: ['--import', 'tsx', 'src/cli/cloud-controller-manager.ts'], form: 'source' } as const;
  if (process.env['OUTRIGGER_CCM_FROM_SOURCE'] === '1' || !existsSync(entry)) return source;
  return builtIsFresh(join(REPO_ROOT, 'src'), join(REPO_ROOT, 'dist')) ? { args: [entry], form: 'dist' } : source;
}

/** Starts Outrigger's `cloud-controller-manager` (see {@link outriggerCommand}) with the same flags. */
export function startOutriggerCcm(options: CcmStartOptions): CcmProcess {
  const child = spawn(...dyingWithParent(process.execPath, [...outriggerCommand().args, ...commonCcmFlags(options)]), {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: env(options.callLog),
  });
  return track('outrigger', child);
}

/** One line of a cloud call log. */
export interface CloudCall {
  readonly method: string;
  readonly args: readonly unknown[];
  readonly at: number;
}

/** Reads a call log written by either cloud; a torn last line (still being written) is skipped. */
export function readCallLog(path: string): CloudCall[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const calls: CloudCall[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      calls.push(JSON.parse(line) as CloudCall);
    } catch {
      // a line being appended right now
    }
  }
  return calls;
}

/**
 * The calls in a call log counted by method, without holding the log in memory: a benchmark's log
 * holds every node list sent to the cloud and can grow to gigabytes.
 */
export function countCallLog(path: string): Map<string, number> {
  const fd = openSync(path, 'r');
  const counts = new Map<string, number>();
  const methodOf = /"method":"([A-Za-z]+)"/;
  try {
    const buffer = Buffer.allocUnsafe(4 << 20);
    let carry = '';
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      const lines = (carry + buffer.toString('utf8', 0, n)).split('\n');
      carry = n === 0 ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        const method = methodOf.exec(line)?.[1];
        if (method !== undefined) counts.set(method, (counts.get(method) ?? 0) + 1);
      }
      if (n === 0) return counts;
    }
  } finally {
    closeSync(fd);
  }
}
