/**
 * The one error type for bad command-line input: it names the flag and the value so the manager
 * can print a single line and exit 2, as cobra/pflag do for upstream's binary.
 *
 * @module
 */

import { oneLine } from '../../input/one-line.js';

/** A flag that could not be parsed or failed validation; its message is always one line. */
export class FlagError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  /** The flag as typed by the user, with dashes (e.g. `--concurrent-node-syncs`); '' when none applies. */
  readonly flag: string;
  /** The offending value, when there is one. */
  readonly value: string | undefined;

  constructor(flag: string, value: string | undefined, message: string, options?: ErrorOptions) {
    // Messages echo what was typed: a value with a line break must not split the one error line.
    super(oneLine(message), options);
    this.name = 'FlagError';
    this.flag = flag;
    this.value = value;
  }
}
