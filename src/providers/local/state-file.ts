/**
 * Persistence of the local provider's allocations: a small JSON file replaced atomically (write
 * a temporary file beside it, fsync it, rename it over the file, fsync the directory), so a crash
 * leaves either the old or the new state, and a file that cannot be read is set aside, not fatal.
 *
 * @module
 */
import { link, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Allocation } from './ip-allocator.js';

/** The file's shape (version 1). */
export interface StateDocument {
  readonly version: 1;
  readonly allocations: Readonly<Record<string, Allocation>>;
}

/** The state file could not be read or parsed; names the file. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
}

/** `<file>.<pid>.<sequence>.tmp`: what {@link StateFile} writes before the rename. */
function isTemporaryOf(file: string, entry: string): boolean {
  return entry.startsWith(`${file}.`) && /^\d+\.\d+\.tmp$/.test(entry.slice(file.length + 1));
}

/** A timestamp for file names: `20260101T000000.000Z` (no colons, sorts by time). */
function fileStamp(ms: number): string {
  return new Date(ms).toISOString().replaceAll('-', '').replaceAll(':', '');
}

/** Reads and writes the allocation state file; writes are serialised and coalesced. */
export class StateFile {
  /** The file path. */
  readonly path: string;
  #writing: Promise<void> = Promise.resolve();
  #pending: StateDocument | undefined;
  #sequence = 0;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * The stored allocations; an absent file is an empty state.
   * @throws StateFileError when the file exists but is not a valid state document.
   */
  async load(): Promise<Map<string, Allocation>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new StateFileError(`cannot read state file ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new StateFileError(`state file ${this.path} is not JSON: ${(err as Error).message}`, { cause: err });
    }
    const allocations = (doc as { allocations?: unknown } | null)?.allocations;
    if ((doc as { version?: unknown } | null)?.version !== 1 || typeof allocations !== 'object' || allocations === null) {
      throw new StateFileError(`state file ${this.path} is not a version 1 state document`);
    }
    const out = new Map<string, Allocation>();
    for (const [key, value] of Object.entries(allocations)) {
      const { ip, pool, sharingKey, ports } = (value ?? {}) as { ip?: unknown; pool?: unknown; sharingKey?: unknown; ports?: unknown };
      if (typeof ip !== 'string' || typeof pool !== 'string') continue;
      // A shared address keeps its key and ports, so a restart can tell who may share it.
      const shared = typeof sharingKey === 'string' && sharingKey !== '';
      const portList = Array.isArray(ports) && ports.every((p) => typeof p === 'string') ? ports : undefined;
      out.set(key, { ip, pool, ...(shared && { sharingKey }), ...(shared && portList !== undefined && { ports: portList }) });
    }
    return out;
  }

  /**
   * Removes the temporary files an interrupted write left beside the state file (a crash between
   * writing and renaming one); returns their paths. Call it before the first save.
   */
  async removeStaleTemporaries(): Promise<string[]> {
    let entries: string[];
    try {
      entries = await readdir(dirname(this.path));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const stale = entries.filter((e) => isTemporaryOf(basename(this.path), e)).map((e) => join(dirname(this.path), e));
    await Promise.all(stale.map((p) => rm(p, { force: true })));
    return stale;
  }

  /**
   * Moves a state file that cannot be used to `<file>.corrupt-<timestamp>` (kept for a person to
   * look at, never read again) and returns that path; the state starts empty.
   */
  async setAside(nowMs: number): Promise<string> {
    const target = await this.#moveAside(`${this.path}.corrupt-${fileStamp(nowMs)}`);
    await this.#syncDirectory();
    return target;
  }

  async #moveAside(base: string): Promise<string> {
    for (let n = 0; ; n++) {
      const target = n === 0 ? base : `${base}-${n}`;
      try {
        // link + rm rather than rename: a rename would silently replace an earlier set-aside file
        // of the same millisecond.
        await link(this.path, target);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' && n < 100) continue;
        // A directory cannot be linked, nor (protected_hardlinks) a file we may not read: rename.
        if (code !== 'EPERM' && code !== 'EISDIR') throw err;
        await rename(this.path, target);
        return target;
      }
      await rm(this.path, { force: true });
      return target;
    }
  }

  /** Replaces the file with `allocations`; resolves once it (or a later state) is on disk. */
  save(allocations: Iterable<readonly [string, Allocation]>): Promise<void> {
    this.#pending = { version: 1, allocations: Object.fromEntries(allocations) };
    // Coalesce: a burst of saves writes the newest state once after the write in flight.
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
      const doc = this.#pending;
      if (doc === undefined) return;
      this.#pending = undefined;
      await this.#write(doc);
    });
    return this.#writing;
  }

  async #write(doc: StateDocument): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.${this.#sequence++}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(doc, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    // The rename is durable only once the directory entry is: without this a power loss can bring
    // back the old file (or none) after the new one was reported saved.
    await this.#syncDirectory();
  }

  async #syncDirectory(): Promise<void> {
    const dir = await open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } catch (err) {
      // Some file systems cannot fsync a directory; the rename itself has happened.
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP' && code !== 'EISDIR') throw err;
    } finally {
      await dir.close();
    }
  }
}
