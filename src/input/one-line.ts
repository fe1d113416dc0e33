/**
 * Keeps an error message on one line whatever the operator typed: a value with a line break (or
 * another control character) echoed into a message would otherwise split the `Error:` line the
 * manager promises, and could forge log lines.
 *
 * @module
 */

// C0 controls except tab, DEL, and the two Unicode line separators.
// eslint-disable-next-line no-control-regex
const LINE_BREAKING = /[\u0000-\u0008\u000a-\u001f\u007f\u2028\u2029]/g;

/**
 * `text` with line breaks and other control characters escaped as in JSON (`\n`, `\r`, `\u0000`).
 *
 * @example
 * ```ts
 * super(oneLine(`unknown flag: --${name}`));
 * ```
 */
export function oneLine(text: string): string {
  return text.replace(LINE_BREAKING, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
