/**
 * Persistence of the local provider's allocations: a small JSON file replaced atomically (write
 * a temporary file beside it, fsync it, rename it over the file, fsync the directory), so a crash
 * leaves either the old or the new state. A regular file that does not parse is set aside, not
 * fatal; a path that is no regular file (a directory, FIFO, device) or cannot be read is the
 * operator's input error naming `stateFile`. Every change on disk passes a write fence first, so a
 * provider that no longer leads writes nothing.
 *
 * @module
 */
import { link, open, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ensureDirectory } from '../../input/ensure-directory.js';
import { InputFileError, readInputText } from '../../input/read-input-file.js';
import type { WriteFence } from '../../kube/write-fence.js';
import type { Allocation } from './ip-allocator.js';

/** The config field that names the state file, in input errors. */
export const STATE_FILE_SOURCE = 'stateFile';

/**
 * Largest state file read: far above any real one (an allocation takes ~100 bytes, so this is
 * ~600,000 of them), and a bound on a file that is not ours.
 */
export const STATE_FILE_LIMIT_BYTES = 64 * 1024 * 1024;

/** Options of {@link StateFile}. */
export interface StateFileOptions {
  /**
   * Asked before every change on disk (folder, temporary file, rename, set-aside file, removal of
   * stale temporaries); a refusal (`NotLeaderError`) stops the change. Default: always allowed.
   */
  readonly fence?: Pick<WriteFence, 'check'>;
  /** Largest file read (default {@link STATE_FILE_LIMIT_BYTES}). */
  readonly maxBytes?: number;
}

/** The file's shape (version 1). */
export interface StateDocument {
  readonly version: 1;
  readonly allocations: Readonly<Record<string, Allocation>>;
  /**
   * The addresses this host added to interfaces and has not removed yet, written before each is
   * added: what a restart after a crash removes (see InterfaceAddresses). Absent = none.
   */
  readonly interfaceAddresses?: readonly InterfaceAddressRecord[];
}

/** One address this host put on an interface. */
export interface InterfaceAddressRecord {
  readonly address: string;
  readonly interface: string;
}

/** Options of {@link StateFileError}. */
export interface StateFileErrorOptions extends ErrorOptions {
  /** What is wrong, without the file; default the message. */
  readonly detail?: string;
}

/** The state file is a regular file that is no state document (it is set aside); names the file. */
export class StateFileError extends Error {
  override readonly name = 'StateFileError';
  /** What is wrong, without the file (`is not JSON: …`). */
  readonly detail: string;

  constructor(message: string, options?: StateFileErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.detail = options?.detail ?? message;
  }
}

function unusable(path: string, detail: string, cause?: unknown): StateFileError {
  return new StateFileError(`state file ${path} ${detail}`, { detail, ...(cause === undefined ? {} : { cause }) });
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
  readonly #fence: Pick<WriteFence, 'check'> | undefined;
  readonly #maxBytes: number;

  constructor(path: string, options: StateFileOptions = {}) {
    this.path = path;
    this.#fence = options.fence;
    this.#maxBytes = options.maxBytes ?? STATE_FILE_LIMIT_BYTES;
  }

  /**
   * Creates the state file's folder if it is missing, one level at a time (a path under `/proc`
   * fails instead of spinning for ever).
   * @throws InputFileError naming `stateFile` when the folder cannot be (or is not) a directory.
   */
  async ensureDirectory(): Promise<void> {
    this.#check('create the folder of');
    await ensureDirectory(dirname(this.path), { source: STATE_FILE_SOURCE });
  }

  /**
   * The stored allocations; an absent file is an empty state. Read bounded, and only from a
   * regular file: a FIFO would block a thread for ever, `/dev/zero` would fill memory.
   * @throws StateFileError when the file is a regular file but no valid state document (or larger
   * than `maxBytes`); InputFileError naming `stateFile` when the path is no
   * regular file or cannot be read.
   */
  async load(): Promise<Map<string, Allocation>> {
    let text: string;
    try {
      text = await readInputText(this.path, { source: STATE_FILE_SOURCE, maxBytes: this.#maxBytes });
    } catch (err) {
      if (!(err instanceof InputFileError)) throw err;
      if (err.problem === 'missing') return new Map();
      // A regular file too large to be ours is as unusable as one that does not parse.
      if (err.problem === 'too-large') throw unusable(this.path, err.detail, err);
      throw err;
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw unusable(this.path, `is not JSON: ${(err as Error).message}`, err);
    }
    const allocations = (doc as { allocations?: unknown } | null)?.allocations;
    if ((doc as { version?: unknown } | null)?.version !== 1 || typeof allocations !== 'object' || allocations === null) {
      throw unusable(this.path, 'is not a version 1 state document');
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
   * The interface addresses the file records (see {@link StateDocument.interfaceAddresses});
   * empty when the file is missing or unusable (its allocations' problems are {@link load}'s).
   */
  async loadInterfaceAddresses(): Promise<InterfaceAddressRecord[]> {
    let doc: unknown;
    try {
      doc = JSON.parse(await readInputText(this.path, { source: STATE_FILE_SOURCE, maxBytes: this.#maxBytes }));
    } catch {
      return [];
    }
    const list = (doc as { interfaceAddresses?: unknown } | null)?.interfaceAddresses;
    if (!Array.isArray(list)) return [];
    return list.flatMap((r: unknown) => {
      const { address, interface: iface } = (r ?? {}) as { address?: unknown; interface?: unknown };
      return typeof address === 'string' && typeof iface === 'string' ? [{ address, interface: iface }] : [];
    });
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
      // No folder (or a file in its place, which ensureDirectory names): nothing to remove.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return [];
      throw err;
    }
    const stale = entries.filter((e) => isTemporaryOf(basename(this.path), e)).map((e) => join(dirname(this.path), e));
    if (stale.length > 0) this.#check('remove stale temporary files of');
    await Promise.all(stale.map((p) => rm(p, { force: true })));
    return stale;
  }

  /**
   * Moves a state file that cannot be used to `<file>.corrupt-<timestamp>` (kept for a person to
   * look at, never read again) and returns that path; the state starts empty.
   */
  async setAside(nowMs: number): Promise<string> {
    this.#check('set aside');
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

  /**
   * Replaces the file with `allocations`; resolves once it (or a later state) is on disk.
   * @throws NotLeaderError (rejected) when the fence refuses, now or when the write's turn comes.
   */
  async save(allocations: Iterable<readonly [string, Allocation]>, interfaceAddresses: readonly InterfaceAddressRecord[] = []): Promise<void> {
    this.#check('write');
    this.#pending = {
      version: 1,
      allocations: Object.fromEntries(allocations),
      ...(interfaceAddresses.length > 0 && { interfaceAddresses: [...interfaceAddresses] }),
    };
    // Coalesce: a burst of saves writes the newest state once after the write in flight.
    this.#writing = this.#writing
      .catch(() => undefined)
      .then(async () => {
      const doc = this.#pending;
      if (doc === undefined) return;
      this.#pending = undefined;
      await this.#write(doc);
    });
    await this.#writing;
  }

  async #write(doc: StateDocument): Promise<void> {
    // A write queued behind another runs later: the fence is asked again when its turn comes.
    await this.ensureDirectory();
    this.#check('write');
    const tmp = `${this.path}.${process.pid}.${this.#sequence++}.tmp`;
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(doc, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      // Last chance: leadership may have ended while the temporary file was written. Nothing
      // awaits between this check and the rename.
      this.#check('replace');
      await rename(tmp, this.path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    // The rename is durable only once the directory entry is: without this a power loss can bring
    // back the old file (or none) after the new one was reported saved.
    await this.#syncDirectory();
  }

  #check(verb: string): void {
    this.#fence?.check(`${verb} the state file ${this.path}`);
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
