/**
 * Registration of the local provider in a provider registry (`--cloud-provider=local
 * --cloud-config=local.yaml`).
 *
 * @module
 */
import type { ProviderConfig, ProviderFactory, ProviderRegistry } from '../../cloud/registry.js';
import type { Clock } from '../../kube/clock.js';
import type { LocalCloudProvider } from './local-provider.js';

/** The name the local provider registers under by default. */
export const LOCAL_PROVIDER_NAME = 'local';

/** Options of {@link localProviderFactory} and {@link registerLocalProvider}. */
export interface LocalProviderFactoryOptions {
  readonly name?: string;
  readonly clock?: Clock;
  /** Receives each provider created (tests, the simulator). */
  readonly onCreate?: (provider: LocalCloudProvider) => void;
}

/**
 * A factory parsing the YAML cloud config; an invalid one throws a `LocalConfigError` with
 * file:line, reported by the registry as `could not init cloud provider "local": …`.
 */
export function localProviderFactory(options: LocalProviderFactoryOptions = {}): ProviderFactory {
  return async (config: ProviderConfig) => {
    // Loaded when the provider is made: a process that never runs it (most simulations, any
    // other provider's manager) does not carry its config schema and networking in its heap.
    const [{ parseLocalConfig }, { LocalCloudProvider }] = await Promise.all([import('./local-config.js'), import('./local-provider.js')]);
    const provider = new LocalCloudProvider({
      config: parseLocalConfig(config.contents, config.path),
      name: options.name ?? LOCAL_PROVIDER_NAME,
      logger: config.logger,
      ...(options.clock !== undefined && { clock: options.clock }),
    });
    options.onCreate?.(provider);
    return provider;
  };
}

/**
 * Registers the local provider under `options.name` (default `local`).
 *
 * @example
 * ```ts
 * registerLocalProvider(defaultRegistry);
 * ```
 * @throws ProviderRegistrationError when the name is taken.
 */
export function registerLocalProvider(registry: Pick<ProviderRegistry, 'register'>, options: LocalProviderFactoryOptions = {}): void {
  registry.register(options.name ?? LOCAL_PROVIDER_NAME, localProviderFactory(options));
}
