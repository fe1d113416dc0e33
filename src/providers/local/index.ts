/**
 * The `local` cloud provider: real TCP/UDP load balancers on this host's addresses, address pools
 * with persisted allocations, and inventory-backed instances.
 *
 * @module
 */
export type { Backend } from './backend-picker.js';
export { BackendPicker } from './backend-picker.js';
export { HealthChecker } from './health-checker.js';
export type { HealthTarget } from './health-checker.js';
export { canonicalIp, formatIp, parseAddressRange, parseIp, parsePoolRange } from './ip-address.js';
export type { AddressRange, IpAddress, IpFamily } from './ip-address.js';
export { AllocationError, IpAllocator, poolMatches } from './ip-allocator.js';
export type { Allocation, AllocationRequest } from './ip-allocator.js';
export { DEFAULT_POOL_RANGE, LOCAL_CONFIG_DEFAULTS, LocalConfigError, parseLocalConfig } from './local-config.js';
export type { AddressPool, BalancingAlgorithm, DataPlaneMode, HealthCheckSettings, InventoryInstance, LocalConfig, NftablesSettings } from './local-config.js';
export { AUTO_INTERFACE } from './local-config.js';
export { NFT_TABLE, renderNftTable } from './nftables-data-plane.js';
export type { KernelPort, KernelService } from './nftables-data-plane.js';
export { ProcessCommandRunner } from './host-commands.js';
export type { CommandResult, CommandRunner } from './host-commands.js';
export { LOCAL_PROVIDER_ID_PREFIX, LocalInstances } from './local-instances.js';
export { LOAD_BALANCER_IPS_ANNOTATION, LocalLoadBalancer, SHARED_IP_ANNOTATION } from './local-load-balancer.js';
export type { ListenerInfo, ReconcileResult } from './local-load-balancer.js';
export { LOCAL_METRICS, registerLocalMetrics } from './local-metrics.js';
export type { LocalMetricsSource } from './local-metrics.js';
export { DATA_PLANE_FALLBACK_REASON, LOCAL_EVENT_SOURCE, LocalCloudProvider } from './local-provider.js';
export type { LocalCloudProviderOptions } from './local-provider.js';
export { LOCAL_PROVIDER_NAME, localProviderFactory, registerLocalProvider } from './register-local-provider.js';
export type { LocalProviderFactoryOptions } from './register-local-provider.js';
export { PROXY_PROTOCOL_ANNOTATION, proxyProtocolHeader, proxyProtocolOf } from './proxy-protocol.js';
export type { ProxiedConnection, ProxyProtocolVersion } from './proxy-protocol.js';
export { SOURCE_RANGES_ANNOTATION, sourceFilterFor } from './source-ranges.js';
export type { SourceFilter } from './source-ranges.js';
export { STATE_FILE_LIMIT_BYTES, STATE_FILE_SOURCE, StateFile, StateFileError } from './state-file.js';
export type { StateFileErrorOptions, StateFileOptions } from './state-file.js';
