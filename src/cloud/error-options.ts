/**
 * The one way Outrigger's error classes turn their `{ cause }` options into the `Error`
 * constructor's: `cause` is set only when given, and a non-object (a JavaScript caller passing a
 * message where options belong) is ignored rather than crashing the constructor.
 *
 * @module
 */

/** Options with an underlying error. */
export interface WithCause {
  readonly cause?: unknown;
}

/** `{ cause }` when `options` is an object that has one, else undefined. */
export function errorOptions(options: WithCause | undefined): ErrorOptions | undefined {
  // An explicit `cause: undefined` still counts (it shows up in `'cause' in err`), as given.
  return hasCause(options) ? { cause: options.cause } : undefined;
}

/** Whether `options` is an object carrying a `cause` key. */
export function hasCause(options: unknown): options is WithCause & { cause: unknown } {
  return typeof options === 'object' && options !== null && 'cause' in options;
}
