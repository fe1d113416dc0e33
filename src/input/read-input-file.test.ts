import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatByteSize, InputFileError, readInputFile, readInputFileSync } from './read-input-file.js';
import type { InputFileProblem } from './read-input-file.js';

let dir = '';
let fifo: string | undefined;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'outrigger-input-'));
  await writeFile(join(dir, 'ok.yaml'), 'a: 1\n');
  await writeFile(join(dir, 'ten.txt'), '0123456789');
  await symlink('/dev/zero', join(dir, 'zero-link'));
  // Node has no mkfifo; the coreutils one is on every Linux this project runs on.
  if (spawnSync('mkfifo', [join(dir, 'fifo')]).status === 0) fifo = join(dir, 'fifo');
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const readers = [
  ['readInputFile', (path: string, maxBytes?: number) => readInputFile(path, { source: '--x', ...(maxBytes === undefined ? {} : { maxBytes }) })],
  ['readInputFileSync', (path: string, maxBytes?: number) => Promise.resolve().then(() => readInputFileSync(path, { source: '--x', ...(maxBytes === undefined ? {} : { maxBytes }) }))],
] as const;

for (const [name, read] of readers) {
  describe(name, () => {
    it('reads a regular file', async () => {
      assert.equal((await read(join(dir, 'ok.yaml'))).toString('utf8'), 'a: 1\n');
    });

    it('reads a file exactly at the limit', async () => {
      assert.equal((await read(join(dir, 'ten.txt'), 10)).length, 10);
    });

    const refused: [string, () => string | undefined, InputFileProblem, RegExp][] = [
      ['a missing file', () => join(dir, 'absent'), 'missing', /^--x: ".*absent" does not exist$/],
      ['a path under a regular file', () => join(dir, 'ok.yaml', 'x'), 'missing', /does not exist \(a parent is not a directory\)/],
      ['a directory', () => dir, 'not-regular', /is a directory, not a regular file: give the path of a file$/],
      // Before: read until the heap was exhausted.
      ['/dev/zero', () => '/dev/zero', 'not-regular', /^--x: "\/dev\/zero" is a character device, not a regular file/],
      ['a symlink to /dev/zero', () => join(dir, 'zero-link'), 'not-regular', /is a character device/],
      // Before: the open blocked a libuv thread until a writer came (never), SIGTERM included.
      ['a FIFO', () => fifo, 'not-regular', /is a named pipe \(FIFO\), not a regular file/],
    ];
    for (const [what, path, problem, message] of refused) {
      it(`refuses ${what} with an InputFileError naming the source`, async (t) => {
        const p = path();
        if (p === undefined) return t.skip('mkfifo is not available');
        await assert.rejects(read(p), (err: unknown) => err instanceof InputFileError && err.problem === problem && err.isInputError && message.test(err.message));
      });
    }

    it('refuses a file over the limit, saying the limit', async () => {
      await assert.rejects(read(join(dir, 'ten.txt'), 9), (err: unknown) => err instanceof InputFileError && err.problem === 'too-large' && err.limitBytes === 9 && /larger than the 9 bytes limit/.test(err.message));
    });

    // /proc files report a size of 0: the limit holds on the bytes actually read.
    it('bounds a file whose reported size is 0 by what it reads', async (t) => {
      if (!existsSync('/proc/self/maps')) return t.skip('no /proc');
      await assert.rejects(read('/proc/self/maps', 16), (err: unknown) => err instanceof InputFileError && err.problem === 'too-large');
    });
  });
}

describe('formatByteSize', () => {
  for (const [bytes, text] of [[4 * 1024 * 1024, '4 MiB'], [512 * 1024, '512 KiB'], [100, '100 bytes'], [1500, '1500 bytes']] as const) {
    it(`${bytes} is ${text}`, () => assert.equal(formatByteSize(bytes), text));
  }
});
