/**
 * The providers Outrigger ships — `fake` (a test double) and `local` (real load balancers on this
 * host) — registered by the CLI and the simulator. The manager itself imports no provider, so a
 * provider author's own binary (`outrigger/manager`) loads only the providers it names.
 *
 * @module
 */
import type { ProviderRegistry } from '../cloud/registry.js';
import type { Clock } from '../kube/clock.js';
import { FAKE_PROVIDER_NAME, registerFakeProvider } from './fake/register-fake-provider.js';
import { LOCAL_PROVIDER_NAME, registerLocalProvider } from './local/register-local-provider.js';

/** Registers `fake` and `local` in `registry` unless names are taken; returns the registry. */
export function registerBuiltinProviders<R extends Pick<ProviderRegistry, 'register' | 'has'>>(registry: R, options: { clock?: Clock } = {}): R {
  const clock = options.clock === undefined ? {} : { clock: options.clock };
  if (!registry.has(FAKE_PROVIDER_NAME)) registerFakeProvider(registry, clock);
  if (!registry.has(LOCAL_PROVIDER_NAME)) registerLocalProvider(registry, clock);
  return registry;
}
