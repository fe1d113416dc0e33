/**
 * Creates the folder a file the operator named will be written to (a state file), one level at a
 * time. Node's `mkdir({ recursive: true })` spins for ever where the kernel answers ENOENT for a
 * parent that exists (`/proc/self/x/y`): this walk is bounded by the number of path components,
 * and every failure names the source and the folder.
 *
 * @module
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputFileError } from './read-input-file.js';

/** Options of {@link ensureDirectory}. */
export interface EnsureDirectoryOptions {
  /** What named the path, for the message (`stateFile`, `--cert-dir`). */
  readonly source: string;
  /** Mode of the folders created (default 0o755). */
  readonly mode?: number;
}

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Makes sure `dir` exists as a directory, creating the missing levels top-down.
 *
 * @example
 * ```ts
 * await ensureDirectory(dirname(stateFile), { source: 'stateFile' });
 * ```
 * @throws InputFileError (`not-a-directory`, `cannot-create`) naming the source and the folder.
 */
export async function ensureDirectory(dir: string, options: EnsureDirectoryOptions): Promise<void> {
  const missing: string[] = [];
  let current = resolve(dir);
  // Up to the nearest existing ancestor; at most one step per path component.
  for (;;) {
    try {
      const st = await stat(current);
      if (!st.isDirectory()) throw new InputFileError(options.source, current, 'not-a-directory', 'is not a directory, so nothing can be created in it');
      break;
    } catch (err) {
      if (err instanceof InputFileError) throw err;
      const code = codeOf(err);
      // ENOTDIR: an ancestor is a file; walking up reaches it and names it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw new InputFileError(options.source, current, 'cannot-create', `cannot be checked: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      const parent = dirname(current);
      if (parent === current) throw new InputFileError(options.source, current, 'cannot-create', 'does not exist and has no parent', { cause: err });
      missing.push(current);
      current = parent;
    }
  }
  for (const level of missing.reverse()) {
    try {
      await mkdir(level, { mode: options.mode ?? 0o755 });
    } catch (err) {
      // Another process may have made it meanwhile; anything else is the answer.
      if (codeOf(err) === 'EEXIST' && (await stat(level).then((s) => s.isDirectory(), () => false))) continue;
      const reason = codeOf(err) === 'EACCES' || codeOf(err) === 'EPERM' ? 'permission denied' : err instanceof Error ? err.message : String(err);
      throw new InputFileError(options.source, level, 'cannot-create', `cannot be created: ${reason}`, { cause: err });
    }
  }
}
