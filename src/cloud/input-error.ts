/**
 * The marker that says "the operator's input is at fault": a flag, a config file, a provider name.
 * The manager prints such an error's message alone (no stack, no log noise) and exits 2, as
 * upstream's cobra command does for bad flags. A provider's own configuration error sets the
 * marker too, so the manager needs to import no provider to classify it.
 *
 * @module
 */

/** An error whose cause is the operator's input (exit 2). */
export interface InputError extends Error {
  readonly isInputError: true;
}

/** Whether `err` carries the {@link InputError} marker. */
export function isInputError(err: unknown): err is InputError {
  return err instanceof Error && (err as { isInputError?: unknown }).isInputError === true;
}
