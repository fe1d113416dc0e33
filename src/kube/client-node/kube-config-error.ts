/**
 * The error of a missing or unusable Kubernetes client configuration: it names the file, context
 * or server involved and says what to do, so the manager can print one line instead of a stack.
 *
 * @module
 */
import { oneLine } from '../../input/one-line.js';

/** Where a bad configuration came from, for the message and for callers that branch on it. */
export interface KubeConfigErrorOptions {
  /** The kubeconfig file involved, if any. */
  readonly file?: string;
  /** The context involved, if any. */
  readonly context?: string;
  /** The server URL involved, if any. */
  readonly server?: string;
  readonly cause?: unknown;
}

/** A missing, malformed or inconsistent kubeconfig / `--master` / in-cluster configuration. */
export class KubeConfigError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  /** Stable code for `instanceof`-free checks. */
  readonly code = 'KubeConfigError' as const;
  readonly file: string | undefined;
  readonly context: string | undefined;
  readonly server: string | undefined;

  constructor(message: string, options: KubeConfigErrorOptions = {}) {
    // One line, whatever a path or a parser's message holds: the manager prints it as its error line.
    super(oneLine(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KubeConfigError';
    this.file = options.file;
    this.context = options.context;
    this.server = options.server;
  }
}
