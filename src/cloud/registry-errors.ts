/**
 * Errors raised while registering, finding, loading and constructing providers — configuration
 * problems, reported with the provider name, config path or module specifier that caused them.
 *
 * @module
 */

import { errorMessage } from '../log/error-message.js';
import { oneLine } from '../input/one-line.js';
import { InputFileError } from '../input/read-input-file.js';
import { errorOptions, hasCause } from './error-options.js';

/** Options every registry error accepts. */
export interface RegistryErrorOptions {
  /** The underlying error, kept on `error.cause`. */
  readonly cause?: unknown;
}

/**
 * A registration was refused: the name is taken, empty or reserved, or the factory is not a
 * function. Upstream exits the process on a duplicate; a library throws instead.
 */
export class ProviderRegistrationError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  override readonly name = 'ProviderRegistrationError';
  readonly code = 'ProviderRegistration' as const;
  /** The name that was being registered. */
  readonly providerName: string;

  constructor(providerName: string, detail: string, options?: RegistryErrorOptions) {
    super(`cannot register cloud provider ${JSON.stringify(providerName)}: ${detail}`, errorOptions(options));
    this.providerName = providerName;
  }
}

/** No provider is registered under the requested name; the message lists the known names. */
export class UnknownProviderError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  override readonly name = 'UnknownProviderError';
  readonly code = 'UnknownProvider' as const;
  /** The requested name. */
  readonly providerName: string;
  /** Registered names, sorted. */
  readonly known: readonly string[];

  constructor(providerName: string, known: readonly string[]) {
    const sorted = [...known].sort();
    const list = sorted.length === 0 ? 'no cloud providers are registered' : `registered: ${sorted.map((n) => JSON.stringify(n)).join(', ')}`;
    super(`unknown cloud provider ${JSON.stringify(providerName)} (${list})`);
    this.providerName = providerName;
    this.known = Object.freeze(sorted);
  }
}

/** A factory failed or returned something that is not a provider (upstream "could not init cloud provider"). */
export class ProviderInitError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  override readonly name = 'ProviderInitError';
  readonly code = 'ProviderInit' as const;
  /** The provider being constructed. */
  readonly providerName: string;

  /** Message: `could not init cloud provider "<name>": <detail>`. */
  constructor(providerName: string, detail: string, options?: RegistryErrorOptions) {
    super(`could not init cloud provider ${JSON.stringify(providerName)}: ${detail}`, errorOptions(options));
    this.providerName = providerName;
  }
}

/** Options of {@link CloudConfigFileError}. */
export interface CloudConfigFileErrorOptions extends RegistryErrorOptions {
  /** The flag that named the file, put first in the message (`--cloud-config`). */
  readonly flag?: string;
}

/**
 * The cloud config file (`--cloud-config`) could not be read: missing, unreadable, not a regular
 * file or over the size limit. Upstream exits fatally here; we throw so the caller decides, with
 * the flag and path in the message.
 */
export class CloudConfigFileError extends Error {
  override readonly name = 'CloudConfigFileError';
  readonly code = 'CloudConfigFile' as const;
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  /** The path that could not be read. */
  readonly path: string;

  /** Message: `[<flag>: ]cannot read cloud provider configuration "<path>"[: <why>]`. */
  constructor(path: string, options?: CloudConfigFileErrorOptions) {
    const cause = hasCause(options) ? options.cause : undefined;
    // A bounded-read refusal already says what is wrong with the file; the path is said once.
    const reason = cause instanceof InputFileError ? `: the file ${cause.detail}` : hasCause(options) ? `: ${errorMessage(cause)}` : '';
    const flag = typeof options?.flag === 'string' && options.flag !== '' ? `${options.flag}: ` : '';
    super(oneLine(`${flag}cannot read cloud provider configuration ${JSON.stringify(path)}${reason}`), errorOptions(options));
    this.path = path;
  }
}

/** A provider module could not be loaded or does not follow the module convention. */
export class ProviderModuleError extends Error {
  /** The operator's input is at fault: the manager prints the message alone and exits 2. */
  readonly isInputError = true;
  override readonly name = 'ProviderModuleError';
  readonly code = 'ProviderModule' as const;
  /** The specifier as given (package name or path). */
  readonly specifier: string;

  /** Message: `cannot load cloud provider module "<specifier>": <detail>`. */
  constructor(specifier: string, detail: string, options?: RegistryErrorOptions) {
    super(`cannot load cloud provider module ${JSON.stringify(specifier)}: ${detail}`, errorOptions(options));
    this.specifier = specifier;
  }
}
