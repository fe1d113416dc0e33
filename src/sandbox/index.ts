/**
 * `outrigger sandbox`: a cluster kubectl can use, on loopback — the simulated API server over
 * HTTPS, simulated kubelets and kube-proxies, and the real manager with the `local` provider.
 *
 * @module
 */
export { cryptoRandom, startSandbox } from './sandbox.js';
export { runSandboxDemo, SANDBOX_DEMO_SERVICES } from './sandbox-demo.js';
export type { SandboxDemoAnswer, SandboxDemoOptions } from './sandbox-demo.js';
export type { Sandbox, SandboxOptions } from './sandbox.js';
export { SandboxInputError, validateSandboxAddresses, MAX_SANDBOX_NODES } from './sandbox-input.js';
export type { SandboxAddresses, SandboxAddressInput } from './sandbox-input.js';
export { sandboxCertificates } from './sandbox-certificates.js';
export type { SandboxCertificates } from './sandbox-certificates.js';
export { startSimulatedKubelets, registeredNode, UNINITIALIZED_TAINT_KEY, NODE_LEASE_NAMESPACE } from './simulated-kubelet.js';
export type { SandboxNode, SimulatedKubelets, SimulatedKubeletsOptions } from './simulated-kubelet.js';
export { startSimulatedNodeProxies } from './simulated-node-proxies.js';
export type { SimulatedNodeProxies, SimulatedNodeProxiesOptions } from './simulated-node-proxies.js';
export { waitForObjects } from './wait-for.js';
export type { WaitForObjectsOptions } from './wait-for.js';
