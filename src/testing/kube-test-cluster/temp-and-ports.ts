/**
 * Free loopback ports, and the sweep of temp dirs that a killed test process could not remove.
 *
 * @module
 */
import { readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temp dirs are named `<prefix><pid>-<random>` so a later run can tell whose owner is gone. */
export const TEMP_PREFIX = 'outrigger-kube-';

/** A TCP port on 127.0.0.1 that was free a moment ago (bound by the kernel, then released). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not find a free loopback port');
  return address.port;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes test-cluster temp dirs whose owning process no longer exists (it was SIGKILLed). */
export function sweepStaleDirs(root = tmpdir()): void {
  let entries: string[];
  try {
    entries = readdirSync(root);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const pid = Number(entry.slice(TEMP_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !alive(pid)) rmSync(join(root, entry), { recursive: true, force: true });
  }
}
