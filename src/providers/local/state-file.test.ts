import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputFileError } from '../../input/read-input-file.js';
import { NotLeaderError } from '../../kube/write-fence.js';
import type { Allocation } from './ip-allocator.js';
import { StateFile, StateFileError } from './state-file.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'outrigger-state-file-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const A: [string, Allocation][] = [['default/a', { ip: '127.0.0.1', pool: 'p' }]];
const B: [string, Allocation][] = [['default/b', { ip: '127.0.0.2', pool: 'p' }]];

async function keys(file: string): Promise<string[]> {
  return Object.keys((JSON.parse(await readFile(file, 'utf8')) as { allocations: object }).allocations);
}

function refuse(what: string): never {
  throw new NotLeaderError(`refusing to ${what}: the test's leadership ended`);
}

describe('StateFile', () => {
  it('a missing file is an empty state; the folder is created one level at a time when written', async () => {
    const file = join(await stateDir(), 'a', 'b', 'state.json');
    const state = new StateFile(file);
    assert.equal((await state.load()).size, 0);
    await state.save(A);
    assert.deepEqual(await keys(file), ['default/a']);
    assert.deepEqual([...(await state.load()).keys()], ['default/a']);
  });

  it('a regular file that is no state document is a StateFileError saying why', async () => {
    const file = join(await stateDir(), 'state.json');
    for (const [text, detail] of [
      ['{', /^is not JSON: /],
      ['[]', /^is not a version 1 state document$/],
      ['', /^is not JSON: /],
    ] as const) {
      await writeFile(file, text);
      await assert.rejects(new StateFile(file).load(), (err: unknown) => err instanceof StateFileError && detail.test(err.detail) && err.message.startsWith(`state file ${file} `));
    }
    // Too large to be ours: as unusable as a file that does not parse (set aside by the provider).
    await new StateFile(file).save(A);
    await assert.rejects(new StateFile(file, { maxBytes: 16 }).load(), (err: unknown) => err instanceof StateFileError && /^is larger than the 16 bytes limit/.test(err.detail));
  });

  // The operator's config is at fault, not the file's content: nothing to set aside.
  for (const [what, path, problem] of [
    ['a directory', (dir: string) => dir, 'not-regular'],
    ['/dev/zero', () => '/dev/zero', 'not-regular'],
  ] as const) {
    it(`a state file that is ${what} is an input error naming stateFile`, async (t) => {
      if (!existsSync('/dev/zero')) return t.skip('no /dev/zero');
      const file = path(await stateDir());
      await assert.rejects(new StateFile(file).load(), (err: unknown) => err instanceof InputFileError && err.problem === problem && err.source === 'stateFile' && err.isInputError);
    });
  }

  it('a write whose temporary file was being written when the fence closed is not renamed over the state file', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await new StateFile(file).save(A);
    // Leadership ends once the temporary file exists: between writing it and the rename.
    const fence = { check: (what: string) => (readdirSync(dir).some((e) => e.endsWith('.tmp')) ? refuse(what) : undefined) };
    await assert.rejects(new StateFile(file, { fence }).save(B), (err: unknown) => err instanceof NotLeaderError && /^refusing to replace the state file /.test(err.message));
    assert.deepEqual(await keys(file), ['default/a'], 'the state on disk is the last one written while leading');
    assert.deepEqual(await readdir(dir), ['state.json'], 'the temporary file is removed');
  });

  it('a write queued behind one in flight asks the fence again when its turn comes', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    let second: Promise<void> | undefined;
    // Refuses once the first write has landed; queues the second while the first is being written.
    const fence = {
      check(what: string): void {
        if (existsSync(file)) refuse(what);
        if (second === undefined && what.startsWith('replace')) second = state.save(B);
      },
    };
    const state = new StateFile(file, { fence });
    await state.save(A);
    assert.ok(second !== undefined, 'queued while the first write was in flight');
    await assert.rejects(second, NotLeaderError);
    assert.deepEqual(await keys(file), ['default/a']);
    assert.deepEqual(await readdir(dir), ['state.json']);
  });

  it('a refused save writes nothing, and neither does setting aside or removing temporaries', async () => {
    const dir = await stateDir();
    const file = join(dir, 'state.json');
    await writeFile(file, '{');
    await writeFile(`${file}.1.0.tmp`, '{');
    const state = new StateFile(file, { fence: { check: refuse } });
    await assert.rejects(state.save(A), NotLeaderError);
    await assert.rejects(state.setAside(0), NotLeaderError);
    await assert.rejects(state.removeStaleTemporaries(), NotLeaderError);
    await assert.rejects(state.ensureDirectory(), NotLeaderError);
    assert.deepEqual((await readdir(dir)).sort(), ['state.json', 'state.json.1.0.tmp']);
  });
});
