// The snippets of docs/writing-a-provider.md run as written: the example provider module loads
// through the documented programmatic path and constructs a working provider.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from './helpers/ccm-process.js';

/** The fenced block whose first line is `// <file>`. */
function snippet(markdown: string, file: string): string {
  const match = new RegExp(`\`\`\`(?:js|ts)\\n// ${file.replace('.', '\\.')}\\n([\\s\\S]*?)\`\`\``).exec(markdown);
  if (match === null) throw new Error(`docs/writing-a-provider.md has no block starting "// ${file}"`);
  return match[1] ?? '';
}

describe('docs/writing-a-provider.md', () => {
  it('the acme provider module and the programmatic loading snippet run as written', async () => {
    const guide = await readFile(join(REPO_ROOT, 'docs/writing-a-provider.md'), 'utf8');
    // Inside the repository, so `import … from 'outrigger'` resolves to this package (self-reference).
    const dir = await mkdtemp(join(REPO_ROOT, '.guide-test-'));
    try {
      await writeFile(join(dir, 'acme-provider.js'), snippet(guide, 'acme-provider.js'));
      await writeFile(join(dir, 'load-acme.mts'), snippet(guide, 'load-acme.mts'));
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'load-acme.mts'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'acme');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
