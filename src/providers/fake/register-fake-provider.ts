/**
 * Registration of the fake provider in a provider registry, so the manager can run it by name
 * (`--cloud-provider=fake --cloud-config=fake.json`), e.g. in black-box tests and demos.
 *
 * @module
 */
import type { Clock } from '../../kube/clock.js';
import type { ProviderConfig, ProviderFactory, ProviderRegistry } from '../../cloud/registry.js';
import { FAKE_CALL_LOG_ENV, openCallLogFile } from './call-log-file.js';
import { parseFakeConfig } from './fake-config.js';
import { FakeCloudProvider } from './fake-provider.js';

/** The name the fake provider registers under by default. */
export const FAKE_PROVIDER_NAME = 'fake';

/** Options of {@link fakeProviderFactory} and {@link registerFakeProvider}. */
export interface FakeProviderFactoryOptions {
  /** Provider name (registration and providerID scheme); default {@link FAKE_PROVIDER_NAME}. */
  readonly name?: string;
  /** Clock of every provider created; default the wall clock. */
  readonly clock?: Clock;
  /** Receives each provider created, so a test can configure and inspect the one the manager runs. */
  readonly onCreate?: (provider: FakeCloudProvider) => void;
  /**
   * Append every call to this JSON-lines file (see `callLogLine`); default the environment
   * variable `OUTRIGGER_FAKE_CALL_LOG`, unset: no file. Without `onCreate` nobody can read the
   * in-memory history, so a provider writing a file then keeps none (unless the config sets
   * `callHistoryLimit`) and records arguments by reference: a long run stays small.
   */
  readonly callLogFile?: string;
}

/**
 * A provider factory building a {@link FakeCloudProvider} from the JSON cloud config (see
 * `parseFakeConfig`). An invalid config throws a `FakeConfigError` naming the file and field,
 * which the registry reports as `could not init cloud provider "fake": …`.
 */
export function fakeProviderFactory(options: FakeProviderFactoryOptions = {}): ProviderFactory {
  return (config: ProviderConfig) => {
    const parsed = parseFakeConfig(config.contents, config.path);
    const logPath = options.callLogFile ?? process.env[FAKE_CALL_LOG_ENV];
    const log = logPath === undefined || logPath === '' ? undefined : openCallLogFile(logPath);
    const lean = log !== undefined && options.onCreate === undefined;
    const provider = new FakeCloudProvider({
      ...(lean && { callHistoryLimit: 0, copyCallArgs: false }),
      ...parsed,
      name: options.name ?? FAKE_PROVIDER_NAME,
      ...(options.clock !== undefined && { clock: options.clock }),
      ...(log !== undefined && { onRecord: (call) => log.write(call) }),
    });
    options.onCreate?.(provider);
    return provider;
  };
}

/**
 * Registers the fake provider in `registry` under `options.name` (default `fake`).
 *
 * @example
 * ```ts
 * const registry = new ProviderRegistry();
 * let cloud: FakeCloudProvider | undefined;
 * registerFakeProvider(registry, { clock, onCreate: (p) => (cloud = p) });
 * await registry.create('fake', { contents: '{"capabilities":["instancesV2"]}', logger });
 * ```
 * @throws ProviderRegistrationError when the name is already registered.
 */
export function registerFakeProvider(registry: Pick<ProviderRegistry, 'register'>, options: FakeProviderFactoryOptions = {}): void {
  registry.register(options.name ?? FAKE_PROVIDER_NAME, fakeProviderFactory(options));
}
