/**
 * How the manager's end becomes a process exit code, as upstream's command: 0 after a graceful
 * shutdown, 1 for a runtime failure or a lost lease ("leaderelection lost"), 2 for bad input. An
 * error says itself whether it is bad input (the `isInputError` marker), so this module imports no
 * error class.
 *
 * @module
 */
import { isInputError } from '../cloud/input-error.js';
import { oneLine } from '../input/one-line.js';
import { errorMessage } from '../log/error-message.js';
import type { Logger } from '../log/logger.js';
import type { StopReason } from './stop-reason.js';

/** Exit codes, as upstream: 0 clean shutdown, 1 runtime failure or lost lease, 2 bad input. */
export const EXIT_OK = 0;
/** Runtime failure, including a lost lease (upstream exits 1 on "leaderelection lost"). */
export const EXIT_FAILURE = 1;
/** Bad command line, config file or provider selection. */
export const EXIT_USAGE = 2;

/** Something text can be written to (process.stdout/stderr or a test buffer). */
export interface TextSink {
  write(text: string): unknown;
}

/** The exit code for the way the manager stopped. */
export function exitCodeFor(reason: StopReason): number {
  switch (reason.kind) {
    case 'shutdown':
      return EXIT_OK;
    case 'lease-lost':
      return EXIT_FAILURE;
    case 'failed':
      return isInputError(reason.error) ? EXIT_USAGE : EXIT_FAILURE;
  }
}

/** Where {@link reportError} writes: the log once there is one, else standard error. */
export interface ErrorReportTarget {
  readonly stderr: TextSink;
  readonly logger?: Logger | undefined;
  /** At `-v` 4 and above the stack is shown too. */
  readonly verbosity: number;
}

/**
 * Reports an error that ends the process before or outside the controller manager's run and
 * returns its exit code: bad input is one `Error: …` line on standard error (exit 2), anything else
 * is logged (exit 1).
 */
export function reportError(err: unknown, to: ErrorReportTarget): number {
  const input = isInputError(err);
  const stack = to.verbosity >= 4 && err instanceof Error && err.stack !== undefined ? err.stack : undefined;
  if (!input && to.logger !== undefined) {
    to.logger.error(err, 'cloud-controller-manager failed', stack === undefined ? {} : { stack });
    return EXIT_FAILURE;
  }
  // One line whatever the error's author wrote (a provider's message may hold line breaks).
  to.stderr.write(`Error: ${stack ?? oneLine(errorMessage(err))}\n`);
  return input ? EXIT_USAGE : EXIT_FAILURE;
}
