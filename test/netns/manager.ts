/**
 * `outrigger run --cloud-provider=local` as a process in a lab host.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Lab } from './lab.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Lease 4 s, renew deadline 3 s, retry 250 ms: kill -9 failover within about 4 s. */
export const FAILOVER_LEASE_FLAGS = ['--leader-elect-lease-duration=4s', '--leader-elect-renew-deadline=3s', '--leader-elect-retry-period=250ms'];

/** A manager process in a lab host, with its stderr. */
export interface LabManager {
  readonly child: ChildProcess;
  readonly host: string;
  stderr(): string;
  readonly exited: Promise<number | string>;
}

/** Starts `outrigger run --cloud-provider=local` in `host`. */
export function startManager(lab: Lab, host: string, cloudConfig: string, kubeconfig: string, extra: readonly string[] = []): LabManager {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'run',
    '--cloud-provider=local',
    `--cloud-config=${cloudConfig}`,
    `--kubeconfig=${kubeconfig}`,
    '--secure-port=0',
    '--webhook-secure-port=0',
    '--configure-cloud-routes=false',
    '--controllers=service-lb-controller',
    ...FAILOVER_LEASE_FLAGS,
    ...extra,
  ];
  const child = lab.spawn(host, process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KUBECONFIG: '' } });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, host, stderr: () => err, exited };
}

