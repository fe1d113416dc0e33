/**
 * The one way the CLI entry points end the process: after stdout and stderr have handed every
 * byte to the OS. `process.exit()` alone drops what is still queued for a pipe (`outrigger
 * simulate --output json | jq` got JSON cut at a 64 KiB multiple).
 *
 * @module
 */

/** A stream as much as flushing needs. */
interface FlushableStream {
  write(chunk: string, callback: (err?: Error | null) => void): boolean;
  readonly destroyed?: boolean;
}

/** Resolves once everything written to `stream` before the call has been flushed (or failed). */
export function flushed(stream: FlushableStream): Promise<void> {
  if (stream.destroyed === true) return Promise.resolve();
  // An empty write's callback runs after every earlier write has been handed over, in order.
  return new Promise((resolve) => {
    stream.write('', () => resolve());
  });
}

/** Flushes stdout and stderr, then exits with `code`. */
export async function exitAfterFlush(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
