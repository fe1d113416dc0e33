/**
 * The cloud provider contract: capability interfaces, sentinel errors, well-known constants,
 * helpers, the provider registry and the provider module loader.
 *
 * @module
 */
export type { ProviderCallOptions } from './call-options.js';
export type { Clusters } from './clusters.js';
export * from './constants.js';
export {
  CloudProviderError,
  DiskNotFoundError,
  findCloudProviderError,
  findRetryError,
  hasErrorCode,
  ImplementedElsewhereError,
  InstanceNotFoundError,
  isDiskNotFound,
  isImplementedElsewhere,
  isInstanceNotFound,
  isNotImplemented,
  isProviderContractError,
  isRetryError,
  NotImplementedError,
  ProviderContractError,
  RetryError,
} from './errors.js';
export type { CloudProviderErrorCode, CloudProviderErrorOptions } from './errors.js';
export { defaultLoadBalancerName, getInstanceProviderID } from './helpers.js';
export { hasLoadBalancerFinalizer, wantsLoadBalancer } from './service-helpers.js';
export { initCloudProvider } from './init-cloud-provider.js';
export type { ConfigFileReader, InitCloudProviderOptions } from './init-cloud-provider.js';
export type { InstanceMetadata, InstancesV2 } from './instances-v2.js';
export type { Instances, NodeAddress } from './instances.js';
export type {
  LoadBalancer,
  LoadBalancerIngress,
  LoadBalancerIPMode,
  LoadBalancerLookup,
  LoadBalancerStatus,
  PortStatus,
} from './load-balancer.js';
export { loadProviderModule } from './module-loader.js';
export type { LoadedProviderModule, LoadProviderModuleOptions, ProviderModuleEntry } from './module-loader.js';
export type { ClientBuilder, CloudProvider, ProviderInitContext } from './provider.js';
export { defaultRegistry, ProviderRegistry } from './registry.js';
export type { ProviderConfig, ProviderFactory, ProviderRegistryOptions } from './registry.js';
export {
  CloudConfigFileError,
  ProviderInitError,
  ProviderModuleError,
  ProviderRegistrationError,
  UnknownProviderError,
} from './registry-errors.js';
export type { CloudConfigFileErrorOptions, RegistryErrorOptions } from './registry-errors.js';
export { DEFAULT_INPUT_FILE_LIMIT_BYTES, InputFileError, readInputFile, readInputText } from '../input/read-input-file.js';
export type { InputFileProblem, ReadInputFileOptions } from '../input/read-input-file.js';
export { isInputError } from './input-error.js';
export type { InputError } from './input-error.js';
export type { Route, Routes } from './routes.js';
export type { Zone, Zones } from './zones.js';
