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
