/**
 * The provider registry (upstream `plugins.go`): provider factories registered by name and
 * constructed on demand. Instantiable, so tests and the simulator use private registries;
 * {@link defaultRegistry} is the process-wide one the manager and provider modules share.
 *
 * @module
 */
import type { Logger } from '../log/logger.js';
import { noopLogger } from '../log/logger.js';
import { EXTERNAL_CLOUD_PROVIDER } from './constants.js';
import { describeValue } from './describe-value.js';
import type { CloudProvider } from './provider.js';
import { ProviderInitError, ProviderRegistrationError, UnknownProviderError } from './registry-errors.js';
import { errorMessage } from '../log/error-message.js';

/** What a provider factory receives. */
export interface ProviderConfig {
  /** Text of the cloud config file (`--cloud-config`); undefined when no file was given. */
  readonly contents?: string | undefined;
  /** Path of that file, for error messages; undefined when no file was given. */
  readonly path?: string | undefined;
  /** A logger for the provider. */
  readonly logger: Logger;
}

/**
 * Constructs a provider. Runs in every manager replica before leader election, so it should only
 * parse configuration and build clients — start background work in `initialize`.
 */
export type ProviderFactory = (config: ProviderConfig) => CloudProvider | Promise<CloudProvider>;

/** Options of {@link ProviderRegistry}. */
export interface ProviderRegistryOptions {
  /** Receives a V(1) line per registration, as upstream. */
  readonly logger?: Logger;
}

// Members that, when present, the framework calls as functions.
const PROVIDER_METHODS = [
  'initialize',
  'setInformers',
  'loadBalancer',
  'instances',
  'instancesV2',
  'zones',
  'clusters',
  'routes',
  'hasClusterID',
] as const;

/** Why `value` is not a {@link CloudProvider}, or undefined if it passes the shape check. */
function providerShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return `the factory returned ${describeValue(value)}, expected a provider object with a non-empty string "name"`;
  }
  const record = value as Record<string, unknown>;
  const name = record['name'];
  if (typeof name !== 'string' || name === '') {
    return `the factory returned a provider whose "name" is ${name === '' ? 'an empty string' : describeValue(name)}, expected a non-empty string`;
  }
  for (const method of PROVIDER_METHODS) {
    const member = record[method];
    if (member !== undefined && typeof member !== 'function') {
      return `the factory returned a provider whose "${method}" is ${describeValue(member)}, expected a function or nothing`;
    }
  }
  return undefined;
}

/**
 * Provider factories by name.
 *
 * @example
 * ```ts
 * const registry = new ProviderRegistry();
 * registry.register('acme', ({ contents }) => new AcmeProvider(parseConfig(contents)));
 * const provider = await registry.create('acme', { logger });
 * ```
 */
export class ProviderRegistry {
  readonly #factories = new Map<string, ProviderFactory>();
  readonly #logger: Logger;

  constructor(options: ProviderRegistryOptions = {}) {
    this.#logger = options.logger ?? noopLogger;
  }

  /**
   * Registers `factory` under `name`.
   * @throws ProviderRegistrationError when the name is already registered (upstream exits the
   * process), empty, or `external` (reserved: it means "no in-process provider" and could never
   * be constructed), or when `factory` is not a function.
   */
  register(name: string, factory: ProviderFactory): void {
    if (typeof name !== 'string' || name === '') {
      throw new ProviderRegistrationError(String(name), `the name must be a non-empty string, got ${describeValue(name)}`);
    }
    if (name === EXTERNAL_CLOUD_PROVIDER) {
      throw new ProviderRegistrationError(name, `"${EXTERNAL_CLOUD_PROVIDER}" is reserved: it means the provider runs outside this process`);
    }
    if (typeof factory !== 'function') {
      throw new ProviderRegistrationError(name, `the factory must be a function, got ${describeValue(factory)}`);
    }
    if (this.#factories.has(name)) {
      throw new ProviderRegistrationError(name, 'a provider with this name is already registered');
    }
    this.#factories.set(name, factory);
    this.#logger.v(1).info('Registered cloud provider', { provider: name });
  }

  /** Whether a provider is registered under `name` (upstream `IsCloudProvider`). */
  has(name: string): boolean {
    return this.#factories.has(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.#factories.keys()].sort();
  }

  /**
   * Constructs the provider registered under `name`.
   * @throws UnknownProviderError when no provider has that name (listing the registered ones).
   * @throws ProviderInitError when the factory throws or rejects (as `cause`), or returns
   * something that is not a provider object with a non-empty string `name`.
   */
  async create(name: string, config: ProviderConfig): Promise<CloudProvider> {
    const factory = this.#factories.get(name);
    if (factory === undefined) throw new UnknownProviderError(name, this.names());
    let provider: unknown;
    try {
      provider = await factory(config);
    } catch (err) {
      throw new ProviderInitError(name, errorMessage(err), { cause: err });
    }
    const problem = providerShapeProblem(provider);
    if (problem !== undefined) throw new ProviderInitError(name, problem);
    return provider as CloudProvider;
  }
}

/** The process-wide registry that provider modules register into by default. */
export const defaultRegistry: ProviderRegistry = new ProviderRegistry();
