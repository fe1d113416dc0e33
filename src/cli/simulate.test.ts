// Bounded input of `outrigger simulate` (issue #17): counts and the scenario file. Each case ends
// in exit 2 with one line naming the flag or file, before anything is built or read.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runSimulateCommand } from './simulate.js';

async function simulate(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const code = await runSimulateCommand(argv, { stdout: { write: () => true }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stderr };
}

describe('outrigger simulate: bounded input', () => {
  const cases: [string, string[], RegExp][] = [
    // Before: 100000000 nodes were generated until the heap ran out.
    ['a hundred million nodes', ['--nodes', '100000000'], /^outrigger simulate: --nodes: at most 50000 \(the simulated cluster lives in memory\), got 100000000$/m],
    ['too many services', ['--nodes', '1', '--services=50001'], /^outrigger simulate: --services: at most 50000/m],
    ['a seed beyond 32 bits', ['--nodes', '1', '--seed', '4294967296'], /--seed: at most 4294967295 \(a 32-bit seed\)/],
    ['an exponent as a count', ['--nodes', '1e3'], /--nodes: expected a whole number, got "1e3"/],
    ['a verbosity beyond int32', ['--demo', '-v', '2147483648'], /-v: at most 2147483647/],
    // Before: /dev/zero was read until the heap ran out.
    ['/dev/zero as the scenario', ['/dev/zero'], /^outrigger simulate: cannot read "\/dev\/zero": the file is a character device, not a regular file/m],
  ];
  for (const [name, argv, message] of cases) {
    it(`refuses ${name} (exit 2)`, async () => {
      const run = await simulate(argv);
      assert.equal(run.code, 2);
      assert.match(run.stderr, message);
    });
  }

  it('refuses a FIFO as the scenario instead of blocking', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-sim-fifo-'));
    try {
      const fifo = join(dir, 'scenario.yaml');
      if (spawnSync('mkfifo', [fifo]).status !== 0) return t.skip('mkfifo is not available');
      const run = await simulate([fifo]);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /the file is a named pipe \(FIFO\), not a regular file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
