import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDirectory } from './ensure-directory.js';
import { InputFileError } from './read-input-file.js';

describe('ensureDirectory', () => {
  it('creates missing levels and accepts an existing folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-ensure-'));
    try {
      const deep = join(dir, 'a', 'b', 'c');
      await ensureDirectory(deep, { source: 'stateFile' });
      assert.ok(statSync(deep).isDirectory());
      await ensureDirectory(deep, { source: 'stateFile' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a path through a regular file, naming the source', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'outrigger-ensure-'));
    try {
      await writeFile(join(dir, 'file'), 'x');
      await assert.rejects(ensureDirectory(join(dir, 'file', 'sub'), { source: 'stateFile' }), (err: unknown) => err instanceof InputFileError && err.problem === 'not-a-directory' && /^stateFile: ".*file" is not a directory/.test(err.message));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  // Before (fs.mkdir recursive): a /proc path that answers ENOENT made the call spin for ever.
  it('ends with an error for a folder under /proc instead of spinning', async (t) => {
    if (!existsSync('/proc/self')) return t.skip('no /proc');
    await assert.rejects(ensureDirectory('/proc/self/outrigger/state', { source: 'stateFile' }), (err: unknown) => err instanceof InputFileError && err.problem === 'cannot-create' && /^stateFile: "\/proc\/self\/outrigger" cannot be created/.test(err.message));
  });
});
