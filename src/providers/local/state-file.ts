/**
 * Persistence of the local provider's allocations: a small JSON file replaced atomically (write
 * a temporary file beside it, fsync, rename), so a crash leaves either the old or the new state.
 *
 * @module
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
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
  }
}
