import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSelfCheck } from './selfcheck.js';

describe('outrigger selfcheck', () => {
  it('initialises every node, records one event per node and exits 0', async () => {
    const lines: string[] = [];
    const code = await runSelfCheck((l) => lines.push(l));
    assert.equal(code, 0, lines.join('\n'));
    assert.ok(lines.includes('  nodes initialised:   1000 of 1000'), lines.join('\n'));
    assert.ok(lines.includes('  events recorded:     1000'), lines.join('\n'));
  });
});

describe('outrigger with no command', () => {
  it('prints the usage and exits 0 (the self check is its own command)', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: outrigger <command>/);
    assert.doesNotMatch(r.stdout, /not built yet/);
  });
});
