// Every shell block in README.md and docs/ runs verbatim, as a new user would paste it after the
// README's install step (`npm install`, which also builds). A block opts out with an HTML comment
// on the line before it — `<!-- docs-test: skip — <why> -->` — and the reason is required.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './helpers/ccm-process.js';

interface ShellBlock {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  /** The reason given by a skip marker, if any. */
  readonly skip?: string;
}

const SKIP_MARKER = /^<!--\s*docs-test:\s*skip\s*(?:—|-|:)\s*(.*?)\s*-->$/;

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) markdownFiles(path, out);
    else if (entry.endsWith('.md')) out.push(path);
  }
  return out;
}

/** The ```sh / ```bash / ```shell blocks of one markdown file, with any skip marker before them. */
export function shellBlocks(file: string, text: string): ShellBlock[] {
  const lines = text.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i] ?? '')) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
    let prev = start - 1;
    while (prev >= 0 && (lines[prev] ?? '').trim() === '') prev--;
    const marker = SKIP_MARKER.exec((lines[prev] ?? '').trim());
    blocks.push({ file, line: start + 1, text: body.join('\n'), ...(marker === null ? {} : { skip: marker[1] ?? '' }) });
  }
  return blocks;
}

const files = [join(REPO_ROOT, 'README.md'), ...markdownFiles(join(REPO_ROOT, 'docs')), ...markdownFiles(join(REPO_ROOT, 'examples'))];
const blocks = files.flatMap((f) => shellBlocks(relative(REPO_ROOT, f), readFileSync(f, 'utf8')));

describe('every shell block in README.md and docs/ works verbatim', () => {
  it('finds the blocks, and every skip gives its reason', () => {
    assert.ok(blocks.length >= 5, `only ${blocks.length} blocks found`);
    for (const b of blocks) if (b.skip !== undefined) assert.ok(b.skip.length >= 10, `${b.file}:${b.line}: a skip needs its reason`);
  });

  it('no block calls a bare `outrigger` (it is not on PATH in a clone: `npx outrigger`)', () => {
    const bare = blocks.flatMap((b) => b.text.split('\n').filter((l) => /^\s*outrigger\s/.test(l)).map((l) => `${b.file}:${b.line}: ${l.trim()}`));
    assert.deepEqual(bare, []);
  });

  for (const b of blocks) {
    const name = `${b.file}:${b.line}: ${b.text.split('\n')[0] ?? ''}`;
    it(name, { ...(b.skip === undefined ? {} : { skip: b.skip }), timeout: 300_000 }, () => {
      assert.ok(existsSync(join(REPO_ROOT, 'dist/cli/main.js')), 'dist/ is missing: run `npm install` (it builds) first');
      const r = spawnSync('bash', ['-euo', 'pipefail', '-c', b.text], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 280_000, maxBuffer: 64 * 1024 * 1024 });
      assert.equal(r.status, 0, `${name}\nexit ${String(r.status)} ${r.signal ?? ''}\n${r.stderr.slice(-4000)}`);
    });
  }
});
