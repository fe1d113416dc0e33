/**
 * The one way Outrigger reads a file the operator named (`--cloud-config`, `--kubeconfig` and the
 * files a kubeconfig points at, `--leader-migration-config`, TLS certificates, scenarios): a
 * regular file only, of bounded size, and never a blocking open. `/dev/zero` would otherwise be
 * read until memory runs out, and a FIFO would block a libuv thread for ever (surviving SIGTERM).
 *
 * How: `stat` first (a directory, FIFO, socket or device is refused by name), then an open with
 * `O_NONBLOCK` (so a FIFO swapped in after the `stat` cannot block), `fstat` of the open file
 * (the file actually opened is the one checked), and a read that stops one byte past the limit —
 * so a file whose size the kernel reports as 0 (`/proc`) is bounded too.
 *
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { oneLine } from './one-line.js';

/** Default size limit of an input file: 4 MiB, far above any real config or certificate bundle. */
export const DEFAULT_INPUT_FILE_LIMIT_BYTES = 4 * 1024 * 1024;

/** What was wrong with an input file (or, for `ensureDirectory`, with the folder it goes in). */
export type InputFileProblem = 'missing' | 'not-regular' | 'too-large' | 'unreadable' | 'not-a-directory' | 'cannot-create';

/** Options of {@link readInputFile}. */
export interface ReadInputFileOptions {
  /** What named the file, for the message: a flag (`--cloud-config`) or a phrase (`kubeconfig /x: user "u" tokenFile`). */
  readonly source: string;
  /** Size limit in bytes (default {@link DEFAULT_INPUT_FILE_LIMIT_BYTES}). */
  readonly maxBytes?: number;
}

/**
 * An input file could not be used: missing, not a regular file, over the size limit, or
 * unreadable. The message names the source (flag or field), the path and, for size, the limit.
 */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
  readonly code = 'InputFile' as const;
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  /** The path as given. */
  readonly path: string;
  /** The flag or field that named the file. */
  readonly source: string;
  readonly problem: InputFileProblem;
  /** The limit that was exceeded (`too-large` only). */
  readonly limitBytes: number | undefined;
  /** What is wrong, after the path (`is a named pipe (FIFO), not a regular file: …`). */
  readonly detail: string;

  /** Message: `<source>: <path>: <detail>`. */
  constructor(source: string, path: string, problem: InputFileProblem, detail: string, options?: { readonly cause?: unknown; readonly limitBytes?: number }) {
    super(oneLine(`${source === '' ? '' : `${source}: `}${JSON.stringify(path)} ${detail}`), options !== undefined && 'cause' in options ? { cause: options.cause } : undefined);
    this.path = path;
    this.source = source;
    this.problem = problem;
    this.detail = detail;
    this.limitBytes = options?.limitBytes;
  }
}

/** `4 MiB`, `512 KiB`, `100 bytes`. */
export function formatByteSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notRegular(o: ReadInputFileOptions, path: string, st: Stats): InputFileError {
  return new InputFileError(o.source, path, 'not-regular', `is ${kindOf(st)}, not a regular file: give the path of a file`);
}

function tooLarge(o: ReadInputFileOptions, path: string, limit: number): InputFileError {
  return new InputFileError(o.source, path, 'too-large', `is larger than the ${formatByteSize(limit)} limit for this file`, { limitBytes: limit });
}

function failed(o: ReadInputFileOptions, path: string, err: unknown): InputFileError {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return new InputFileError(o.source, path, 'missing', 'does not exist', { cause: err });
  if (code === 'ENOTDIR') return new InputFileError(o.source, path, 'missing', 'does not exist (a parent is not a directory)', { cause: err });
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : err instanceof Error ? err.message : String(err);
  return new InputFileError(o.source, path, 'unreadable', `cannot be read: ${reason}`, { cause: err });
}

function limitOf(o: ReadInputFileOptions): number {
  const limit = o.maxBytes ?? DEFAULT_INPUT_FILE_LIMIT_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`maxBytes must be a whole number of bytes, got ${limit}`);
  return limit;
}

// Read-only, non-blocking (a FIFO opens at once instead of waiting for a writer), and never the
// controlling terminal.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOCTTY ?? 0);
const CHUNK_BYTES = 64 * 1024;

/**
 * Reads an input file the operator named, refusing anything but a regular file of at most
 * `maxBytes`.
 *
 * @example
 * ```ts
 * const text = (await readInputFile(options.cloudConfig, { source: '--cloud-config' })).toString('utf8');
 * ```
 * @throws InputFileError naming the source and path (missing, not a regular file, too large, unreadable).
 */
export async function readInputFile(path: string, options: ReadInputFileOptions): Promise<Buffer> {
  const limit = limitOf(options);
  let before: Stats;
  try {
    before = await stat(path);
  } catch (err) {
    throw failed(options, path, err);
  }
  if (!before.isFile()) throw notRegular(options, path, before);
  if (before.size > limit) throw tooLarge(options, path, limit);
  let handle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw failed(options, path, err);
  }
  try {
    const opened = await handle.stat();
    if (!opened.isFile()) throw notRegular(options, path, opened);
    const chunks = new BoundedChunks(limit, () => tooLarge(options, path, limit));
    for (let chunk = chunks.next(); ; chunk = chunks.next()) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (!chunks.add(chunk, bytesRead)) return chunks.result();
    }
  } catch (err) {
    throw err instanceof InputFileError ? err : failed(options, path, err);
  } finally {
    await handle.close();
  }
}

/**
 * The chunks of one bounded read: reads one byte past the limit at most, so a file that grows
 * while read (or a device that never ends) is refused instead of filling memory.
 */
class BoundedChunks {
  readonly #chunks: Buffer[] = [];
  #total = 0;
  readonly #limit: number;
  readonly #tooLarge: () => Error;

  constructor(limit: number, tooLarge: () => Error) {
    this.#limit = limit;
    this.#tooLarge = tooLarge;
  }

  /** A buffer for the next read. */
  next(): Buffer {
    return Buffer.allocUnsafe(Math.min(CHUNK_BYTES, this.#limit + 1 - this.#total));
  }

  /** Keeps what a read returned; false at the end of the file; throws past the limit. */
  add(chunk: Buffer, bytesRead: number): boolean {
    if (bytesRead === 0) return false;
    this.#chunks.push(chunk.subarray(0, bytesRead));
    this.#total += bytesRead;
    if (this.#total > this.#limit) throw this.#tooLarge();
    return true;
  }

  result(): Buffer {
    return Buffer.concat(this.#chunks, this.#total);
  }
}

/** {@link readInputFile} decoded as UTF-8. */
export async function readInputText(path: string, options: ReadInputFileOptions): Promise<string> {
  return (await readInputFile(path, options)).toString('utf8');
}

/** {@link readInputFile}, synchronously (for code paths that are synchronous, such as loading a kubeconfig). */
export function readInputFileSync(path: string, options: ReadInputFileOptions): Buffer {
  const limit = limitOf(options);
  let before: Stats;
  try {
    before = statSync(path);
  } catch (err) {
    throw failed(options, path, err);
  }
  if (!before.isFile()) throw notRegular(options, path, before);
  if (before.size > limit) throw tooLarge(options, path, limit);
  let fd: number;
  try {
    fd = openSync(path, OPEN_FLAGS);
  } catch (err) {
    throw failed(options, path, err);
  }
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile()) throw notRegular(options, path, opened);
    const chunks = new BoundedChunks(limit, () => tooLarge(options, path, limit));
    for (let chunk = chunks.next(); ; chunk = chunks.next()) {
      if (!chunks.add(chunk, readSync(fd, chunk, 0, chunk.length, null))) return chunks.result();
    }
  } catch (err) {
    throw err instanceof InputFileError ? err : failed(options, path, err);
  } finally {
    closeSync(fd);
  }
}

/** {@link readInputFileSync} decoded as UTF-8. */
export function readInputTextSync(path: string, options: ReadInputFileOptions): string {
  return readInputFileSync(path, options).toString('utf8');
}
