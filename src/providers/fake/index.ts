/**
 * The fake cloud provider: a configurable, recording test double of the whole provider contract,
 * for controller tests, the simulator and demos.
 *
 * @module
 */
export { callLogLine, FAKE_CALL_LOG_ENV, openCallLogFile, summariseArgs } from './call-log-file.js';
export type { CallLogFile, CallLogLine } from './call-log-file.js';
export type { CallRecorderOptions, FakeCall, FakeCallOf } from './call-recorder.js';
export { deepFreeze } from '../../kube/json-value.js';
export { FAKE_FAILURE_KINDS, FakeConfigError, parseFakeConfig } from './fake-config.js';
export type { FakeConfigOptions, FakeFailureKind } from './fake-config.js';
export type { FakeFailure, FakeFailureRule, FakeMethodSelector } from './fake-faults.js';
export type { FakeInstance, FakeInstanceRef, FakeInstanceSpec } from './fake-instances.js';
export { DEFAULT_LOAD_BALANCER_IP_RANGE, serviceKeyOf } from './fake-load-balancers.js';
export type { FakeLoadBalancerState } from './fake-load-balancers.js';
export { capabilityOf, FAKE_CAPABILITIES, FAKE_METHODS, isFakeCapability, isFakeMethod } from './fake-methods.js';
export type { FakeAsyncMethod, FakeCallArgs, FakeCapability, FakeMethod } from './fake-methods.js';
export { FakeCloudProvider } from './fake-provider.js';
export type { FakeCallHook, FakeCloudProviderOptions } from './fake-provider.js';
export { fakeRouteName } from './fake-routes.js';
export type { FakeRouteSeed, FakeRouteState } from './fake-routes.js';
export { FAKE_PROVIDER_NAME, fakeProviderFactory, registerFakeProvider } from './register-fake-provider.js';
export type { FakeProviderFactoryOptions } from './register-fake-provider.js';
