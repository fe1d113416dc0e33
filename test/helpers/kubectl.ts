/**
 * The real kubectl (1.35, unpacked by `npm run test:e2e` from a dev dependency) run as a child
 * process against a test cluster, with a deadline.
 *
 * @module
 */
import { execFile } from 'node:child_process';

/** kubectl's path, as `npm run test:e2e` sets it. */
export function kubectlPath(): string {
  const path = process.env.OUTRIGGER_KUBECTL;
  if (path === undefined || path === '') throw new Error('OUTRIGGER_KUBECTL is not set: run the e2e suite with `npm run test:e2e`');
  return path;
}

/** What one kubectl run printed. */
export interface KubectlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `kubectl --kubeconfig=<kubeconfig> <args>`; never rejects on a non-zero exit (see `code`). */
export function kubectl(kubeconfig: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      kubectlPath(),
      [`--kubeconfig=${kubeconfig}`, ...args],
      { timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') {
          reject(new Error(`kubectl ${args.join(' ')}: ${err.message}\n${stderr}`));
          return;
        }
        resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Runs kubectl and fails with its output unless it exits 0. */
export async function kubectlOk(kubeconfig: string, args: readonly string[], options: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await kubectl(kubeconfig, args, options);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}
