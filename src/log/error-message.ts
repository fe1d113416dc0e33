/**
 * The text of a thrown value, for log lines and for messages that wrap it. A leaf module: the
 * contract (`src/cloud`), the Kubernetes machinery and the controllers all import it.
 *
 * @module
 */

/**
 * An `Error`'s message, or any other thrown value as `String` renders it.
 *
 * @example
 * ```ts
 * throw new Error(`failed to get zone: ${errorMessage(err)}`, { cause: err });
 * ```
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
