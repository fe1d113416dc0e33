/**
 * Turns `--cloud-provider` and `--cloud-config` into a provider (upstream `InitCloudProvider` in
 * `plugins.go`).
 *
 * @module
 */
import { readInputText } from '../input/read-input-file.js';
import type { Logger } from '../log/logger.js';
import { noopLogger } from '../log/logger.js';
import { EXTERNAL_CLOUD_PROVIDER } from './constants.js';
import type { CloudProvider } from './provider.js';
import type { ProviderRegistry } from './registry.js';
import { CloudConfigFileError, UnknownProviderError } from './registry-errors.js';

/** Reads a config file as UTF-8 text. */
export type ConfigFileReader = (path: string) => string | Promise<string>;

/** Options of {@link initCloudProvider}. */
export interface InitCloudProviderOptions {
  /** Logs the `external` case and is handed to the factory. */
  readonly logger?: Logger;
  /** The flag named in read errors (default `--cloud-config`). */
  readonly flag?: string;
}

/**
 * The default reader: a regular file of at most 4 MiB (`/dev/zero`, a FIFO or a directory is
 * refused at once instead of exhausting memory or blocking).
 */
const readBounded: ConfigFileReader = (path) => readInputText(path, { source: '--cloud-config' });

/**
 * Constructs the provider named by `--cloud-provider`, handing it the text of `--cloud-config`.
 * - `''` ⇒ undefined (no provider);
 * - `external` ⇒ undefined, logging "External cloud provider specified";
 * - unknown name ⇒ {@link UnknownProviderError} (checked before reading the file, so a typo in
 *   the name is reported as such);
 * - `configPath` non-empty but unreadable, not a regular file or over 4 MiB ⇒
 *   {@link CloudConfigFileError} naming the flag and path (upstream exits fatally at this point);
 * - factory failure or bad result ⇒ `ProviderInitError` ("could not init cloud provider …").
 *
 * @example
 * ```ts
 * const provider = await initCloudProvider(defaultRegistry, opts.cloudProvider, opts.cloudConfig);
 * ```
 */
export async function initCloudProvider(
  registry: ProviderRegistry,
  name: string,
  configPath: string | undefined,
  readFile: ConfigFileReader = readBounded,
  options: InitCloudProviderOptions = {},
): Promise<CloudProvider | undefined> {
  const logger = options.logger ?? noopLogger;
  if (name === '') return undefined;
  if (name === EXTERNAL_CLOUD_PROVIDER) {
    logger.info('External cloud provider specified');
    return undefined;
  }
  if (!registry.has(name)) throw new UnknownProviderError(name, registry.names());
  if (configPath === undefined || configPath === '') {
    // As upstream: no path means the factory gets no config at all, not an empty one.
    return registry.create(name, { logger });
  }
  let contents: string;
  try {
    contents = await readFile(configPath);
  } catch (err) {
    throw new CloudConfigFileError(configPath, { cause: err, flag: options.flag ?? '--cloud-config' });
  }
  return registry.create(name, { contents, path: configPath, logger });
}
