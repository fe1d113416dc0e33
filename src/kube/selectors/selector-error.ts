/**
 * The error selector parsing and checking throw; the server answers it with 400 BadRequest.
 *
 * @module
 */

/** A label or field selector that is malformed or names an unsupported field. */
export class SelectorError extends Error {
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'SelectorError' as const;

  constructor(message: string, options?: { readonly cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SelectorError';
  }
}
